"""Linking rows to inventory assets: events by resource (exact id or URI prefix), scans by sha256 or path."""

from __future__ import annotations

from collections.abc import Sequence

from mlspm.ingest.context import LoadContext
from mlspm.store import Cursor

# An exact locator (ARN, model id, object URI) beats a prefix; among prefixes the longest wins. Prefixes
# only match inside the same scheme://authority, so the join stays an equi-join on the authority
# (bucket, host) instead of a cross product of events and locators. A bucket-level resource
# (``s3://bucket``) belongs to the bucket's prefix (``s3://bucket/``), hence the appended slash.
_LINK_EVENTS_EXACT = """
UPDATE access_events AS e SET asset_id = m.asset_id
FROM (
    SELECT e2.id, arg_max(l.asset_id, strlen(l.locator)) AS asset_id
    FROM access_events e2
    JOIN asset_locators l ON l.kind = 'exact' AND lower(e2.resource) = l.locator
    WHERE e2.asset_id IS NULL AND e2.resource IS NOT NULL {run_filter}
    GROUP BY e2.id
) m
WHERE e.id = m.id
"""

_LINK_EVENTS_PREFIX = """
UPDATE access_events AS e SET asset_id = m.asset_id
FROM (
    SELECT e2.id, arg_max(l.asset_id, strlen(l.locator)) AS asset_id
    FROM access_events e2
    JOIN asset_locators l
      ON l.kind = 'prefix'
     AND split_part(lower(e2.resource), '/', 3) = split_part(l.locator, '/', 3)
     AND starts_with(lower(e2.resource) || '/', l.locator)
    WHERE e2.asset_id IS NULL AND e2.resource IS NOT NULL {run_filter}
    GROUP BY e2.id
) m
WHERE e.id = m.id
"""

_LINK_SCANS = """
UPDATE scan_results AS s SET asset_id = m.asset_id
FROM (
    SELECT s2.id, arg_max(l.asset_id, strlen(l.locator)) AS asset_id
    FROM scan_results s2
    JOIN asset_locators l
      ON (l.kind = 'sha256' AND lower(s2.sha256) = l.locator)
      OR (l.kind = 'exact' AND lower(s2.target) = l.locator)
      OR (l.kind = 'prefix' AND starts_with(lower(s2.target), l.locator))
    WHERE s2.asset_id IS NULL {run_filter}
    GROUP BY s2.id
) m
WHERE s.id = m.id
"""


def link_runs(cur: Cursor, ctxs: Sequence[LoadContext]) -> None:
    """Link what these files loaded; after an inventory load, retry every unlinked row."""
    if cur.execute("SELECT count(*) FROM (SELECT 1 FROM asset_locators LIMIT 1)").fetchall() == [(0,)]:
        return
    if any(c.relink_all or c.target_table == "assets" for c in ctxs):
        relink_all(cur)
        return
    first, last = min(c.run_id for c in ctxs), max(c.run_id for c in ctxs)
    tables = {c.target_table for c in ctxs}
    if "access_events" in tables:
        for sql in (_LINK_EVENTS_EXACT, _LINK_EVENTS_PREFIX):
            cur.execute(sql.format(run_filter="AND e2.run_id BETWEEN ? AND ?"), [first, last])
    if "scan_results" in tables:
        cur.execute(_LINK_SCANS.format(run_filter="AND s2.run_id BETWEEN ? AND ?"), [first, last])


def relink_all(cur: Cursor) -> None:
    for sql in (_LINK_EVENTS_EXACT, _LINK_EVENTS_PREFIX):
        cur.execute(sql.format(run_filter=""))
    cur.execute(_LINK_SCANS.format(run_filter=""))
