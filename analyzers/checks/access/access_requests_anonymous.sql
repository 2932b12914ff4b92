-- Successful anonymous reads of ML objects, per store (bucket) and UTC day. Anonymous events are few:
-- they are filtered first; the inventory side (stores holding ML assets) is small.
WITH anon AS (
    SELECT id, ts, lower(resource) AS res, asset_id, source_ip, coalesce(bytes_out, 0) AS bytes, source_format,
           CASE WHEN lower(resource) LIKE '%://%'
                THEN split_part(lower(resource), '/', 1) || '//' || split_part(lower(resource), '/', 3)
                ELSE lower(resource) END AS store
    FROM access_events
    -- 'anonymous' is what every loader writes for an unauthenticated request; one equality is pushed into the scan
    WHERE principal = 'anonymous'
      AND outcome = 'success' AND list_contains($action_classes, action_class) AND resource IS NOT NULL
),
ml AS (
    SELECT asset_id, kind, environment, public FROM assets WHERE list_contains($ml_kinds, kind)
),
ml_stores AS (  -- stores where an inventoried ML asset lives, with the store's own asset (if inventoried)
    SELECT split_part(l.locator, '/', 1) || '//' || split_part(l.locator, '/', 3) AS store,
           max(CASE WHEN l.kind = 'prefix' AND l.locator = split_part(l.locator, '/', 1) || '//'
                         || split_part(l.locator, '/', 3) || '/' THEN m.asset_id END) AS store_asset
    FROM asset_locators l JOIN ml m USING (asset_id)
    WHERE l.locator LIKE '%://%' AND l.kind IN ('prefix', 'exact')
      AND NOT starts_with(l.locator, 'http://') AND NOT starts_with(l.locator, 'https://')  -- a web host is no store
    GROUP BY 1
),
hits AS (
    SELECT a.*, m.kind, m.environment, m.public, s.store_asset, sa.public AS store_public
    FROM anon a
    LEFT JOIN ml m ON m.asset_id = a.asset_id
    LEFT JOIN ml_stores s ON s.store = a.store
    LEFT JOIN assets sa ON sa.asset_id = s.store_asset
    WHERE m.asset_id IS NOT NULL OR s.store IS NOT NULL
),
per_source AS (  -- CloudTrail data events and S3 access logs can record the same request
    SELECT store, ts::DATE AS day, source_format, count(*) AS n, sum(bytes) AS bytes
    FROM hits GROUP BY ALL
),
best AS (
    SELECT store, day, arg_max(n, n) AS requests, arg_max(bytes, n) AS bytes FROM per_source GROUP BY ALL
),
windows AS (
    SELECT store, ts::DATE AS day, min(ts) AS first_ts, max(ts) AS last_ts,
           count(DISTINCT res) AS objects, count(DISTINCT source_ip) AS ips,
           list(DISTINCT source_ip ORDER BY source_ip) FILTER (WHERE source_ip IS NOT NULL) AS ip_list,
           list(DISTINCT asset_id ORDER BY asset_id) FILTER (WHERE asset_id IS NOT NULL) AS assets,
           list(DISTINCT asset_id ORDER BY asset_id)
               FILTER (WHERE environment = 'prod' AND kind NOT IN ('bucket', 'registry')) AS prod_assets,
           bool_and(coalesce(public, store_public, false)) AS intended_public,
           any_value(store_asset) AS store_asset,
           any_value(asset_id) AS any_asset,
           list(id ORDER BY ts, id) AS ids
    FROM hits GROUP BY ALL
)
SELECT
    w.store || '|' || strftime(w.day, '%Y-%m-%d') AS key,
    'anonymous' AS principal,
    coalesce(w.store_asset, w.any_asset) AS asset_id,
    w.store AS resource,
    w.first_ts AS first_seen,
    w.last_ts AS last_seen,
    CASE WHEN w.intended_public THEN 'low' WHEN len(w.prod_assets) > 0 THEN 'critical' ELSE 'high' END AS severity,
    fmt_int(b.requests) || ' anonymous request' || CASE WHEN b.requests > 1 THEN 's' ELSE '' END
      || ' read ' || fmt_int(w.objects) || ' object' || CASE WHEN w.objects > 1 THEN 's' ELSE '' END || ' ('
      || CASE WHEN b.bytes >= 1e9 THEN round(b.bytes / 1e9, 1) || ' GB'
              WHEN b.bytes >= 1e6 THEN round(b.bytes / 1e6, 1) || ' MB'
              WHEN b.bytes >= 1e3 THEN round(b.bytes / 1e3, 1) || ' kB'
              ELSE b.bytes || ' bytes' END || ')'
      || CASE WHEN len(w.assets) > 0
              THEN ' of ' || array_to_string(w.assets[1:3], ', ') || CASE WHEN len(w.assets) > 3 THEN ', ...' ELSE '' END
                   || CASE WHEN len(w.prod_assets) > 0 THEN ' (production)' ELSE '' END
              ELSE '' END
      || ' in ' || w.store || ' on ' || strftime(w.day, '%Y-%m-%d') || ' between '
      || strftime(w.first_ts, '%H:%M') || ' and ' || strftime(w.last_ts, '%H:%M') || ' UTC, from '
      || w.ips || ' address' || CASE WHEN w.ips = 1 THEN '' ELSE 'es' END
      || CASE WHEN w.ips > 0 THEN ' (' || array_to_string(w.ip_list[1:4], ', ')
                                 || CASE WHEN w.ips > 4 THEN ', ...' ELSE '' END || ')' ELSE '' END
      || CASE WHEN w.intended_public THEN '; the inventory marks it public' ELSE '' END
      || '.' AS summary,
    to_json({requests: b.requests, bytes: b.bytes, objects: w.objects, source_ips: w.ip_list, assets: w.assets,
             production_assets: w.prod_assets, inventory_public: w.intended_public}) AS details,
    w.ids AS event_ids,
    len(w.ids) AS evidence_count
FROM windows w JOIN best b USING (store, day)
