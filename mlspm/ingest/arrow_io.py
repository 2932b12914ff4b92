"""Bulk inserts of Python-produced rows through Arrow (DuckDB's executemany is far too slow for bulk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from mlspm.store import Cursor


class ColumnBuffer:
    """Collects rows column by column and flushes them into a DuckDB table as Arrow batches."""

    def __init__(self, cur: Cursor, table: str, schema: pa.Schema, batch_rows: int = 50_000) -> None:
        self.cur = cur
        self.table = table  # an identifier from our own code, never user input
        self.schema = schema
        self.batch_rows = batch_rows
        self._cols: list[list[Any]] = [[] for _ in schema.names]
        self.rows = 0

    def append(self, row: Sequence[Any]) -> None:
        for col, value in zip(self._cols, row, strict=True):
            col.append(value)
        if len(self._cols[0]) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if not self._cols[0]:
            return
        batch = pa.Table.from_arrays(
            [pa.array(col, type=field.type) for col, field in zip(self._cols, self.schema)],
            schema=self.schema,
        )
        self.rows += batch.num_rows
        insert_arrow(self.cur, self.table, batch)
        self._cols = [[] for _ in self.schema.names]


def insert_arrow(cur: Cursor, table: str, batch: pa.Table) -> None:
    """INSERT the Arrow table into ``table`` by column name (``table`` is a trusted identifier)."""
    cur.register("_mlspm_batch", batch)
    try:
        names = ", ".join(f'"{n}"' for n in batch.schema.names)
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _mlspm_batch")  # noqa: S608
    finally:
        cur.unregister("_mlspm_batch")
