-- Model and dataset objects downloaded through presigned URLs (S3 access logs: authentication type
-- QueryString; CloudTrail data events: additionalEventData.AuthenticationMethod = QueryString). One
-- finding per signer, asset (or bucket) and UTC day. A caller is the principal, except that a role
-- whose session names are generated (an instance id, an SDK session number, a task UUID) is judged
-- as the role, so a new session is no new caller.
WITH ml_assets AS (
    SELECT asset_id, kind, environment, classification,
           environment = 'prod'
           OR regexp_matches(lower(coalesce(classification, '')), 'confidential|restricted|secret|pii|sensitive')
               AS sensitive
    FROM assets
),
presigned AS (
    -- auth_type = 'QueryString' is selective: the rest of the test runs on few rows
    SELECT e.id, e.ts, e.principal, e.source_ip, e.user_agent, e.resource, e.asset_id,
           caller(e.principal, e.principal_role, e.principal_type) AS identity,
           coalesce(e.bytes_out, e.object_size, 0) AS bytes,
           -- the asset, else the store (s3://bucket/) the object lives in
           coalesce(e.asset_id, nullif(regexp_extract(e.resource, '^[a-zA-Z0-9+.-]+://[^/]+/', 0), ''), e.resource)
               AS target
    FROM access_events e
    WHERE e.auth_type = 'QueryString' AND e.action_class = 'read' AND e.outcome = 'success'
      AND e.principal IS NOT NULL
      AND e.action IN ('GetObject', 'REST.GET.OBJECT', 'REST.COPY.OBJECT_GET', 'WEBSITE.GET.OBJECT',
                       'storage.objects.get', 'GetBlob', 'CopyObject')
      AND (e.asset_id IN (SELECT asset_id FROM ml_assets
                          WHERE kind IN ('model', 'model_version', 'dataset', 'bucket', 'registry', 'feature_group'))
           OR regexp_matches(lower(e.resource),
                '\.(pkl|pickle|pt|pth|bin|safetensors|ckpt|h5|hdf5|keras|onnx|gguf|ggml|joblib|npz|pb|tflite|mlmodel|msgpack|mar|nemo|parquet|csv|jsonl|tfrecord|arrow)(\.gz)?$|(^|/)model[^/]*\.tar\.gz$'))
),
history AS (
    -- On how many earlier days the signer already downloaded this target through presigned URLs.
    SELECT identity, target, day, row_number() OVER (PARTITION BY identity, target ORDER BY day) - 1 AS earlier_days
    FROM (SELECT DISTINCT identity, target, ts::DATE AS day FROM presigned)
),
presigned_at AS (SELECT identity, source_ip, ts AS at_ts FROM presigned),
novel AS (SELECT * FROM novel_addresses('presigned_at', $known_address_principals)),
days AS (
    SELECT p.identity, p.target, p.ts::DATE AS day,
           -- the session when there was one, else the role
           CASE WHEN count(DISTINCT p.principal) = 1 THEN any_value(p.principal) ELSE p.identity END AS principal,
           min(p.ts) AS first_seen, max(p.ts) AS last_seen, count(*) AS n, sum(p.bytes) AS bytes,
           count(DISTINCT p.resource) AS objects, any_value(p.resource) AS one_resource,
           any_value(p.asset_id) AS asset_id, max(h.earlier_days) AS earlier_days,
           coalesce(list(DISTINCT p.source_ip ORDER BY p.source_ip) FILTER (WHERE p.source_ip IS NOT NULL), [])
               AS ips,
           coalesce(list(DISTINCT p.source_ip ORDER BY p.source_ip) FILTER (WHERE n.is_new), []) AS new_ips,
           coalesce(list(DISTINCT p.user_agent ORDER BY p.user_agent) FILTER (WHERE p.user_agent IS NOT NULL), [])
               AS agents,
           list(p.id ORDER BY p.ts, p.id) AS event_ids
    FROM presigned p
    JOIN history h ON h.identity = p.identity AND h.target = p.target AND h.day = p.ts::DATE
    LEFT JOIN novel n ON n.identity = p.identity AND n.source_ip = p.source_ip AND n.at_ts = p.ts
    GROUP BY p.identity, p.target, p.ts::DATE
)
SELECT
    d.identity || '|' || d.target || '|' || strftime(d.day, '%Y-%m-%d') AS key,
    d.principal, d.asset_id,
    CASE WHEN d.objects = 1 THEN d.one_resource ELSE d.target END AS resource,
    d.first_seen, d.last_seen,
    short_name(d.principal) || ' downloaded ' || d.objects || ' object'
      || CASE WHEN d.objects > 1 THEN 's' ELSE '' END || ' of ' || d.target
      || CASE WHEN m.asset_id IS NOT NULL THEN ' (' || concat_ws(', ', m.environment, m.classification) || ')'
              ELSE '' END
      || ' through ' || CASE WHEN d.n > 1 THEN 'presigned URLs' ELSE 'a presigned URL' END || ' (' || d.n
      || ' request' || CASE WHEN d.n > 1 THEN 's' ELSE '' END || ', '
      || CASE WHEN d.bytes >= 1e9 THEN printf('%.1f GB', d.bytes / 1e9) ELSE printf('%.0f MB', d.bytes / 1e6) END
      || CASE WHEN len(d.agents) = 1 THEN ', user agent ' || d.agents[1] ELSE '' END || ') on '
      || strftime(d.day, '%Y-%m-%d')
      || CASE WHEN len(d.new_ips) > 0
              THEN '; from ' || array_to_string(d.new_ips, ', ') || ', an address never seen for this caller before'
              WHEN len(d.ips) > 0 THEN '; from ' || array_to_string(d.ips, ', ') || ', a known address'
              ELSE '' END
      || CASE WHEN d.earlier_days > 0
              THEN '; it did so on ' || d.earlier_days || ' earlier days' ELSE '' END AS summary,
    CASE WHEN len(d.new_ips) > 0 AND coalesce(m.sensitive, false) THEN 'high'
         WHEN len(d.new_ips) = 0 AND d.earlier_days >= $habitual_days THEN 'low' END AS severity,
    to_json({requests: d.n, objects: d.objects, bytes: d.bytes, source_ips: d.ips, new_source_ips: d.new_ips,
             user_agents: d.agents, earlier_days: d.earlier_days,
             environment: m.environment, classification: m.classification}) AS details,
    d.event_ids,
    len(d.event_ids) AS evidence_count
FROM days d
LEFT JOIN ml_assets m ON m.asset_id = d.target
