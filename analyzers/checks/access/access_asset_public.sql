-- Assets the inventory flags public, with what they hold and the anonymous requests the logs show
-- against them. Anonymous events are few, so they are filtered first and joined set-wise.
WITH pub AS (
    SELECT asset_id, kind, name, uri, environment, classification
    FROM assets
    WHERE public AND list_contains($kinds, kind)
),
held AS (  -- inventoried assets stored in a public store
    SELECT p.asset_id, a.asset_id AS held_id, a.environment AS held_env, a.classification AS held_class
    FROM pub p
    JOIN lineage l ON l.dst_asset = p.asset_id AND l.relation = 'stored_in'
    JOIN assets a ON a.asset_id = l.src_asset
),
held_agg AS (
    SELECT asset_id, list(DISTINCT held_id ORDER BY held_id) AS held_ids,
           bool_or(held_env = 'prod') AS holds_prod,
           bool_or(held_env = 'prod' AND list_contains($sensitive_classifications, lower(held_class)))
               AS holds_sensitive_prod
    FROM held GROUP BY asset_id
),
anon AS (
    SELECT id, ts, lower(resource) AS res, asset_id, source_ip, bytes_out, source_format
    FROM access_events
    -- 'anonymous' is what every loader writes for an unauthenticated request; one equality is pushed into the scan
    WHERE principal = 'anonymous' AND outcome = 'success'
),
hits AS (  -- the event is linked to the asset, to something it holds, or lies under one of its locators
    SELECT p.asset_id, a.* FROM pub p JOIN anon a ON a.asset_id = p.asset_id
    UNION
    SELECT h.asset_id, a.* FROM held h JOIN anon a ON a.asset_id = h.held_id
    UNION
    SELECT p.asset_id, a.* FROM pub p
    JOIN asset_locators l ON l.asset_id = p.asset_id
    JOIN anon a ON (l.kind = 'exact' AND a.res = l.locator)
                OR (l.kind = 'prefix' AND starts_with(a.res || '/', l.locator))
),
per_source AS (  -- CloudTrail data events and S3 access logs can record the same request: count per source
    SELECT asset_id, source_format, count(*) AS n, sum(coalesce(bytes_out, 0)) AS bytes
    FROM hits GROUP BY ALL
),
anon_agg AS (
    SELECT h.asset_id, s.n AS requests, s.bytes, count(DISTINCT h.source_ip) AS ips,
           min(h.ts) AS first_ts, max(h.ts) AS last_ts, list(DISTINCT h.id) AS ids
    FROM hits h
    JOIN (SELECT asset_id, arg_max(n, n) AS n, arg_max(bytes, n) AS bytes FROM per_source GROUP BY asset_id) s
      USING (asset_id)
    GROUP BY h.asset_id, s.n, s.bytes
),
scored AS (
    SELECT p.*, coalesce(h.held_ids, []) AS held_ids,
           coalesce(p.environment = 'prod', false) OR coalesce(h.holds_prod, false) AS is_prod,
           p.environment IS NULL AND NOT coalesce(h.holds_prod, false) AS env_unknown,
           (coalesce(p.environment = 'prod', false)
              AND list_contains($sensitive_classifications, lower(p.classification)))
             OR coalesce(h.holds_sensitive_prod, false) AS sensitive_prod,
           coalesce(x.requests, 0) AS requests, coalesce(x.bytes, 0) AS bytes, coalesce(x.ips, 0) AS ips,
           x.first_ts, x.last_ts, coalesce(x.ids, []) AS ids
    FROM pub p LEFT JOIN held_agg h USING (asset_id) LEFT JOIN anon_agg x USING (asset_id)
)
SELECT
    asset_id AS key,
    asset_id,
    uri AS resource,
    first_ts AS first_seen,
    last_ts AS last_seen,
    CASE WHEN sensitive_prod THEN 'critical' WHEN is_prod OR env_unknown THEN 'high' ELSE 'medium' END
        AS severity,
    kind || ' ' || name || ' ('
      || coalesce(environment, 'no environment') || ', '
      || coalesce('classified ' || classification, 'unclassified')
      || ') is marked public in the inventory; '
      || CASE WHEN len(held_ids) = 0 THEN 'it holds no other inventoried ML asset'
              ELSE 'it holds ' || len(held_ids) || ' inventoried ML asset' || CASE WHEN len(held_ids) > 1 THEN 's' ELSE '' END
                   || ' (' || array_to_string(held_ids[1:5], ', ')
                   || CASE WHEN len(held_ids) > 5 THEN ', ...' ELSE '' END || ')' END
      || '; '
      || CASE WHEN requests = 0 THEN 'the loaded logs show no anonymous request to it'
              ELSE fmt_int(requests) || ' anonymous request' || CASE WHEN requests > 1 THEN 's' ELSE '' END
                   || ' from ' || ips || ' address' || CASE WHEN ips > 1 THEN 'es' ELSE '' END
                   || ' read ' || CASE WHEN bytes >= 1e9 THEN round(bytes / 1e9, 1) || ' GB'
                                       WHEN bytes >= 1e6 THEN round(bytes / 1e6, 1) || ' MB'
                                       WHEN bytes >= 1e3 THEN round(bytes / 1e3, 1) || ' kB'
                                       ELSE bytes || ' bytes' END
                   || ' between ' || strftime(first_ts, '%Y-%m-%d %H:%M') || ' and '
                   || strftime(last_ts, '%Y-%m-%d %H:%M') || ' UTC' END
      || '.' AS summary,
    to_json({kind: kind, environment: environment, classification: classification, held_assets: held_ids,
             anonymous_requests: requests, anonymous_bytes: bytes, anonymous_ips: ips}) AS details,
    ids AS event_ids,
    len(ids) AS evidence_count
FROM scored
