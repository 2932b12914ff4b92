"""Bulk inserts of Python-produced rows through DuckDB's appender.

Not Arrow: building a pyarrow array from Python lists imports pandas (half a second) just to check
the input is not a pandas object, and DuckDB's executemany is far too slow for bulk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mlspm.store import Cursor


class RowBuffer:
    """Appends rows (tuples in ``columns`` order) to ``table`` — a trusted identifier from our code."""

    def __init__(self, cur: Cursor, table: str, columns: Sequence[str], flush_every: int = 20_000) -> None:
        # DuckDB refuses new work on a cursor whose previous result is still open.
        cur.complete()
        self._appender = cur.appender(table, columns=list(columns))
        self._pending = 0
        self._flush_every = flush_every
        self.rows = 0

    def append(self, row: Sequence[Any]) -> None:
        self._appender.append_row(*row)
        self._pending += 1
        self.rows += 1
        if self._pending >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        self._appender.flush()
        self._pending = 0


def temp_table(
    cur: Cursor, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]
) -> int:
    """(Re)create TEMP table ``name`` (trusted) with ``columns`` (name, SQL type) holding ``rows``."""
    cols = ", ".join(f"{col} {sql_type}" for col, sql_type in columns)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
    buffer = RowBuffer(cur, name, [col for col, _ in columns])
    for row in rows:
        buffer.append(row)
    buffer.flush()
    return buffer.rows
