"""The shared last mile of every access-event format: stage → rejects + access_events, de-duplicated.

A format fills the temp table ``_stage_events`` (one row per input record, with its position and a
``reject_reason`` when it cannot be used); :func:`finish_events` moves good rows into ``access_events``
with a stable id, skips records already loaded (same source format, event id and time), and writes the
others to ``rejects`` with their raw text.
"""

from __future__ import annotations

import pyarrow as pa

from mlspm.ingest.context import LoadContext

STAGE = "_stage_events"

# (column, DuckDB type, Arrow type) — the normalized event as every format stages it.
STAGE_COLUMNS: tuple[tuple[str, str, pa.DataType], ...] = (
    ("pos", "BIGINT", pa.int64()),
    ("reject_reason", "VARCHAR", pa.string()),
    ("event_id", "VARCHAR", pa.string()),
    ("ts", "TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
    ("principal", "VARCHAR", pa.string()),
    ("principal_type", "VARCHAR", pa.string()),
    ("principal_role", "VARCHAR", pa.string()),
    ("account_id", "VARCHAR", pa.string()),
    ("region", "VARCHAR", pa.string()),
    ("source_ip", "VARCHAR", pa.string()),
    ("user_agent", "VARCHAR", pa.string()),
    ("service", "VARCHAR", pa.string()),
    ("action", "VARCHAR", pa.string()),
    ("action_class", "VARCHAR", pa.string()),
    ("resource", "VARCHAR", pa.string()),
    ("outcome", "VARCHAR", pa.string()),
    ("status_code", "VARCHAR", pa.string()),
    ("error_message", "VARCHAR", pa.string()),
    ("bytes_out", "BIGINT", pa.int64()),
    ("bytes_in", "BIGINT", pa.int64()),
    ("object_size", "BIGINT", pa.int64()),
    ("duration_ms", "DOUBLE", pa.float64()),
    ("auth_type", "VARCHAR", pa.string()),
    ("raw", "VARCHAR", pa.string()),
)
STAGE_NAMES = tuple(c[0] for c in STAGE_COLUMNS)
STAGE_ARROW_SCHEMA = pa.schema([(name, arrow) for name, _, arrow in STAGE_COLUMNS])

# The access_events columns filled from the stage (all but id, asset_id, source_format, run_id, source_pos).
_EVENT_COLUMNS = STAGE_NAMES[2:]

_MAX_POS = 1 << 32


def create_stage(ctx: LoadContext) -> None:
    cols = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in STAGE_COLUMNS)
    ctx.cur.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({cols})")


def drop_stage(ctx: LoadContext) -> None:
    ctx.cur.execute(f"DROP TABLE IF EXISTS {STAGE}")


def finish_events(ctx: LoadContext, position_kind: str) -> None:
    """Move the staged rows into ``access_events`` and ``rejects``; updates ``ctx.counts``."""
    cur = ctx.cur
    run, path = ctx.run_id, str(ctx.path)
    limit = ctx.config.reject_raw_bytes
    cur.execute(
        f"INSERT INTO rejects SELECT ?, ?, pos, ?, reject_reason, left(raw, ?), strlen(raw) "  # noqa: S608
        f"FROM {STAGE} WHERE reject_reason IS NOT NULL ORDER BY pos",
        [run, path, position_kind, limit],
    )
    ctx.counts.rejected += _rowcount(cur)

    total, lo, hi, max_pos, distinct = cur.execute(
        f"SELECT count(*), min(ts), max(ts), max(pos), count(DISTINCT (event_id, ts)) "  # noqa: S608
        f"FROM {STAGE} WHERE reject_reason IS NULL"
    ).fetchone() or (0, None, None, None, 0)
    if not total:
        return
    if max_pos is not None and max_pos >= _MAX_POS:
        raise ValueError(f"a file with more than {_MAX_POS - 1:,} records is not supported; split it")

    # Records already in the store (same format, event id and time) are skipped, not duplicated.
    # Only row groups overlapping this file's time range are read (zone maps on ts).
    cols = ", ".join(_EVENT_COLUMNS)
    first_of_key = (
        "QUALIFY row_number() OVER (PARTITION BY event_id, ts ORDER BY pos) = 1" if distinct < total else ""
    )
    cur.execute(
        f"""
        INSERT INTO access_events
            (id, {cols}, asset_id, source_format, run_id, source_pos)
        SELECT (?::BIGINT << 32) + s.pos, {", ".join("s." + c for c in _EVENT_COLUMNS)},
               NULL, ?, ?, s.pos
        FROM {STAGE} s
        WHERE s.reject_reason IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM access_events e
              WHERE e.source_format = ? AND e.ts BETWEEN ? AND ?
                AND e.event_id = s.event_id AND e.ts = s.ts)
        {first_of_key}
        """,  # noqa: S608
        [run, ctx.format_name, run, ctx.format_name, lo, hi],
    )
    inserted = _rowcount(cur)
    ctx.counts.loaded += inserted
    ctx.counts.duplicate += total - inserted


def _rowcount(cur: object) -> int:
    row = cur.fetchone()  # type: ignore[attr-defined]
    return int(row[0]) if row else 0
