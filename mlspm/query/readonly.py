"""The SQL console's guard: only reading statements, in a read-only transaction, with a time limit."""

from __future__ import annotations

import threading
import time
from typing import Any

import duckdb

from mlspm.errors import MlspmError
from mlspm.query.model import SqlResult
from mlspm.store import Cursor

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class SqlRefused(MlspmError):
    """The console refuses a statement that could write, load, attach or reach the file system."""


def check(sql: str) -> str:
    """The single reading statement in ``sql``; raises SqlRefused (with why) for anything else."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(f"cannot parse: {str(exc).strip().splitlines()[0]}") from None
    if not statements:
        raise SqlRefused("nothing to run")
    if len(statements) > 1:
        raise SqlRefused("one statement at a time")
    kind = statements[0].type
    if kind not in ALLOWED:
        name = str(kind).rsplit(".", 1)[-1]
        raise SqlRefused(
            f"{name} statements are refused: the console only reads",
            hint="use SELECT (or EXPLAIN); mlspm never lets the console write, attach, "
            "copy to files, install or load anything",
        )
    return sql


def run(cur: Cursor, sql: str, *, limit: int = 1000, seconds: float = 30.0) -> SqlResult:
    """Run one reading statement in a READ ONLY transaction; interrupted after ``seconds``."""
    check(sql)
    timer = threading.Timer(seconds, cur.interrupt)
    clock = time.perf_counter()
    cur.execute("BEGIN TRANSACTION READ ONLY")
    timer.start()
    try:
        result = cur.execute(sql)
        columns = tuple(d[0] for d in result.description or [])
        rows: list[tuple[Any, ...]] = result.fetchmany(limit + 1)
    except duckdb.InterruptException:
        raise SqlRefused(f"stopped after {seconds:g} s", hint="narrow the query (WHERE, LIMIT)") from None
    except duckdb.Error as exc:
        raise SqlRefused(str(exc).strip().splitlines()[0]) from None
    finally:
        timer.cancel()
        try:
            cur.execute("ROLLBACK")
        except duckdb.Error:
            pass
    return SqlResult(columns, rows[:limit], len(rows) > limit, time.perf_counter() - clock)


def lock_down(cur: Cursor) -> None:
    """For a process that only reads and triages (the TUI): no file system, no extensions, for good."""
    if cur.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]:
        return  # already locked down (the same database opened twice in this process)
    cur.execute("SET enable_external_access = false")
    cur.execute("SET lock_configuration = true")
