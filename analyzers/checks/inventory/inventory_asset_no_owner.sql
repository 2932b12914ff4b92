-- Inventory assets without an owner, with hints for who it is: an owner-like tag the inventory carries
-- and the principal that writes to the asset most often.
WITH gaps AS (
    SELECT asset_id, kind, name, version, uri, environment, source,
           coalesce(json_extract_string(tags, '$.owner'), json_extract_string(tags, '$.team'),
                    json_extract_string(tags, '$.maintainer'), json_extract_string(tags, '$.contact')) AS tag_hint
    FROM assets
    WHERE source <> 'discovered' AND nullif(trim(owner), '') IS NULL
      AND NOT list_contains(CAST($ignore_kinds AS VARCHAR[]), kind)
),
events AS (
    SELECT asset_id, principal, action_class, outcome, ts
    FROM access_events
    WHERE asset_id IN (SELECT asset_id FROM gaps)
),
activity AS (
    SELECT asset_id, count(*) AS n, count(DISTINCT principal) AS principals, max(ts) AS last_ts
    FROM events GROUP BY asset_id
),
writers AS (
    SELECT asset_id, principal, count(*) AS n
    FROM events
    WHERE action_class IN ('write', 'delete', 'permission_change') AND outcome = 'success' AND principal IS NOT NULL
    GROUP BY asset_id, principal
    QUALIFY row_number() OVER (PARTITION BY asset_id ORDER BY count(*) DESC, principal) = 1
)
SELECT
    g.asset_id AS key,
    g.asset_id,
    g.uri AS resource,
    g.kind || ' ' || g.name || coalesce(' ' || g.version, '')
      || coalesce(' (' || array_to_string(list_filter([g.uri, g.environment], lambda x: x IS NOT NULL), ', ') || ')', '')
      || ' has no owner in the inventory (' || g.source || ')'
      || CASE WHEN g.tag_hint IS NOT NULL OR w.principal IS NOT NULL
              THEN '; hints: ' || array_to_string(list_filter([
                       CASE WHEN g.tag_hint IS NOT NULL THEN 'its tags name ' || g.tag_hint END,
                       CASE WHEN w.principal IS NOT NULL
                            THEN 'its most frequent writer is ' || short_name(w.principal)
                                 || ' (' || fmt_int(w.n) || ' writes)' END], lambda x: x IS NOT NULL), ', ')
              ELSE '' END
      || CASE WHEN a.n > 0
              THEN '; ' || fmt_int(a.n) || ' access events by ' || a.principals || ' principals, last on '
                   || strftime(a.last_ts, '%Y-%m-%d')
              ELSE '; no access events on it' END
      || '.' AS summary,
    to_json({kind: g.kind, source: g.source, environment: g.environment, owner_tag: g.tag_hint,
             top_writer: w.principal, top_writer_writes: w.n, events: coalesce(a.n, 0),
             principals: coalesce(a.principals, 0), last_event: a.last_ts}) AS details,
    a.last_ts AS last_seen
FROM gaps g
LEFT JOIN activity a USING (asset_id)
LEFT JOIN writers w USING (asset_id)
