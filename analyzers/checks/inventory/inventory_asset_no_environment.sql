-- Inventory assets without an environment, with the environments of the assets lineage connects them
-- to (either direction) as hints.
WITH gaps AS (
    SELECT asset_id, kind, name, version, uri, owner, source
    FROM assets
    WHERE source <> 'discovered' AND nullif(trim(environment), '') IS NULL
      AND NOT list_contains(CAST($ignore_kinds AS VARCHAR[]), kind)
),
neighbours AS (
    SELECT g.asset_id, l.relation, n.kind, n.name, n.environment
    FROM gaps g
    JOIN lineage l ON g.asset_id IN (l.src_asset, l.dst_asset)
    JOIN assets n ON n.asset_id = CASE WHEN l.src_asset = g.asset_id THEN l.dst_asset ELSE l.src_asset END
    WHERE nullif(trim(n.environment), '') IS NOT NULL AND n.asset_id <> g.asset_id
),
hints AS (
    SELECT asset_id,
           list(DISTINCT kind || ' ' || name || ' is ' || environment ORDER BY kind || ' ' || name || ' is ' || environment)
               AS texts,
           list(DISTINCT environment ORDER BY environment) AS environments
    FROM neighbours GROUP BY asset_id
),
activity AS (
    SELECT asset_id, count(*) AS n, max(ts) AS last_ts
    FROM access_events
    WHERE asset_id IN (SELECT asset_id FROM gaps)
    GROUP BY asset_id
)
SELECT
    g.asset_id AS key,
    g.asset_id,
    g.uri AS resource,
    g.kind || ' ' || g.name || coalesce(' ' || g.version, '')
      || coalesce(' (' || array_to_string(list_filter([g.uri, g.owner], lambda x: x IS NOT NULL), ', ') || ')', '')
      || ' has no environment in the inventory (' || g.source || '), so production-only checks skip it'
      || coalesce('; related assets: ' || array_to_string(h.texts[1:4], ', ')
                  || CASE WHEN len(h.texts) > 4 THEN ' (+' || (len(h.texts) - 4) || ' more)' ELSE '' END, '')
      || CASE WHEN a.n > 0 THEN '; ' || fmt_int(a.n) || ' access events, last on ' || strftime(a.last_ts, '%Y-%m-%d')
              ELSE '' END
      || '.' AS summary,
    to_json({kind: g.kind, source: g.source, owner: g.owner, related_environments: h.environments,
             related: h.texts, events: coalesce(a.n, 0), last_event: a.last_ts}) AS details,
    a.last_ts AS last_seen
FROM gaps g
LEFT JOIN hints h USING (asset_id)
LEFT JOIN activity a USING (asset_id)
