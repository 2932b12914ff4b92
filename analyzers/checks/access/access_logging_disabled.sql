-- Model-invocation logging turned off: SageMaker endpoints served by a config without data capture,
-- Bedrock invocation logging deleted or emptied, CloudTrail trails stopped or deleted. Only the few
-- control-plane events are parsed (filtered by action first). The same state read from API snapshots
-- in the inventory (DescribeEndpoint's DataCaptureConfig, GetModelInvocationLoggingConfiguration) fires
-- too, under the same key as the logs would give, so a finding keeps its identity whichever shows it.
WITH ev AS MATERIALIZED (
    SELECT id, event_id, ts, principal, action, lower(resource) AS res, asset_id, account_id, region,
           CASE WHEN json_valid(raw) THEN coalesce(json_extract(raw, '$.requestParameters'),
                                                   json_extract(raw, '$.requestparameters')) END AS rp
    FROM access_events
    -- IN (SELECT unnest(...)) rather than IN (...): DuckDB then filters before it reads raw (measured
    -- 0.03 s instead of 2 s over 10M events)
    WHERE action IN (SELECT unnest(['CreateEndpointConfig', 'CreateEndpoint', 'UpdateEndpoint', 'DeleteEndpoint',
                                    'PutModelInvocationLoggingConfiguration',
                                    'DeleteModelInvocationLoggingConfiguration',
                                    'StopLogging', 'StartLogging', 'DeleteTrail', 'CreateTrail']))
      AND outcome = 'success'
),
-- SageMaker ------------------------------------------------------------------------------------
configs AS (  -- the latest creation of each config name; DataCaptureConfig without EnableCapture is on (API default)
    SELECT lower(coalesce(rp->>'$.endpointConfigName', rp->>'$.EndpointConfigName')) AS cfg,
           arg_max(id, ts) AS cfg_id, max(ts) AS cfg_ts,
           arg_max(coalesce(rp->'$.dataCaptureConfig', rp->'$.DataCaptureConfig'), ts) AS dc,
           arg_max(res, ts) AS cfg_arn, arg_max(asset_id, ts) AS cfg_asset
    FROM ev WHERE action = 'CreateEndpointConfig'
    GROUP BY 1
),
config_state AS (
    SELECT *, dc IS NOT NULL AND json_type(dc) = 'OBJECT'
              AND lower(coalesce(dc->>'$.enableCapture', dc->>'$.EnableCapture', 'true')) <> 'false' AS capture_on,
           CASE WHEN dc IS NULL OR json_type(dc) <> 'OBJECT' THEN 'has no DataCaptureConfig'
                ELSE 'sets DataCaptureConfig.EnableCapture=false' END AS why_off
    FROM configs
),
deploys AS (
    SELECT e.id, e.ts, e.principal, e.res AS endpoint, e.asset_id, e.action,
           lower(coalesce(e.rp->>'$.endpointConfigName', e.rp->>'$.EndpointConfigName')) AS cfg,
           c.capture_on, c.cfg_id
    FROM ev e LEFT JOIN config_state c
      ON c.cfg = lower(coalesce(e.rp->>'$.endpointConfigName', e.rp->>'$.EndpointConfigName'))
    WHERE e.action IN ('CreateEndpoint', 'UpdateEndpoint')
),
endpoint_state AS (
    SELECT endpoint, arg_max(cfg, ts) AS cfg, arg_max(capture_on, ts) AS capture_on, max(ts) AS last_deploy,
           max(ts) FILTER (WHERE capture_on) AS last_on, count(*) AS deploys,
           count(*) FILTER (WHERE capture_on = false) AS deploys_off,
           arg_max(principal, ts) AS principal,
           max(asset_id) AS asset_id
    FROM deploys GROUP BY endpoint
),
deletions AS (
    SELECT res AS endpoint, max(ts) AS deleted_at FROM ev WHERE action = 'DeleteEndpoint' GROUP BY 1
),
served_off AS (  -- endpoints whose current config (as of the data) captures nothing, with since when
    SELECT s.endpoint, s.cfg, s.last_deploy, s.last_on, s.deploys, s.deploys_off, s.principal, s.asset_id,
           c.why_off, c.cfg_arn, c.cfg_asset, min(d.ts) AS since
    FROM endpoint_state s
    JOIN config_state c ON c.cfg = s.cfg
    JOIN deploys d ON d.endpoint = s.endpoint AND d.ts > coalesce(s.last_on, '-infinity'::TIMESTAMPTZ)
    LEFT JOIN deletions x ON x.endpoint = s.endpoint
    WHERE s.capture_on = false AND (x.deleted_at IS NULL OR x.deleted_at < s.last_deploy)
    GROUP BY ALL
),
endpoint_findings AS (
    SELECT o.endpoint, o.cfg, o.cfg_arn, o.why_off, o.since, o.last_on, o.last_deploy, o.deploys, o.deploys_off,
           o.principal, coalesce(o.asset_id, o.cfg_asset) AS asset_id,
           list(DISTINCT d.id) || coalesce(list(DISTINCT d.cfg_id) FILTER (WHERE d.cfg_id IS NOT NULL), [])
               AS ids
    FROM served_off o
    JOIN deploys d ON d.endpoint = o.endpoint AND d.ts >= o.since
    GROUP BY o.endpoint, o.cfg, o.cfg_arn, o.why_off, o.since, o.last_on, o.last_deploy, o.deploys, o.deploys_off,
             o.principal, o.asset_id, o.cfg_asset
),
unused_configs AS (  -- configs without capture that no endpoint deploy in the logs uses (yet)
    SELECT c.* FROM config_state c
    WHERE NOT c.capture_on AND c.cfg NOT IN (SELECT cfg FROM deploys WHERE cfg IS NOT NULL)
),
-- Bedrock and CloudTrail --------------------------------------------------------------------------
switches AS (  -- every change of a logging switch, as off (true) or on (false), per scope
    SELECT id, event_id, ts, principal, action, account_id, region,
           CASE WHEN action LIKE '%ModelInvocationLogging%'
                THEN 'bedrock|' || coalesce(account_id, '') || '|' || coalesce(region, '')
                ELSE 'trail|' || coalesce(account_id, '') || '|'
                     || regexp_extract(coalesce(rp->>'$.name', rp->>'$.Name', res, ''), '([^/]+)$', 1) END AS scope,
           CASE WHEN action IN ('DeleteModelInvocationLoggingConfiguration', 'StopLogging', 'DeleteTrail') THEN true
                WHEN action = 'PutModelInvocationLoggingConfiguration' THEN
                     ((rp->'$.loggingConfig.cloudWatchConfig') IS NULL AND (rp->'$.loggingConfig.s3Config') IS NULL)
                     OR (coalesce(rp->>'$.loggingConfig.textDataDeliveryEnabled', 'false') = 'false'
                         AND coalesce(rp->>'$.loggingConfig.imageDataDeliveryEnabled', 'false') = 'false'
                         AND coalesce(rp->>'$.loggingConfig.embeddingDataDeliveryEnabled', 'false') = 'false'
                         AND coalesce(rp->>'$.loggingConfig.videoDataDeliveryEnabled', 'false') = 'false')
                ELSE false END AS off
    FROM ev
    WHERE action IN ('PutModelInvocationLoggingConfiguration', 'DeleteModelInvocationLoggingConfiguration',
                     'StopLogging', 'StartLogging', 'DeleteTrail', 'CreateTrail')
),
gaps AS (  -- each switch-off, with the first switch-on of the same scope after it
    SELECT s.id, s.event_id, s.ts, s.principal, s.action, s.account_id, s.region, s.scope,
           min(n.ts) AS back_on
    FROM switches s
    LEFT JOIN switches n ON n.scope = s.scope AND n.ts > s.ts AND NOT n.off AND n.action <> 'CreateTrail'
    WHERE s.off
    GROUP BY ALL
),
unlogged AS (  -- Bedrock invocations while its logging was off (same account and region)
    SELECT g.id, count(i.id) AS calls
    FROM gaps g
    JOIN (SELECT id, ts, account_id, region FROM access_events
          WHERE service = 'bedrock' AND action_class = 'invoke'
            AND ts > (SELECT min(ts) FROM gaps WHERE scope LIKE 'bedrock|%')) i
      ON g.scope LIKE 'bedrock|%'
     AND coalesce(i.account_id, '') = coalesce(g.account_id, '') AND coalesce(i.region, '') = coalesce(g.region, '')
     AND i.ts > g.ts AND i.ts < coalesce(g.back_on, 'infinity'::TIMESTAMPTZ)
    GROUP BY g.id
),
env AS (SELECT asset_id, environment FROM assets),
-- From inventory snapshots ---------------------------------------------------------------------------
snapshot_endpoints AS (  -- endpoints described without capture, unless the logs already tell their story
    SELECT a.asset_id, lower(a.uri) AS endpoint, a.name, a.environment, a.updated_at,
           try_cast(a.tags->>'$.last_modified' AS TIMESTAMPTZ) AS changed,
           coalesce(a.tags->>'$.data_capture.reason', 'EnableCapture=false') AS why_off
    FROM assets a
    WHERE a.kind = 'endpoint' AND json_valid(a.tags)
      AND a.tags->>'$.data_capture.enabled' = 'false' AND a.uri IS NOT NULL
      AND lower(a.uri) NOT IN (SELECT endpoint FROM endpoint_findings)
      AND lower(a.uri) NOT IN (SELECT endpoint FROM deletions)
),
snapshot_bedrock AS (  -- an invocation-logging configuration that delivers nothing
    SELECT asset_id, updated_at, tags->'$.model_invocation_logging.destinations' AS destinations,
           tags->>'$.account' AS account_id, tags->>'$.region' AS region
    FROM assets
    WHERE json_valid(tags) AND tags->>'$.model_invocation_logging.enabled' = 'false'
)
SELECT
    'sagemaker-endpoint|' || f.endpoint AS key,
    f.principal,
    f.asset_id,
    f.endpoint AS resource,
    f.since AS first_seen,
    f.last_deploy AS last_seen,
    CASE WHEN a.environment IS NOT NULL AND a.environment <> 'prod' THEN 'low' ELSE 'medium' END AS severity,
    'SageMaker endpoint ' || regexp_extract(f.endpoint, '([^/]+)$', 1)
      || coalesce(' (' || a.environment || ')', '') || ' has been served without data capture since '
      || CASE WHEN f.last_on IS NULL THEN 'at least ' ELSE '' END
      || strftime(f.since, '%Y-%m-%d %H:%M') || ' UTC: its current endpoint config ' || f.cfg || ' ' || f.why_off
      || ' (' || CASE WHEN f.deploys = 1 THEN 'its only deploy in the logs'
                      ELSE f.deploys_off || ' of its ' || f.deploys || ' deploys in the logs used configs without capture'
                 END
      || '), so SageMaker keeps no record of its requests and responses (InvokeEndpoint is not in CloudTrail).'
      AS summary,
    to_json({endpoint_config: f.cfg, endpoint_config_arn: f.cfg_arn, reason: f.why_off, deploys: f.deploys,
             deploys_without_capture: f.deploys_off, environment: a.environment}) AS details,
    f.ids AS event_ids,
    len(f.ids) AS evidence_count
FROM endpoint_findings f LEFT JOIN env a USING (asset_id)
UNION ALL
SELECT
    'sagemaker-endpoint-config|' || coalesce(u.cfg_arn, u.cfg) AS key,
    NULL AS principal,
    u.cfg_asset AS asset_id,
    u.cfg_arn AS resource,
    u.cfg_ts AS first_seen,
    u.cfg_ts AS last_seen,
    'low' AS severity,
    'SageMaker endpoint config ' || u.cfg || ' ' || u.why_off || ' (created ' || strftime(u.cfg_ts, '%Y-%m-%d %H:%M')
      || ' UTC); no endpoint deploy in the logs uses it yet, but any endpoint that does will keep no record of its traffic.'
      AS summary,
    to_json({endpoint_config: u.cfg, reason: u.why_off}) AS details,
    [u.cfg_id] AS event_ids,
    1 AS evidence_count
FROM unused_configs u
UNION ALL
SELECT
    g.scope || '|' || g.event_id AS key,
    g.principal,
    NULL AS asset_id,
    split_part(g.scope, '|', 1) || ':' || coalesce(nullif(split_part(g.scope, '|', 3), ''), g.account_id, '') AS resource,
    g.ts AS first_seen,
    coalesce(g.back_on, g.ts) AS last_seen,
    CASE WHEN g.back_on IS NULL THEN 'high' ELSE 'medium' END AS severity,
    coalesce(short_name(g.principal), 'an unknown principal') || ' '
      || CASE g.action
              WHEN 'DeleteModelInvocationLoggingConfiguration' THEN 'deleted the Bedrock model-invocation logging configuration'
              WHEN 'PutModelInvocationLoggingConfiguration' THEN 'set a Bedrock model-invocation logging configuration that delivers nothing'
              WHEN 'StopLogging' THEN 'stopped the CloudTrail trail ' || split_part(g.scope, '|', 3)
              ELSE 'deleted the CloudTrail trail ' || split_part(g.scope, '|', 3) END
      || coalesce(' of account ' || g.account_id, '') || coalesce(' in ' || g.region, '')
      || ' at ' || strftime(g.ts, '%Y-%m-%d %H:%M') || ' UTC; '
      || CASE WHEN g.back_on IS NULL THEN 'it is still off at the end of the loaded logs'
              ELSE 'it was turned back on ' || round(epoch(g.back_on - g.ts) / 3600, 1) || ' h later' END
      || CASE WHEN coalesce(u.calls, 0) > 0
              THEN ', and ' || fmt_int(u.calls) || ' Bedrock invocation' || CASE WHEN u.calls = 1 THEN '' ELSE 's' END
                   || ' in between went unlogged'
              ELSE '' END || '.' AS summary,
    to_json({change: g.action, scope: g.scope, back_on: g.back_on, unlogged_invocations: coalesce(u.calls, 0)})
        AS details,
    [g.id] AS event_ids,
    1 AS evidence_count
FROM gaps g LEFT JOIN unlogged u USING (id)
UNION ALL
SELECT
    'sagemaker-endpoint|' || e.endpoint AS key,
    NULL AS principal,
    e.asset_id,
    e.endpoint AS resource,
    coalesce(e.changed, e.updated_at) AS first_seen,
    coalesce(e.changed, e.updated_at) AS last_seen,
    CASE WHEN e.environment IS NOT NULL AND e.environment <> 'prod' THEN 'low' ELSE 'medium' END AS severity,
    'SageMaker endpoint ' || e.name || coalesce(' (' || e.environment || ')', '')
      || ' is served without data capture (' || e.why_off || ') according to an inventory snapshot'
      || coalesce(' (the endpoint last changed ' || strftime(e.changed, '%Y-%m-%d %H:%M') || ' UTC)', '')
      || ', so SageMaker keeps no record of its requests and responses (InvokeEndpoint is not in CloudTrail).'
      AS summary,
    to_json({reason: e.why_off, source: 'inventory snapshot', environment: e.environment}) AS details,
    []::BIGINT[] AS event_ids,
    0 AS evidence_count
FROM snapshot_endpoints e
UNION ALL
SELECT
    'bedrock-snapshot|' || b.asset_id AS key,
    NULL AS principal,
    b.asset_id,
    'bedrock:' || coalesce(b.region, b.account_id, '') AS resource,
    b.updated_at AS first_seen,
    b.updated_at AS last_seen,
    'medium' AS severity,
    'The Bedrock model-invocation logging configuration' || coalesce(' of account ' || b.account_id, '')
      || coalesce(' in ' || b.region, '') || ' delivers nothing (no destination, or delivery off for every'
      || ' data type) according to an inventory snapshot loaded ' || strftime(b.updated_at, '%Y-%m-%d %H:%M')
      || ' UTC: Bedrock invocations there are not logged.' AS summary,
    to_json({destinations: b.destinations, source: 'inventory snapshot'}) AS details,
    []::BIGINT[] AS event_ids,
    0 AS evidence_count
FROM snapshot_bedrock b
