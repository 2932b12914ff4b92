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

# What makes two records the same event.
_CONTENT = "event_id, ts, principal, action, resource, raw"
_CONTENT_A = ", ".join(f"a.{c.strip()}" for c in _CONTENT.split(","))
_CONTENT_B = ", ".join(f"b.{c.strip()}" for c in _CONTENT.split(","))


def create_stage(ctx: LoadContext) -> None:
    cols = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in STAGE_COLUMNS)
    ctx.cur.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({cols})")


def drop_stage(ctx: LoadContext) -> None:
    ctx.cur.execute(f"DROP TABLE IF EXISTS {STAGE}")


def finish_events(ctx: LoadContext, position_kind: str) -> None:
    """Move the staged rows into ``access_events`` and ``rejects``; updates ``ctx.counts``."""
    cur = ctx.cur
    limit = ctx.config.reject_raw_bytes
    cur.execute(
        f"INSERT INTO rejects SELECT ?, ?, pos, ?, reject_reason, left(raw, ?), strlen(raw) "  # noqa: S608
        f"FROM {STAGE} WHERE reject_reason IS NOT NULL ORDER BY pos",
        [ctx.run_id, str(ctx.path), position_kind, limit],
    )
    ctx.counts.rejected += _rowcount(cur)
    insert_events(ctx, f"SELECT * FROM {STAGE} WHERE reject_reason IS NULL")  # noqa: S608


def insert_events(ctx: LoadContext, source: str, params: list[object] | None = None) -> None:
    """INSERT the rows of ``source`` (a trusted SQL relation with the stage's columns) and de-duplicate.

    Callers whose source cannot hold invalid rows (fast paths that abort on them) use this directly.
    """
    cols = ", ".join(_EVENT_COLUMNS)
    ctx.cur.execute(
        f"""
        INSERT INTO access_events (id, {cols}, asset_id, source_format, run_id, source_pos)
        SELECT hash(?, {_CONTENT}) >> 1, {cols}, NULL, ?, ?, pos
        FROM ({source}) src
        """,  # noqa: S608
        [ctx.format_name, ctx.format_name, ctx.run_id, *(params or [])],
    )
    _dedupe_run(ctx)


def _dedupe_run(ctx: LoadContext) -> None:
    """Drop this run's records that are already in the store, or repeated within the file.

    A record is the same event as another when format, event id, time and content agree; one that
    reuses a known id with different content is kept (and said so). Only rows of this run and rows
    in its time range are read (zone maps on run_id and ts), so the cost follows the file, not the
    store.
    """
    cur, run, fmt = ctx.cur, ctx.run_id, ctx.format_name
    # id is a hash of the content: equal ids flag possible repeats (checked on the real content).
    total, lo, hi, keys, contents = cur.execute(
        "SELECT count(*), min(ts), max(ts), count(DISTINCT (event_id, ts)), count(DISTINCT id) "
        "FROM access_events WHERE run_id = ?",
        [run],
    ).fetchone() or (0, None, None, 0, 0)
    if not total:
        return
    deleted = 0
    if contents < total:
        cur.execute(
            f"""DELETE FROM access_events WHERE run_id = ? AND rowid IN (
                SELECT rowid FROM (
                    SELECT rowid, row_number() OVER (PARTITION BY {_CONTENT} ORDER BY rowid) AS n
                    FROM access_events WHERE run_id = ?) WHERE n > 1)""",  # noqa: S608
            [run, run],
        )
        deleted += _rowcount(cur)
    overlap = cur.execute(
        "SELECT count(*) FROM access_events WHERE source_format = ? AND ts BETWEEN ? AND ? AND run_id <> ?",
        [fmt, lo, hi, run],
    ).fetchone()
    if overlap and overlap[0]:
        cur.execute(
            f"""DELETE FROM access_events AS a WHERE a.run_id = ? AND EXISTS (
                SELECT 1 FROM access_events b
                WHERE b.source_format = ? AND b.ts BETWEEN ? AND ? AND b.run_id <> ?
                  AND b.event_id = a.event_id AND b.ts = a.ts
                  AND ({_CONTENT_B}) IS NOT DISTINCT FROM ({_CONTENT_A}))""",  # noqa: S608
            [run, fmt, lo, hi, run],
        )
        deleted += _rowcount(cur)
    ctx.counts.loaded += total - deleted
    ctx.counts.duplicate += deleted
    if keys < total - deleted or (overlap and overlap[0]):
        reused = cur.execute(
            "SELECT count(*) FROM (SELECT event_id, ts FROM access_events WHERE source_format = ? "
            "AND ts BETWEEN ? AND ? GROUP BY ALL HAVING count(*) > 1 AND bool_or(run_id = ?))",
            [fmt, lo, hi, run],
        ).fetchone()
        if reused and reused[0]:
            ctx.warn(f"{reused[0]:,} event ids appear on records with different content (all kept)")


def _rowcount(cur: object) -> int:
    row = cur.fetchone()  # type: ignore[attr-defined]
    return int(row[0]) if row else 0
