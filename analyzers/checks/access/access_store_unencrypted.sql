-- Inventory assets flagged encrypted=false, plus DeleteBucketEncryption events on buckets that hold ML assets.
WITH flagged AS (
    SELECT asset_id, kind, name, uri, environment, classification
    FROM assets WHERE encrypted = false AND list_contains($kinds, kind)
),
held AS (
    SELECT l.dst_asset AS asset_id, list(DISTINCT l.src_asset ORDER BY l.src_asset) AS held_ids
    FROM lineage l JOIN flagged f ON f.asset_id = l.dst_asset
    WHERE l.relation = 'stored_in' GROUP BY 1
),
deletions AS (
    SELECT id, event_id, ts, principal, lower(resource) AS res, asset_id,
           split_part(lower(resource), '/', 3) AS bucket
    FROM access_events
    WHERE action = 'DeleteBucketEncryption' AND outcome = 'success' AND starts_with(lower(resource), 's3://')
),
bucket_assets AS (  -- inventoried ML assets whose locators lie in a bucket that lost its encryption setting
    SELECT DISTINCT split_part(l.locator, '/', 3) AS bucket, a.asset_id, a.kind, a.environment
    FROM asset_locators l JOIN assets a USING (asset_id)
    WHERE starts_with(l.locator, 's3://') AND list_contains($kinds, a.kind)
      AND split_part(l.locator, '/', 3) IN (SELECT bucket FROM deletions)
),
deletion_scope AS (
    SELECT d.id, list(DISTINCT b.asset_id ORDER BY b.asset_id) FILTER (WHERE b.kind <> 'bucket') AS held_ids,
           list(DISTINCT b.asset_id ORDER BY b.asset_id)
               FILTER (WHERE b.kind <> 'bucket' AND b.environment = 'prod') AS prod_ids,
           max(CASE WHEN b.kind = 'bucket' THEN b.asset_id END) AS bucket_asset
    FROM deletions d JOIN bucket_assets b USING (bucket)
    GROUP BY d.id
)
SELECT
    f.asset_id AS key,
    f.asset_id,
    f.uri AS resource,
    NULL::TIMESTAMPTZ AS first_seen,
    NULL::TIMESTAMPTZ AS last_seen,
    NULL::VARCHAR AS principal,
    CASE WHEN f.environment = 'prod' AND list_contains($sensitive_classifications, lower(f.classification))
         THEN 'high' ELSE 'medium' END AS severity,
    f.kind || ' ' || f.name || ' (' || coalesce(f.environment, 'no environment') || ', '
      || coalesce('classified ' || f.classification, 'unclassified')
      || ') is not encrypted at rest according to the inventory'
      || CASE WHEN len(coalesce(h.held_ids, [])) > 0
              THEN '; it holds ' || array_to_string(h.held_ids[1:5], ', ')
                   || CASE WHEN len(h.held_ids) > 5 THEN ', ...' ELSE '' END
              ELSE '' END || '.' AS summary,
    to_json({kind: f.kind, environment: f.environment, classification: f.classification,
             held_assets: coalesce(h.held_ids, [])}) AS details,
    []::BIGINT[] AS event_ids,
    0 AS evidence_count
FROM flagged f LEFT JOIN held h USING (asset_id)
UNION ALL
SELECT
    d.bucket || '|DeleteBucketEncryption|' || d.event_id AS key,
    coalesce(s.bucket_asset, d.asset_id) AS asset_id,
    d.res AS resource,
    d.ts AS first_seen,
    d.ts AS last_seen,
    d.principal,
    CASE WHEN len(coalesce(s.prod_ids, [])) > 0 THEN 'high' ELSE 'medium' END AS severity,
    coalesce(short_name(d.principal), 'an unknown principal') || ' deleted the default-encryption configuration of '
      || d.bucket || ' at ' || strftime(d.ts, '%Y-%m-%d %H:%M') || ' UTC; it holds '
      || CASE WHEN len(coalesce(s.held_ids, [])) = 0 THEN 'no inventoried model or dataset'
              ELSE len(s.held_ids) || ' ML asset' || CASE WHEN len(s.held_ids) > 1 THEN 's' ELSE '' END || ' ('
                   || array_to_string(s.held_ids[1:4], ', ') || CASE WHEN len(s.held_ids) > 4 THEN ', ...' ELSE '' END
                   || CASE WHEN len(s.prod_ids) > 0 THEN ', ' || len(s.prod_ids) || ' in production' ELSE '' END
                   || ')' END
      || '; new objects now get only the S3-managed default key (no customer-managed KMS key).' AS summary,
    to_json({change: 'DeleteBucketEncryption', bucket: d.bucket, held_assets: coalesce(s.held_ids, []),
             production_assets: coalesce(s.prod_ids, [])}) AS details,
    [d.id] AS event_ids,
    1 AS evidence_count
FROM deletions d JOIN deletion_scope s USING (id)
