-- A scanned model file whose sha256 differs from the hash the inventory records for the asset whose
-- artifact it is. Linking by hash cannot place such a file, so it is placed by location: the scanned path
-- ends with the asset's object key — bucket/key of an exact URI locator or of its uri, or the key alone when
-- it has a folder — case-insensitively with '\' read as '/'; an exact local-path locator also matches; the
-- longest match wins. Each file's latest hashed scan decides (a restored file stops firing).
WITH hashed AS (
    SELECT id, run_id, target, lower(sha256) AS sha256, scanned_at, kind, module_operator,
           replace(lower(target), '\', '/') AS path
    FROM scan_results
    WHERE sha256 IS NOT NULL AND target <> ''
),
latest AS (
    SELECT target, path, sha256 FROM hashed
    QUALIFY row_number() OVER (PARTITION BY target ORDER BY scanned_at DESC NULLS LAST, run_id DESC, id DESC) = 1
),
recorded AS (
    SELECT asset_id, list(DISTINCT sha ORDER BY sha) AS hashes
    FROM (
        SELECT asset_id, lower(sha256) AS sha FROM assets WHERE sha256 IS NOT NULL
        UNION
        SELECT asset_id, locator FROM asset_locators WHERE kind = 'sha256'
    )
    GROUP BY asset_id
),
objects AS (
    SELECT DISTINCT asset_id, locator, parts.bucket AS bucket, parts.key AS key,
           regexp_extract(parts.key, '[^/]+$') AS base
    FROM (
        SELECT asset_id, locator,
               regexp_extract(locator, '^[a-z][a-z0-9+.-]*://([^/]+)/(.*[^/])$', ['bucket', 'key']) AS parts
        FROM asset_locators WHERE kind = 'exact'
        UNION ALL
        SELECT asset_id, lower(uri),
               regexp_extract(lower(uri), '^[a-z][a-z0-9+.-]*://([^/]+)/(.*[^/])$', ['bucket', 'key'])
        FROM assets WHERE uri IS NOT NULL
    )
    WHERE parts.key <> '' AND asset_id IN (SELECT asset_id FROM recorded)
),
key_counts AS (
    SELECT asset_id, count(DISTINCT bucket || '/' || key) AS n_keys FROM objects GROUP BY asset_id
),
located AS (
    SELECT f.target, o.asset_id, o.locator,
           CASE WHEN ends_with(f.path, '/' || o.bucket || '/' || o.key) THEN strlen(o.bucket || o.key) + 1
                ELSE strlen(o.key) END AS strength
    FROM latest f
    JOIN objects o ON regexp_extract(f.path, '[^/]+$') = o.base
    WHERE ends_with(f.path, '/' || o.bucket || '/' || o.key) OR (ends_with(f.path, '/' || o.key) AND contains(o.key, '/'))
    UNION ALL
    SELECT f.target, l.asset_id, l.locator, 100000 AS strength
    FROM latest f
    JOIN asset_locators l ON l.kind = 'exact' AND l.locator = f.path
    WHERE l.asset_id IN (SELECT asset_id FROM recorded)
),
best AS (
    SELECT target, asset_id, min(locator) AS locator
    FROM (SELECT * FROM located QUALIFY rank() OVER (PARTITION BY target ORDER BY strength DESC) = 1)
    GROUP BY ALL
),
checked AS (
    -- an asset with several object keys but fewer recorded hashes cannot say which hash is this file's
    SELECT b.target, b.asset_id, b.locator, f.sha256, r.hashes
    FROM best b
    JOIN latest f USING (target)
    JOIN recorded r USING (asset_id)
    LEFT JOIN key_counts k USING (asset_id)
    WHERE coalesce(k.n_keys, 0) <= 1 OR len(r.hashes) >= k.n_keys
),
mismatched AS (
    -- a file equal to the recorded hash of any equally good candidate is fine
    SELECT c.* FROM checked c
    WHERE NOT EXISTS (SELECT 1 FROM checked c2 WHERE c2.target = c.target AND list_contains(c2.hashes, c.sha256))
),
grouped AS (
    SELECT m.asset_id, m.sha256, any_value(m.hashes) AS hashes, min(m.locator) AS locator,
           list(DISTINCT m.target ORDER BY m.target) AS targets
    FROM mismatched m
    GROUP BY m.asset_id, m.sha256
),
evidence AS (
    SELECT g.asset_id, g.sha256, list(h.id ORDER BY h.id) AS scan_ids,
           min(h.scanned_at) AS first_seen, max(h.scanned_at) AS last_seen,
           list(DISTINCT h.module_operator ORDER BY h.module_operator) FILTER (WHERE h.kind = 'issue') AS operators
    FROM grouped g
    JOIN hashed h ON h.sha256 = g.sha256 AND list_contains(g.targets, h.target)
    GROUP BY ALL
),
owners AS (
    -- other inventory assets that record the observed hash (a swapped-in older or foreign version)
    SELECT g.asset_id, g.sha256, list(DISTINCT r.asset_id ORDER BY r.asset_id) AS others
    FROM grouped g JOIN recorded r ON list_contains(r.hashes, g.sha256) AND r.asset_id <> g.asset_id
    GROUP BY ALL
)
SELECT
    g.asset_id || '|' || g.sha256 AS key,
    g.asset_id,
    coalesce(CASE WHEN g.locator LIKE '%://%' THEN g.locator END, a.uri, g.targets[1]) AS resource,
    e.first_seen,
    e.last_seen,
    'The file scanned at ' || g.targets[1]
      || CASE WHEN len(g.targets) > 1 THEN ' (and ' || (len(g.targets) - 1) || ' other paths)' ELSE '' END
      || coalesce(' on ' || strftime(e.last_seen, '%Y-%m-%d %H:%M') || ' UTC', '')
      || ', the artifact of ' || a.kind || ' ' || a.name || coalesce(' ' || a.version, '')
      || CASE WHEN g.locator LIKE '%://%' THEN ' (' || g.locator || ')' ELSE '' END
      || ', has sha256 ' || left(g.sha256, 12) || '… but the inventory records '
      || array_to_string(list_transform(g.hashes, lambda h: left(h, 12) || '…'), ' / ')
      || CASE WHEN o.others IS NOT NULL
              THEN '; the file''s hash is the one recorded for ' || array_to_string(o.others, ', ')
              ELSE '; no inventory asset records that hash' END
      || CASE WHEN len(e.operators) > 0
              THEN ', and the scanner flagged ' || array_to_string(e.operators, ', ') || ' in it'
              ELSE '' END
      || '.' AS summary,
    to_json({observed_sha256: g.sha256, recorded_sha256: g.hashes, scanned_paths: g.targets,
             object: g.locator, recorded_for: o.others, flagged_operators: e.operators,
             environment: a.environment}) AS details,
    e.scan_ids
FROM grouped g
JOIN evidence e USING (asset_id, sha256)
JOIN assets a USING (asset_id)
LEFT JOIN owners o USING (asset_id, sha256)
