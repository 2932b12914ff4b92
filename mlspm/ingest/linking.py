"""Linking rows to inventory assets: events by resource (exact id or URI prefix), scans by sha256 or path.

The most specific locator wins: an exact locator (ARN, model id, object URI) beats any prefix, and a
longer prefix beats a shorter one — so when an inventory (or a discovered asset) adds a more specific
locator, rows already linked to a broader one (the bucket) move to it. Prefixes only match inside the
same scheme://authority (bucket, host), which keeps the join an equi-join instead of a cross product. A
bucket-level resource (``s3://bucket``) belongs to the bucket's prefix (``s3://bucket/``).
"""

from __future__ import annotations

from collections.abc import Sequence

from mlspm.ingest.context import LoadContext
from mlspm.store import Cursor

_LINK_EVENTS = """
UPDATE access_events AS e SET asset_id = m.asset_id
FROM (
    SELECT id, arg_max(asset_id, (score, asset_id)) AS asset_id
    FROM (
        -- An exact locator that is the asset's own uri beats one the asset merely lists (an endpoint
        -- ARN names the endpoint, even when a model's inventory entry also mentions it).
        SELECT e2.id, l.asset_id,
               1000000 + 2 * strlen(l.locator)
                 + CASE WHEN lower(a.uri) = l.locator THEN 1 ELSE 0 END AS score
        FROM access_events e2
        JOIN asset_locators l ON l.kind = 'exact' AND lower(e2.resource) = l.locator
        LEFT JOIN assets a ON a.asset_id = l.asset_id
        WHERE e2.resource IS NOT NULL {run_filter}
        UNION ALL
        SELECT e2.id, l.asset_id, 2 * strlen(l.locator) AS score
        FROM access_events e2
        JOIN asset_locators l
          ON l.kind = 'prefix'
         AND split_part(lower(e2.resource), '/', 3) = split_part(l.locator, '/', 3)
         AND starts_with(lower(e2.resource) || '/', l.locator)
        WHERE e2.resource IS NOT NULL {run_filter}
    )
    GROUP BY id
) m
WHERE e.id = m.id AND e.asset_id IS DISTINCT FROM m.asset_id
"""

# A scanned file is its asset's when the hash matches, the path is a locator, or the path ends with
# the bucket/key of the asset's object URI (files copied down from object storage keep their keys).
_LINK_SCANS = """
UPDATE scan_results AS s SET asset_id = m.asset_id
FROM (
    SELECT id, arg_max(asset_id, (score, asset_id)) AS asset_id
    FROM (
        SELECT s2.id, l.asset_id,
               CASE
                   WHEN l.kind = 'sha256' AND lower(s2.sha256) = l.locator THEN 4000000
                   WHEN l.kind = 'exact' AND lower(s2.target) = l.locator THEN 3000000
                   WHEN l.kind = 'exact' AND l.locator LIKE 's3://%/%'
                        AND ends_with(lower(replace(s2.target, '\\', '/')), '/' || substr(l.locator, 6))
                        THEN 2000000 + strlen(l.locator)
                   WHEN l.kind = 'prefix' AND starts_with(lower(s2.target), l.locator) THEN strlen(l.locator)
               END AS score
        FROM scan_results s2, asset_locators l
        WHERE s2.target IS NOT NULL {run_filter}
    )
    WHERE score IS NOT NULL
    GROUP BY id
) m
WHERE s.id = m.id AND s.asset_id IS DISTINCT FROM m.asset_id
"""


def link_runs(cur: Cursor, ctxs: Sequence[LoadContext]) -> None:
    """Link what these files loaded; after an inventory load, look at every row again."""
    if cur.execute("SELECT count(*) FROM (SELECT 1 FROM asset_locators LIMIT 1)").fetchall() == [(0,)]:
        return
    if any(c.relink_all or c.target_table == "assets" for c in ctxs):
        relink_all(cur)
        return
    first, last = min(c.run_id for c in ctxs), max(c.run_id for c in ctxs)
    tables = {c.target_table for c in ctxs}
    if "access_events" in tables:
        cur.execute(
            _LINK_EVENTS.format(run_filter="AND e2.run_id BETWEEN ? AND ?"), [first, last, first, last]
        )
    if "scan_results" in tables:
        cur.execute(_LINK_SCANS.format(run_filter="AND s2.run_id BETWEEN ? AND ?"), [first, last])


# Only events a new locator can match: its exact resource, or any resource in a new prefix's bucket/host.
_NEW_LOCATOR_SCOPE = """
AND (lower(e2.resource) IN (SELECT locator FROM _new_locators WHERE kind = 'exact')
     OR split_part(lower(e2.resource), '/', 3)
        IN (SELECT split_part(locator, '/', 3) FROM _new_locators WHERE kind = 'prefix'))
"""


def relink_new_locators(cur: Cursor, locators: Sequence[tuple[str, str]]) -> None:
    """Link again after adding ``locators`` (locator, kind): only the events they can match, all scans.

    Adding a locator can only move rows it matches, so a few discovered assets do not cost a pass
    over every event in the database.
    """
    if not locators:
        return
    cur.execute("CREATE OR REPLACE TEMP TABLE _new_locators (locator VARCHAR, kind VARCHAR)")
    cur.executemany("INSERT INTO _new_locators VALUES (?, ?)", [list(x) for x in locators])
    cur.execute(_LINK_EVENTS.format(run_filter=_NEW_LOCATOR_SCOPE))
    cur.execute(_LINK_SCANS.format(run_filter=""))
    cur.execute("DROP TABLE _new_locators")


def relink_all(cur: Cursor) -> None:
    """Re-evaluate every event and scan result against every locator (after locators changed)."""
    cur.execute(_LINK_EVENTS.format(run_filter=""))
    cur.execute(_LINK_SCANS.format(run_filter=""))
