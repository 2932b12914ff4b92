"""The Store: one DuckDB file, opened once per process, with a cursor per unit of work."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from mlspm.errors import StoreError
from mlspm.store import migrate as migrations
from mlspm.store.errors import translate

Cursor = duckdb.DuckDBPyConnection


INGEST_MEMORY_LIMIT = "1GB"

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?I?B|BYTES)?\s*", re.IGNORECASE)
_UNIT = {"": 1, "B": 1, "BYTES": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNIT.update({"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40})


def size_bytes(text: str) -> int | None:
    """Bytes in a size as DuckDB writes or reads it ('1GB', '953.6 MiB'); None if it is not one."""
    match = _SIZE.fullmatch(text)
    if not match:
        return None
    return int(float(match.group(1)) * _UNIT[(match.group(2) or "").upper()])


class Store:
    """Owns the DuckDB connection; hands out cursors (safe to use one per thread) and transactions.

    Every DuckDB error that leaves this class is an :class:`~mlspm.errors.StoreError` with a hint.
    """

    def __init__(self, path: Path, *, read_only: bool = False, create: bool = True) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._memory_limit: str | None = None  # as set by bound_memory; None: DuckDB's default
        if not self.path.exists():
            if read_only or not create:
                raise StoreError(
                    f"there is no mlspm database at {self.path}",
                    hint="load something first with `mlspm ingest PATH`, or point --db / MLSPM_DB at "
                    "an existing database",
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for the database {self.path}: {exc.strerror}",
                    hint="check the path and permissions, or use --db",
                ) from exc
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
            self._configure(self._con)
            if not read_only:
                migrations.migrate(self._con)
            elif migrations.pending(self._con):
                raise StoreError(
                    f"the database {self.path} needs an upgrade that a read-only open cannot do",
                    hint="run any writing command once (e.g. `mlspm ingest`) with no other mlspm open",
                )
        except duckdb.Error as exc:
            raise translate(exc, self.path) from exc

    @staticmethod
    def _configure(con: duckdb.DuckDBPyConnection) -> None:
        # Global settings, set once on the root connection: every cursor inherits them, and they stay
        # valid after a read-only UI locks the configuration.
        locked = con.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]
        if locked:  # the same database already open (and locked down) in this process: already set
            return
        # All timestamps are stored and shown in UTC, whatever the machine's zone.
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        # Many small per-file commits: checkpoint (compress and rewrite blocks) rarely, not every 16 MB
        # of WAL; committed data is durable in the WAL either way.
        con.execute("SET GLOBAL checkpoint_threshold = '256MB'")

    def bound_memory(self, limit: str | None = None) -> None:
        """Cap DuckDB's memory (it spills to disk past it): for loads, whose inputs can be any size.

        DuckDB's default, 80% of RAM, would let one 5 GB log take the machine. ``MLSPM_MEMORY_LIMIT``
        (e.g. ``4GB``) overrides. Analysis keeps the default: its working sets are aggregates, and a cap
        would only make the big group-bys spill.
        """
        value = limit or os.environ.get("MLSPM_MEMORY_LIMIT") or INGEST_MEMORY_LIMIT
        try:
            self._con.execute("SET GLOBAL memory_limit = ?", [value])
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot set DuckDB's memory limit to {value!r}: {str(exc).splitlines()[0]}",
                hint="MLSPM_MEMORY_LIMIT takes a size such as 1GB or 4GB",
            ) from exc
        self._memory_limit = value

    @contextmanager
    def memory_cap(self, limit: str) -> Iterator[None]:
        """Run the block with DuckDB's memory capped at ``limit`` if that is below the current cap.

        Past the cap DuckDB moves table data not yet checkpointed to its temporary file rather than
        holding it in RAM. Lowering is best-effort: if DuckDB cannot, the block runs under the
        current cap. Afterwards the cap set by :meth:`bound_memory` (or DuckDB's default) returns,
        written as it was set: DuckDB reports the setting rounded, and writing that back would
        drift on every restore. Not for nesting: the inner block would restore the bound cap.
        """
        # The current cap is the one bound_memory set (no query per load); DuckDB's default, 80% of
        # RAM, is above any lean cap.
        current = size_bytes(self._memory_limit) if self._memory_limit else None
        wanted = size_bytes(limit)
        lowered = False
        if wanted is not None and (current is None or wanted < current):
            with self.cursor() as cur:
                try:
                    cur.execute("SET GLOBAL memory_limit = ?", [limit])
                    lowered = True
                except duckdb.Error:
                    pass
        try:
            yield
        finally:
            if lowered:
                with self.cursor() as cur:
                    if self._memory_limit is None:
                        cur.execute("RESET GLOBAL memory_limit")
                    else:
                        cur.execute("SET GLOBAL memory_limit = ?", [self._memory_limit])

    @contextmanager
    def threads(self, count: int) -> Iterator[None]:
        """Run the block with DuckDB on ``count`` threads, then restore the previous number.

        A setting of the whole database instance: only for phases where one unit of work runs at a
        time, such as a load.
        """
        with self.cursor() as cur:
            before = int(cur.execute("SELECT current_setting('threads')").fetchall()[0][0])
            cur.execute("SET GLOBAL threads = ?", [count])
        try:
            yield
        finally:
            with self.cursor() as cur:
                cur.execute("SET GLOBAL threads = ?", [before])

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        """A fresh cursor for one unit of work; DuckDB errors come out as StoreError."""
        with self._lock:
            try:
                cur = self._con.cursor()
            except duckdb.Error as exc:
                raise translate(exc, self.path) from exc
        try:
            yield cur
        except duckdb.Error as exc:
            raise translate(exc, self.path) from exc
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor inside BEGIN/COMMIT; any exception rolls the whole unit back."""
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            cur.execute("COMMIT")

    def interrupt(self) -> None:
        """Cancel whatever query is running on this store's connection (used by cancel keys)."""
        self._con.interrupt()

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
