-- Bursts of denied calls per caller and clock hour: more than max_per_target denials on one asset
-- (or resource) or denials on at least min_distinct_denied distinct resources. A caller is the
-- principal, except that a role whose session names are generated (an instance id, an SDK session
-- number, a task UUID) is judged as the role, so a new session is no new caller. A caller whose
-- denials recur day after day (a misconfigured job retrying) is reported at low.
WITH denied AS NOT MATERIALIZED (
    -- Substring tests (ILIKE '%x%') instead of one regex per row; hours as epoch(ts) // 3600 (date_trunc
    -- on TIMESTAMPTZ goes through ICU and costs ~20x more).
    SELECT id, ts, principal, source_ip, action, asset_id, status_code,
           caller(principal, principal_role, principal_type) AS identity,
           coalesce(resource, concat_ws(':', service, action)) AS target,
           coalesce(asset_id, resource, concat_ws(':', service, action)) AS unit,
           epoch(ts)::BIGINT // 3600 AS hidx
    FROM access_events
    WHERE outcome = 'failure' AND principal IS NOT NULL
      AND (status_code IN ('401', '403', '7')
           OR status_code ILIKE '%accessdenied%' OR status_code ILIKE '%unauthori%'
           OR status_code ILIKE '%forbidden%' OR status_code ILIKE '%permission%denied%'
           OR status_code ILIKE '%authorizationfail%' OR status_code ILIKE '%notauthorized%'
           OR error_message ILIKE '%not authorized to perform%' OR error_message ILIKE '%access denied%')
),
busy_hours AS (
    -- Only hours with enough denials to fire by either rule need a closer look (grouped on a hash of
    -- the caller: 2x faster than on the string).
    SELECT hash(identity) AS ih, hidx FROM denied GROUP BY ALL
    HAVING count(*) >= least($max_per_target + 1, $min_distinct_denied)
),
busy AS MATERIALIZED (
    -- LIMIT only caps the planner's estimate, so it builds its hash table on these few hours rather
    -- than on the denials (a million is far above what this set holds).
    SELECT d.* FROM denied d
    SEMI JOIN (SELECT * FROM busy_hours LIMIT 1000000) h ON h.ih = hash(d.identity) AND h.hidx = d.hidx
),
per_unit AS (
    SELECT identity, hidx, unit, any_value(asset_id) AS unit_asset, count(*) AS n FROM busy GROUP BY ALL
),
per_hour AS (
    SELECT u.identity, u.hidx, sum(u.n) AS n_denied, t.n_targets, count(*) AS n_units, max(u.n) AS max_per_unit,
           arg_max(u.unit, u.n) AS top_unit, arg_max(u.unit_asset, u.n) AS top_asset
    FROM per_unit u
    JOIN (SELECT identity, hidx, count(DISTINCT target) AS n_targets FROM busy GROUP BY ALL) t
      ON t.identity = u.identity AND t.hidx = u.hidx
    GROUP BY u.identity, u.hidx, t.n_targets
),
bursts AS (
    SELECT * FROM per_hour
    WHERE max_per_unit > $max_per_target OR n_targets >= $min_distinct_denied
),
habit AS (
    -- On how many other days the same caller also had a burst: a chronic retry loop, not a probe.
    SELECT b.identity, b.hidx, count(DISTINCT o.hidx // 24) AS other_days
    FROM bursts b
    LEFT JOIN bursts o ON o.identity = b.identity AND o.hidx // 24 <> b.hidx // 24
    GROUP BY ALL
),
described AS (
    SELECT b.identity, b.hidx, b.n_denied, b.n_targets, b.max_per_unit, b.top_unit, b.top_asset, h.other_days,
           -- the session when there was one, else the role
           CASE WHEN count(DISTINCT d.principal) = 1 THEN any_value(d.principal) ELSE b.identity END AS principal,
           CASE WHEN count(DISTINCT d.target) = 1 THEN any_value(d.target) END AS resource,
           min(d.ts) AS first_seen, max(d.ts) AS last_seen,
           string_agg(DISTINCT d.action, ', ' ORDER BY d.action) AS actions,
           list(DISTINCT d.status_code ORDER BY d.status_code) AS codes,
           coalesce(list(DISTINCT d.source_ip ORDER BY d.source_ip) FILTER (WHERE d.source_ip IS NOT NULL), [])
               AS ips,
           list(d.id ORDER BY d.ts, d.id) AS event_ids
    FROM bursts b
    JOIN habit h ON h.identity = b.identity AND h.hidx = b.hidx
    JOIN busy d ON d.identity = b.identity AND d.hidx = b.hidx
    GROUP BY b.identity, b.hidx, b.n_denied, b.n_targets, b.max_per_unit, b.top_unit, b.top_asset, h.other_days
)
SELECT
    identity || '|' || strftime(to_timestamp(hidx * 3600), '%Y-%m-%dT%H') AS key,
    principal,
    top_asset AS asset_id,  -- the most denied asset, when the denials name one
    resource, first_seen, last_seen,
    short_name(principal) || ' was denied ' || n_denied || ' times in '
      || greatest(1, round(epoch(last_seen - first_seen) / 60))::BIGINT || ' min on '
      || n_targets || ' distinct resources (' || actions || '), up to ' || max_per_unit || ' on '
      || short_resource(top_unit)
      || CASE WHEN len(ips) = 1 THEN ', from ' || ips[1] ELSE '' END
      || CASE WHEN other_days > 0 THEN '; it had such bursts on ' || other_days || ' other days'
              ELSE '' END AS summary,
    CASE WHEN other_days >= $habitual_days THEN 'low'
         WHEN n_targets >= 3 * $min_distinct_denied THEN 'high' END AS severity,
    to_json({denied: n_denied, distinct_resources: n_targets, max_on_one_target: max_per_unit,
             top_target: top_unit, other_days_with_bursts: other_days, codes: codes,
             actions: actions, source_ips: ips}) AS details,
    event_ids,
    len(event_ids) AS evidence_count
FROM described
