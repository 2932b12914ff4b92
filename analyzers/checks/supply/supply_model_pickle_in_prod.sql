-- Production models whose artifact is pickle-based, by the inventory's format field, by the extension of
-- an artifact locator/uri, or by the scanned files linked to the asset (targets or archive members).
WITH prod AS (
    SELECT a.asset_id, 'inventory environment ' || a.environment AS why
    FROM assets a
    WHERE a.kind IN ('model', 'model_version') AND list_contains($environments::VARCHAR[], lower(a.environment))
    UNION ALL
    SELECT l.src_asset, 'deployed as ' || e.kind || ' ' || e.name || ' (' || e.environment || ')'
    FROM lineage l
    JOIN assets e ON e.asset_id = l.dst_asset
    JOIN assets m ON m.asset_id = l.src_asset
    WHERE l.relation = 'deployed_as' AND m.kind IN ('model', 'model_version')
      AND list_contains($environments::VARCHAR[], lower(e.environment))
      AND NOT coalesce(list_contains($environments::VARCHAR[], lower(m.environment)), false)
),
artifacts AS (
    SELECT asset_id, regexp_replace(loc, '[?#].*$', '') AS loc
    FROM (
        SELECT asset_id, locator AS loc FROM asset_locators WHERE kind IN ('exact', 'prefix')
        UNION
        SELECT asset_id, lower(uri) FROM assets WHERE uri IS NOT NULL
    )
    WHERE asset_id IN (SELECT asset_id FROM prod)
),
by_extension AS (
    SELECT asset_id,
           list(DISTINCT loc ORDER BY loc NOT LIKE '%://%', loc)
               FILTER (WHERE list_bool_or(list_transform($pickle_extensions::VARCHAR[], lambda x: ends_with(loc, x))))
               AS pickle_locators,
           coalesce(bool_or(list_bool_or(list_transform($safe_formats::VARCHAR[], lambda x: ends_with(loc, '.' || x)))),
                    false) AS safe_artifact
    FROM artifacts
    GROUP BY asset_id
),
scans AS (
    SELECT asset_id, id, run_id, scanner, scanned_at, kind, module_operator,
           replace(lower(target), '\', '/') AS path, lower(coalesce(member, '')) AS member
    FROM scan_results
    WHERE asset_id IN (SELECT asset_id FROM prod)
),
by_scan AS (
    SELECT asset_id, list(id ORDER BY id) AS scan_ids,
           list(DISTINCT path ORDER BY path) FILTER (
               WHERE list_bool_or(list_transform($pickle_extensions::VARCHAR[], lambda x: ends_with(path, x) OR ends_with(member, x)))
           ) AS pickle_files
    FROM scans
    GROUP BY asset_id
),
latest_run AS (
    SELECT asset_id, run_id, max(scanned_at) AS scanned_at
    FROM scans WHERE kind IN ('issue', 'scanned')
    GROUP BY asset_id, run_id
    QUALIFY row_number() OVER (PARTITION BY asset_id ORDER BY max(scanned_at) DESC NULLS LAST, run_id DESC) = 1
),
last_scan AS (
    -- what the latest actual scan (issue/scanned rows) of the asset's files said
    SELECT s.asset_id, string_agg(DISTINCT s.scanner, ', ') AS scanner, r.scanned_at,
           list(DISTINCT s.module_operator ORDER BY s.module_operator) FILTER (WHERE s.kind = 'issue') AS operators
    FROM scans s JOIN latest_run r USING (asset_id, run_id)
    WHERE s.kind IN ('issue', 'scanned')
    GROUP BY s.asset_id, r.scanned_at
),
served AS (
    SELECT l.src_asset AS asset_id, list(DISTINCT e.name ORDER BY e.name) AS endpoints
    FROM lineage l JOIN assets e ON e.asset_id = l.dst_asset
    WHERE l.relation = 'deployed_as' AND l.src_asset IN (SELECT asset_id FROM prod)
    GROUP BY ALL
),
judged AS (
    SELECT a.asset_id, a.kind, a.name, a.version, a.format, a.uri,
           (SELECT string_agg(DISTINCT why, '; ') FROM prod p WHERE p.asset_id = a.asset_id) AS why,
           x.pickle_locators, s.pickle_files, s.scan_ids,
           a.format IS NOT NULL
             AND list_has_any(string_split_regex(lower(a.format), '[^a-z0-9]+'), $pickle_formats::VARCHAR[])
             AND NOT list_has_any(string_split_regex(lower(a.format), '[^a-z0-9]+'), $safe_formats::VARCHAR[])
             AND NOT coalesce(x.safe_artifact, false) AS pickle_format
    FROM assets a
    LEFT JOIN by_extension x USING (asset_id)
    LEFT JOIN by_scan s USING (asset_id)
    WHERE a.asset_id IN (SELECT asset_id FROM prod)
)
SELECT
    j.asset_id AS key,
    j.asset_id,
    coalesce(j.pickle_locators[1], j.uri) AS resource,
    'Production ' || j.kind || ' ' || j.name || coalesce(' ' || j.version, '') || ' (' || j.why
      || coalesce(', serving ' || array_to_string(v.endpoints, ', '), '') || ') is a pickle — '
      || array_to_string(list_filter([
             CASE WHEN len(j.pickle_locators) > 0 THEN 'artifact ' || j.pickle_locators[1] END,
             CASE WHEN len(j.pickle_files) > 0 AND coalesce(len(j.pickle_locators), 0) = 0
                  THEN 'scanned file ' || j.pickle_files[1] END,
             CASE WHEN j.pickle_format THEN 'format ''' || j.format || '''' END
         ], lambda x: x IS NOT NULL), ', ')
      || ' — so loading it runs any code the file names'
      || CASE WHEN ls.asset_id IS NULL THEN '; no scan of it is loaded'
              WHEN len(ls.operators) > 0
              THEN '; its latest scan (' || ls.scanner || coalesce(', ' || strftime(ls.scanned_at, '%Y-%m-%d'), '')
                   || ') flagged ' || array_to_string(ls.operators, ', ')
              ELSE '; its latest scan (' || ls.scanner || coalesce(', ' || strftime(ls.scanned_at, '%Y-%m-%d'), '')
                   || ') found no unsafe operator' END
      || '.' AS summary,
    to_json({format: j.format, pickle_artifacts: j.pickle_locators, pickle_scanned_files: j.pickle_files,
             production_because: j.why, endpoints: v.endpoints, last_scan: ls.scanned_at,
             last_scan_operators: ls.operators}) AS details,
    j.scan_ids
FROM judged j
LEFT JOIN served v USING (asset_id)
LEFT JOIN last_scan ls USING (asset_id)
WHERE j.pickle_format OR len(j.pickle_locators) > 0 OR len(j.pickle_files) > 0
