-- Model weights leaving the store. Two ways to fire, per caller:
--   bulk:    within window_hours it downloaded >= min_artifacts model artifacts it had never
--            downloaded before, or >= min_bytes of them;
--   unusual: after the learning period, it pulled a production model of which it never pulled any
--            version before.
-- Downloads that are part of deploying or serving never count: the caller deployed that model or an
-- endpoint serving it, is the execution role named when the model was created, or wrote that
-- artifact itself. A caller is the principal, except that a role whose session names are generated
-- (an instance id, an SDK session number, a task UUID) is judged as the role, so a new session is no
-- new caller.
WITH model_assets AS (
    SELECT asset_id, kind, name, environment FROM assets WHERE kind IN ('model', 'model_version')
),
raw_reads AS (
    -- Object downloads by name, of model assets or of files with a model-weight extension. Two
    -- branches, so each filter is pushed into its scan (one OR across both costs 5x more when most
    -- downloads are something else); a constant action list, as an IN-subquery over access_events
    -- would be planned the wrong way round.
    SELECT id, ts, principal, principal_type, principal_role, source_ip, auth_type, resource, asset_id,
           coalesce(bytes_out, object_size, 0) AS bytes
    FROM access_events
    WHERE action_class = 'read' AND outcome = 'success' AND principal IS NOT NULL AND resource IS NOT NULL
      AND action IN ('GetObject', 'REST.GET.OBJECT', 'REST.COPY.OBJECT_GET', 'WEBSITE.GET.OBJECT',
                     'storage.objects.get', 'GetBlob', 'CopyObject')
      AND asset_id IN (SELECT asset_id FROM model_assets)
    UNION ALL
    SELECT id, ts, principal, principal_type, principal_role, source_ip, auth_type, resource, asset_id,
           coalesce(bytes_out, object_size, 0) AS bytes
    FROM access_events
    WHERE action_class = 'read' AND outcome = 'success' AND principal IS NOT NULL
      AND action IN ('GetObject', 'REST.GET.OBJECT', 'REST.COPY.OBJECT_GET', 'WEBSITE.GET.OBJECT',
                     'storage.objects.get', 'GetBlob', 'CopyObject')
      AND resource LIKE '%.%'  -- a cheap test before the regex
      AND (lower(regexp_extract(resource, '\.([A-Za-z0-9]+)$', 1)) IN (
               'pkl', 'pickle', 'pt', 'pth', 'bin', 'safetensors', 'ckpt', 'h5', 'hdf5', 'keras', 'onnx',
               'gguf', 'ggml', 'joblib', 'npz', 'pb', 'tflite', 'mlmodel', 'msgpack', 'mar', 'nemo')
           OR lower(resource) LIKE '%model%.tar.gz')
      AND (asset_id IS NULL OR asset_id NOT IN (SELECT asset_id FROM model_assets))
),
reads AS (
    -- identity: the caller baselines are kept for; role: who may deploy (any session of the role)
    SELECT r.* EXCLUDE (principal_type, principal_role),
           caller(r.principal, r.principal_role, r.principal_type) AS identity,
           CASE WHEN is_human(r.principal, r.principal_type) THEN r.principal
                ELSE coalesce(r.principal_role, r.principal) END AS role
    FROM raw_reads r
),
deploys AS (
    -- Creating or updating a model, an endpoint or an inference component, or any "deploy" call: the
    -- deploying role (any of its sessions) and the execution role it names may pull the weights.
    SELECT CASE WHEN is_human(principal, principal_type) THEN principal
                ELSE coalesce(principal_role, principal) END AS role,
           asset_id,
           raw->>'$.requestParameters.executionRoleArn' AS exec_role,
           lower(coalesce(raw->>'$.requestParameters.primaryContainer.modelDataUrl',
                          raw->>'$.requestParameters.containers[0].modelDataUrl',
                          raw->>'$.requestParameters.modelDataUrl')) AS data_url
    FROM access_events
    WHERE action_class IN ('write', 'admin') AND outcome = 'success'
      AND (action IN ('CreateModel', 'CreateEndpoint', 'CreateEndpointConfig', 'UpdateEndpoint',
                      'UpdateEndpointWeightsAndCapacities', 'CreateInferenceComponent', 'UpdateInferenceComponent',
                      'CreateTransformJob')
           OR action ILIKE '%deploy%')
),
deploy_roles AS (
    -- Who deploys (the caller) and who serves (the execution role it names).
    SELECT role AS who, asset_id, data_url FROM deploys
    UNION SELECT exec_role, asset_id, data_url FROM deploys WHERE exec_role IS NOT NULL
),
url_assets AS (
    SELECT d.data_url, arg_max(l.asset_id, strlen(l.locator)) AS asset_id
    FROM (SELECT DISTINCT data_url FROM deploy_roles WHERE data_url IS NOT NULL) d
    JOIN asset_locators l
      ON (l.kind = 'exact' AND l.locator = d.data_url)
      OR (l.kind = 'prefix' AND starts_with(d.data_url, l.locator))
    GROUP BY d.data_url
),
deployers AS (
    SELECT who, asset_id FROM deploy_roles WHERE asset_id IS NOT NULL
    UNION  -- a model deployed as the endpoint that was created or updated
    SELECT r.who, g.src_asset FROM deploy_roles r
    JOIN lineage g ON g.relation = 'deployed_as' AND g.dst_asset = r.asset_id
    UNION  -- the artifact named as the model's data
    SELECT r.who, u.asset_id FROM deploy_roles r JOIN url_assets u ON u.data_url = r.data_url
),
writers AS (
    -- Who wrote the artifacts that were read (a training pipeline reading back its own output).
    SELECT DISTINCT CASE WHEN is_human(w.principal, w.principal_type) THEN w.principal
                         ELSE coalesce(w.principal_role, w.principal) END AS role, w.resource
    FROM access_events w
    WHERE w.action_class = 'write' AND w.outcome = 'success'
      -- LIMIT only caps the planner's estimate, so it builds its hash table on these few resources
      -- rather than on access_events (5-10x faster); a million is far above what this set holds.
      AND w.resource IN (SELECT DISTINCT resource FROM reads LIMIT 1000000)
),
artifacts AS (
    -- Each artifact once per caller: when it first downloaded it. Whether downloads are expected
    -- (deploy, serving, own output) depends only on who and what, so it is decided here, per artifact,
    -- on a few rows instead of per download.
    -- grouped on a hash of the four keys: a third of the time of grouping on the strings
    SELECT any_value(identity) AS identity, any_value(role) AS role, any_value(resource) AS resource,
           any_value(asset_id) AS asset_id, min(ts) AS ts, arg_min(bytes, ts) AS bytes
    FROM reads GROUP BY hash(identity, role, resource, asset_id)
),
first_pulls AS (
    SELECT a.identity, a.resource, a.asset_id, min(a.ts) AS ts, arg_min(a.bytes, a.ts) AS bytes
    FROM artifacts a
    ANTI JOIN deployers d ON d.who = a.role AND d.asset_id = a.asset_id
    ANTI JOIN deploy_roles u ON u.who = a.role AND u.data_url = lower(a.resource)
    ANTI JOIN writers w ON w.role = a.role AND w.resource = a.resource
    GROUP BY a.identity, a.resource, a.asset_id
),
windowed AS (
    SELECT *,
           count(*) OVER w AS n_window,
           sum(bytes) OVER w AS bytes_window
    FROM first_pulls
    WINDOW w AS (PARTITION BY identity ORDER BY ts RANGE BETWEEN to_hours($window_hours) PRECEDING AND CURRENT ROW)
),
hot AS (
    SELECT identity, ts,
           CASE WHEN lag(ts) OVER (PARTITION BY identity ORDER BY ts) >= ts - to_hours($window_hours)
                THEN 0 ELSE 1 END AS starts
    FROM windowed
    WHERE n_window >= $min_artifacts OR bytes_window >= $min_bytes
),
bulk_episodes AS (
    SELECT identity, min(ts) - to_hours($window_hours) AS win_start, max(ts) AS win_end
    FROM (SELECT *, sum(starts) OVER (PARTITION BY identity ORDER BY ts) AS episode FROM hot)
    GROUP BY identity, episode
),
sessions AS (
    -- Downloads less than session_gap_minutes apart form one session: the bulk finding shows the
    -- whole session, also the downloads of artifacts the caller had fetched before. Only the
    -- downloads around a bulk episode are put in sessions.
    SELECT *, sum(starts) OVER (PARTITION BY identity, win_start ORDER BY ts, id) AS session
    FROM (SELECT p.*, b.win_start,
                 CASE WHEN lag(p.ts) OVER (PARTITION BY p.identity, b.win_start ORDER BY p.ts, p.id)
                           >= p.ts - to_minutes($session_gap_minutes) THEN 0 ELSE 1 END AS starts
          FROM reads p
          -- LIMIT only caps the planner's estimate, so it builds its hash tables on these few rows
          -- rather than on the downloads (5-10x faster); a million is far above what they hold.
          JOIN (SELECT * FROM bulk_episodes LIMIT 1000000) b ON b.identity = p.identity
           AND p.ts >= b.win_start AND p.ts <= b.win_end + to_hours($window_hours)
          SEMI JOIN (SELECT identity, resource FROM first_pulls LIMIT 1000000) f
            ON f.identity = p.identity AND f.resource = p.resource)
),
bulk_sessions AS (
    SELECT DISTINCT b.identity, b.win_start, b.win_end, s.session
    FROM bulk_episodes b
    JOIN first_pulls f ON f.identity = b.identity AND f.ts >= b.win_start AND f.ts <= b.win_end
    JOIN sessions s ON s.identity = f.identity AND s.win_start = b.win_start
     AND s.resource = f.resource AND s.ts = f.ts
),
bulk_evidence AS (
    SELECT b.identity || '|' || strftime(date_trunc('hour', min(s.ts) OVER (PARTITION BY b.identity, b.win_start)),
                                         '%Y-%m-%dT%H') AS key,
           'bulk' AS path, s.* EXCLUDE (starts, session, win_start, role)
    FROM bulk_sessions b
    JOIN sessions s ON s.identity = b.identity AND s.win_start = b.win_start AND s.session = b.session
),
store AS (
    SELECT min(ts) + to_days($learning_days) AS learned_from FROM access_events
),
family_first AS (
    -- The first time the caller pulled any version of each model.
    SELECT f.identity, m.kind, m.name, min(f.ts) AS ts
    FROM first_pulls f JOIN model_assets m ON m.asset_id = f.asset_id
    GROUP BY ALL
),
unusual AS (
    SELECT f.identity, f.asset_id, f.ts AS first_ts
    FROM first_pulls f
    JOIN model_assets m ON m.asset_id = f.asset_id AND m.environment = 'prod'
    JOIN family_first ff ON ff.identity = f.identity AND ff.kind = m.kind AND ff.name = m.name AND ff.ts = f.ts
    WHERE f.ts >= (SELECT learned_from FROM store)
      AND NOT EXISTS (SELECT 1 FROM bulk_evidence b WHERE b.identity = f.identity AND b.resource = f.resource)
),
unusual_evidence AS (
    SELECT u.identity || '|' || u.asset_id AS key, 'unusual' AS path, p.* EXCLUDE (role)
    FROM (SELECT * FROM unusual LIMIT 1000000) u
    JOIN reads p ON p.identity = u.identity AND p.asset_id = u.asset_id
     AND p.ts >= u.first_ts AND p.ts <= u.first_ts + to_hours($window_hours)
),
evidence AS (
    SELECT *, min(ts) OVER (PARTITION BY key) AS key_start
    FROM (SELECT * FROM bulk_evidence UNION ALL SELECT * FROM unusual_evidence)
),
evidence_at AS (SELECT identity, source_ip, key_start AS at_ts FROM evidence),
novel AS (SELECT * FROM novel_addresses('evidence_at', $known_address_principals)),
findings AS (
    SELECT ev.key, any_value(ev.path) AS path, ev.identity,
           -- the session when there was one, else the role
           CASE WHEN count(DISTINCT ev.principal) = 1 THEN any_value(ev.principal) ELSE ev.identity END AS principal,
           min(ev.ts) AS first_seen, max(ev.ts) AS last_seen,
           count(*) AS downloads, count(DISTINCT ev.resource) AS artifacts, sum(ev.bytes) AS bytes,
           count(DISTINCT ev.resource) FILTER (WHERE f.ts IS NOT NULL) AS first_time,
           count(*) FILTER (WHERE ev.auth_type = 'QueryString') AS presigned,
           coalesce(list(DISTINCT ev.asset_id ORDER BY ev.asset_id) FILTER (WHERE ev.asset_id IS NOT NULL), [])
               AS assets,
           list(DISTINCT ev.resource ORDER BY ev.resource) AS resources,
           list(DISTINCT coalesce(nullif(regexp_extract(ev.resource, '^[a-zA-Z0-9+.-]+://[^/]+/', 0), ''), ev.resource))
               AS stores,
           coalesce(list(DISTINCT ev.source_ip ORDER BY ev.source_ip) FILTER (WHERE ev.source_ip IS NOT NULL), [])
               AS ips,
           coalesce(list(DISTINCT ev.source_ip ORDER BY ev.source_ip)
                        FILTER (WHERE n.is_new), []) AS new_ips,
           list(ev.id ORDER BY ev.ts, ev.id) AS event_ids
    FROM evidence ev
    LEFT JOIN novel n ON n.identity = ev.identity AND n.source_ip = ev.source_ip AND n.at_ts = ev.key_start
    LEFT JOIN first_pulls f ON f.identity = ev.identity AND f.resource = ev.resource AND f.ts = ev.ts
    GROUP BY ev.key, ev.identity
),
described AS (
    SELECT f.*, m.name AS model_name,
           CASE WHEN f.bytes >= 1e9 THEN printf('%.1f GB', f.bytes / 1e9)
                ELSE printf('%.0f MB', f.bytes / 1e6) END AS size,
           CASE WHEN epoch(f.last_seen - f.first_seen) < 5400
                THEN greatest(1, round(epoch(f.last_seen - f.first_seen) / 60))::BIGINT || ' min'
                ELSE printf('%.1f h', epoch(f.last_seen - f.first_seen) / 3600) END AS span,
           CASE WHEN len(f.new_ips) = 0 THEN ''
                WHEN len(f.new_ips) = len(f.ips) AND len(f.ips) = 1
                     THEN '; from ' || f.new_ips[1] || ', an address never seen for this caller before'
                ELSE '; from ' || array_to_string(f.ips, ', ') || ' (new for this caller: '
                     || array_to_string(f.new_ips, ', ') || ')' END AS where_from
    FROM findings f
    LEFT JOIN model_assets m ON f.path = 'unusual' AND m.asset_id = f.assets[1]
)
SELECT
    key, principal,
    CASE WHEN len(assets) = 1 THEN assets[1] END AS asset_id,
    CASE WHEN len(resources) = 1 THEN resources[1] WHEN len(stores) = 1 THEN stores[1] END AS resource,
    first_seen, last_seen,
    CASE WHEN path = 'bulk' THEN
        short_name(principal) || ' downloaded ' || artifacts || ' model artifacts (' || size || '; '
        || first_time || ' new to this caller) from ' || array_to_string(stores, ', ')
        || ' in ' || span || '; ' || presigned || ' of ' || downloads || ' downloads through presigned URLs'
        || where_from
    ELSE
        short_name(principal) || ' pulled production model ' || assets[1] || ' (' || size
        || ') for the first time: this caller never downloaded any version of ' || coalesce(model_name, assets[1])
        || ' before and does not deploy it'
        || CASE WHEN presigned > 0 THEN '; through a presigned URL' ELSE '' END || where_from
    END AS summary,
    CASE WHEN path = 'bulk' AND first_seen < (SELECT learned_from FROM store) THEN 'medium'
         WHEN path = 'bulk' THEN 'high'
         WHEN len(new_ips) > 0 OR presigned > 0 THEN 'high'
         ELSE 'medium' END AS severity,
    to_json({kind: path, downloads: downloads, artifacts: artifacts, first_time_artifacts: first_time,
             bytes: bytes, presigned_downloads: presigned, source_ips: ips, new_source_ips: new_ips,
             assets: assets, resources: resources}) AS details,
    event_ids,
    len(event_ids) AS evidence_count
FROM described
