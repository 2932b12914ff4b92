"""The shared last mile of every access-event format: stage → rejects + access_events, de-duplicated.

A format fills the temp table ``_stage_events`` (one row per input record, tagged with its file's
run id and position, with a ``reject_reason`` when it cannot be used); :func:`finish_events` moves
good rows into ``access_events``, drops records already loaded (same format, event id, time and
content — from an earlier file or earlier in the same one), and writes the others to ``rejects``
with their raw text. It works on a group of files at once so that many small files (CloudTrail
delivers one every five minutes) cost a few statements per group, not per file.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlspm.ingest.bulk import temp_table
from mlspm.ingest.context import LoadContext
from mlspm.store import Cursor

STAGE = "_stage_events"
_RUNS = "_stage_runs"

# (column, DuckDB type) — the normalized event as every format stages it.
STAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "BIGINT"),
    ("pos", "BIGINT"),
    ("reject_reason", "VARCHAR"),
    ("event_id", "VARCHAR"),
    ("ts", "TIMESTAMPTZ"),
    ("principal", "VARCHAR"),
    ("principal_type", "VARCHAR"),
    ("principal_role", "VARCHAR"),
    ("account_id", "VARCHAR"),
    ("region", "VARCHAR"),
    ("source_ip", "VARCHAR"),
    ("user_agent", "VARCHAR"),
    ("service", "VARCHAR"),
    ("action", "VARCHAR"),
    ("action_class", "VARCHAR"),
    ("resource", "VARCHAR"),
    ("outcome", "VARCHAR"),
    ("status_code", "VARCHAR"),
    ("error_message", "VARCHAR"),
    ("bytes_out", "BIGINT"),
    ("bytes_in", "BIGINT"),
    ("object_size", "BIGINT"),
    ("duration_ms", "DOUBLE"),
    ("auth_type", "VARCHAR"),
    ("raw", "VARCHAR"),
)
STAGE_NAMES = tuple(c[0] for c in STAGE_COLUMNS)
EVENT_FIELDS = STAGE_NAMES[3:]
"""The access_events columns a format fills (all but id, asset_id, source_format, run_id, source_pos)."""

# What makes two records the same event.
_CONTENT = ("event_id", "ts", "principal", "action", "resource", "raw")
_CONTENT_SQL = ", ".join(_CONTENT)
_SAME_CONTENT = " AND ".join(f"b.{c} IS NOT DISTINCT FROM a.{c}" for c in _CONTENT[2:])


def create_stage(cur: Cursor) -> None:
    cols = ", ".join(f"{name} {sql_type}" for name, sql_type in STAGE_COLUMNS)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({cols})")


def drop_stage(cur: Cursor) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cur.execute(f"DROP TABLE IF EXISTS {_RUNS}")


def finish_events(ctxs: Sequence[LoadContext], position_kind: str) -> None:
    """Move the staged rows of these files into ``access_events`` and ``rejects``; fills their counts."""
    cur = ctxs[0].cur
    _register_runs(cur, ctxs)
    limit = ctxs[0].config.reject_raw_bytes
    counts = cur.execute(
        f"""INSERT INTO rejects
            SELECT s.run_id, r.path, s.pos, ?, s.reject_reason, left(s.raw, ?), strlen(s.raw)
            FROM {STAGE} s JOIN {_RUNS} r USING (run_id)
            WHERE s.reject_reason IS NOT NULL ORDER BY s.run_id, s.pos""",  # noqa: S608
        [position_kind, limit],
    ).fetchall()
    if counts and counts[0][0]:
        by_run = dict(
            cur.execute(
                f"SELECT run_id, count(*) FROM {STAGE} WHERE reject_reason IS NOT NULL GROUP BY 1"  # noqa: S608
            ).fetchall()
        )
        for ctx in ctxs:
            ctx.counts.rejected += int(by_run.get(ctx.run_id, 0))
    insert_events(ctxs, f"SELECT * FROM {STAGE} WHERE reject_reason IS NULL")  # noqa: S608


def insert_events(ctxs: Sequence[LoadContext], source: str, params: list[object] | None = None) -> None:
    """INSERT the rows of ``source`` (a trusted SQL relation with the stage's columns) and de-duplicate.

    Fast paths whose source cannot hold invalid rows (they abort instead) call this directly.
    """
    fmt, cur = ctxs[0].format_name, ctxs[0].cur
    cols = ", ".join(EVENT_FIELDS)
    # Rows need no order in the table (each keeps its file position in source_pos), and without
    # it DuckDB writes from both threads at once: a third less time on a big file. This cursor only;
    # if the INSERT fails, the transaction and its cursor end, and the aborted transaction would
    # refuse the RESET, hiding the INSERT's own error (such as running out of memory).
    cur.execute("SET preserve_insertion_order = false")
    cur.execute(
        f"""
        INSERT INTO access_events (id, {cols}, asset_id, source_format, run_id, source_pos)
        SELECT hash(?, {_CONTENT_SQL}) >> 1, {cols}, NULL, ?, run_id, pos
        FROM ({source}) src
        """,  # noqa: S608
        [fmt, fmt, *(params or [])],
    )
    cur.execute("RESET preserve_insertion_order")
    _dedupe(ctxs)


def _dedupe(ctxs: Sequence[LoadContext]) -> None:
    """Drop the records of these runs that are already in the store or repeated in their file.

    A record is the same event as another when format, event id, time and content agree; one that
    reuses a known id with different content is kept (and said so). Earlier runs win (run ids grow),
    and only rows of these runs and rows in their time range are read (zone maps on run_id and ts),
    so the cost follows the files loaded, not the size of the store.
    """
    cur, fmt = ctxs[0].cur, ctxs[0].format_name
    first, last = min(c.run_id for c in ctxs), max(c.run_id for c in ctxs)
    # id hashes the content: equal ids flag possible repeats, confirmed on the content itself.
    stats = cur.execute(
        "SELECT count(*), min(ts), max(ts), count(DISTINCT (run_id, id)) FROM access_events "
        "WHERE run_id BETWEEN ? AND ?",
        [first, last],
    ).fetchall()[0]
    total, lo, hi, distinct = int(stats[0]), stats[1], stats[2], int(stats[3])
    before = _per_run(cur, first, last)
    if not total:
        return
    if distinct < total:
        cur.execute(
            f"""DELETE FROM access_events WHERE run_id BETWEEN ? AND ? AND rowid IN (
                SELECT rowid FROM (
                    SELECT rowid,
                           row_number() OVER (PARTITION BY run_id, {_CONTENT_SQL} ORDER BY source_pos, rowid) AS n
                    FROM access_events WHERE run_id BETWEEN ? AND ?) WHERE n > 1)""",  # noqa: S608
            [first, last, first, last],
        )
    # Pairs with an earlier run's record of the same id and time: usually none, and this count costs
    # a fifth of the DELETE below (measured), which then runs only when there is something to compare.
    older = cur.execute(
        "SELECT count(*) FROM access_events a JOIN access_events b "
        "ON a.event_id = b.event_id AND a.ts = b.ts AND b.run_id < a.run_id "
        "WHERE a.run_id BETWEEN ? AND ? AND b.source_format = ? AND b.ts BETWEEN ? AND ?",
        [first, last, fmt, lo, hi],
    ).fetchall()[0][0]
    if older:
        cur.execute(
            f"""DELETE FROM access_events AS a WHERE a.run_id BETWEEN ? AND ? AND EXISTS (
                SELECT 1 FROM access_events b
                WHERE b.source_format = ? AND b.ts BETWEEN ? AND ? AND b.run_id < a.run_id
                  AND b.event_id = a.event_id AND b.ts = a.ts AND {_SAME_CONTENT})""",  # noqa: S608
            [first, last, fmt, lo, hi],
        )
    after = _per_run(cur, first, last)
    cur.execute(
        """INSERT INTO daily_activity
           SELECT ts::DATE, source_format, count(*) FROM access_events WHERE run_id BETWEEN ? AND ? GROUP BY ALL
           ON CONFLICT (day, source_format) DO UPDATE SET events = daily_activity.events + excluded.events""",
        [first, last],
    )
    for ctx in ctxs:
        loaded = after.get(ctx.run_id, 0)
        ctx.counts.loaded += loaded
        ctx.counts.duplicate += before.get(ctx.run_id, 0) - loaded
    if older or distinct < total:
        _warn_reused_ids(ctxs, lo, hi)


def _per_run(cur: Cursor, first: int, last: int) -> dict[int, int]:
    rows = cur.execute(
        "SELECT run_id, count(*) FROM access_events WHERE run_id BETWEEN ? AND ? GROUP BY 1", [first, last]
    ).fetchall()
    return {int(r): int(n) for r, n in rows}


def _warn_reused_ids(ctxs: Sequence[LoadContext], lo: object, hi: object) -> None:
    cur, fmt = ctxs[0].cur, ctxs[0].format_name
    first, last = min(c.run_id for c in ctxs), max(c.run_id for c in ctxs)
    rows = cur.execute(
        "SELECT max(run_id), count(*) FROM (SELECT event_id, ts, max(run_id) AS run_id FROM access_events "
        "WHERE source_format = ? AND ts BETWEEN ? AND ? GROUP BY event_id, ts HAVING count(*) > 1) "
        "WHERE run_id BETWEEN ? AND ? GROUP BY run_id",
        [fmt, lo, hi, first, last],
    ).fetchall()
    reused = {int(r): int(n) for r, n in rows}
    for ctx in ctxs:
        if reused.get(ctx.run_id):
            ctx.warn(f"{reused[ctx.run_id]:,} event ids appear on records with different content (all kept)")


def _register_runs(cur: Cursor, ctxs: Sequence[LoadContext]) -> None:
    temp_table(
        cur, _RUNS, [("run_id", "BIGINT"), ("path", "VARCHAR")], [(c.run_id, str(c.path)) for c in ctxs]
    )
