-- Grants (permissions table) on ML assets that their holder has not used within $stale_days before
-- $data_until. Events on granted assets are grouped by (asset, role or principal) first, so the identity
-- (role name without path, assumed-role session -> role) runs on a few thousand rows, not on every event.
WITH span AS (
    SELECT min(ts) AS since, $data_until::TIMESTAMPTZ AS until,
           $data_until::TIMESTAMPTZ - to_days($stale_days::INTEGER) AS cutoff
    FROM access_events
),
grants AS (
    SELECT p.principal, p.asset_id, a.kind, a.environment,
           list(DISTINCT lower(p.privilege) ORDER BY lower(p.privilege)) AS privileges,
           CASE WHEN p.principal LIKE 'arn:%:iam::%:role/%'
                THEN 'role:' || split_part(p.principal, ':', 5) || ':' || lower(regexp_extract(p.principal, '([^/]+)$', 1))
                WHEN p.principal LIKE 'arn:%:sts::%:assumed-role/%'
                THEN 'role:' || split_part(p.principal, ':', 5) || ':' || lower(split_part(split_part(p.principal, ':', 6), '/', 2))
                ELSE lower(p.principal) END AS who
    FROM permissions p JOIN assets a USING (asset_id)
    WHERE list_contains($kinds, a.kind) AND p.principal NOT LIKE '%*%'
    GROUP BY p.principal, p.asset_id, a.kind, a.environment
),
scope AS (  -- an asset is used through itself and through what is stored in it
    SELECT DISTINCT asset_id AS granted, asset_id AS child FROM grants
    UNION
    SELECT l.dst_asset, l.src_asset FROM lineage l
    WHERE l.relation = 'stored_in' AND l.dst_asset IN (SELECT asset_id FROM grants)
),
grouped AS (  -- only events on granted assets (or on what is stored in them)
    SELECT asset_id, coalesce(principal_role, principal) AS actor, count(*) AS n, max(ts) AS last_ts,
           arg_max(id, ts) AS last_id
    FROM access_events
    WHERE asset_id IN (SELECT child FROM scope)
    GROUP BY ALL
),
actors AS (  -- a role by account and name (ARN with or without path, or a session of it)
    SELECT asset_id, n, last_ts, last_id,
           CASE WHEN actor LIKE 'arn:%:iam::%:role/%'
                THEN 'role:' || split_part(actor, ':', 5) || ':' || lower(regexp_extract(actor, '([^/]+)$', 1))
                WHEN actor LIKE 'arn:%:sts::%:assumed-role/%'
                THEN 'role:' || split_part(actor, ':', 5) || ':' || lower(split_part(split_part(actor, ':', 6), '/', 2))
                ELSE lower(actor) END AS who
    FROM grouped
),
coverage AS (  -- is the asset visible in the logs at all, and how busy is it
    SELECT s.granted AS asset_id, sum(a.n) AS events, count(DISTINCT a.who) AS users
    FROM scope s JOIN actors a ON a.asset_id = s.child
    GROUP BY 1
),
usage AS (
    SELECT s.granted AS asset_id, a.who, max(a.last_ts) AS last_ts, arg_max(a.last_id, a.last_ts) AS last_id
    FROM scope s JOIN actors a ON a.asset_id = s.child
    GROUP BY 1, 2
),
stale AS (
    SELECT g.*, u.last_ts, u.last_id, c.events, c.users,
           ceil((epoch(sp.until) - epoch(sp.since)) / 86400)::INTEGER AS history_days,
           sp.since < sp.cutoff AS full_window
    FROM grants g
    JOIN coverage c USING (asset_id)
    CROSS JOIN span sp
    LEFT JOIN usage u ON u.asset_id = g.asset_id AND u.who = g.who
    WHERE u.last_ts IS NULL OR u.last_ts < sp.cutoff
)
SELECT
    principal || '|' || asset_id AS key,
    principal,
    asset_id,
    last_ts AS first_seen,
    last_ts AS last_seen,
    CASE WHEN full_window AND environment = 'prod'
              AND list_has_any(privileges, ['write', 'admin', '*', 'owner', 'full_control'])
         THEN 'medium' ELSE 'low' END AS severity,
    CASE WHEN principal LIKE 'arn:%:iam::%:role/%' THEN 'role ' || regexp_extract(principal, '([^/]+)$', 1)
         ELSE short_name(principal) END || ' holds ' || array_to_string(privileges, ', ') || ' on ' || asset_id
      || CASE WHEN environment IS NOT NULL THEN ' (' || environment || ')' ELSE '' END
      || CASE WHEN last_ts IS NOT NULL
              THEN ' but last used it on ' || strftime(last_ts, '%Y-%m-%d') || ', '
                   || date_diff('day', last_ts, $data_until::TIMESTAMPTZ) || ' days before the latest event'
              WHEN full_window
              THEN ' but made no request to it in the last ' || $stale_days || ' days'
              ELSE ' but made no request to it in the ' || history_days || ' days of logs loaded' END
      || ' (stale after ' || $stale_days || ' days); the same logs hold ' || fmt_int(events) || ' request'
      || CASE WHEN events = 1 THEN '' ELSE 's' END || ' to it from ' || users || ' principal'
      || CASE WHEN users = 1 THEN '' ELSE 's' END || '.' AS summary,
    to_json({privileges: privileges, environment: environment, last_used: last_ts, history_days: history_days,
             stale_days: $stale_days, asset_events: events, asset_principals: users}) AS details,
    CASE WHEN last_id IS NULL THEN []::BIGINT[] ELSE [last_id] END AS event_ids,
    CASE WHEN last_id IS NULL THEN 0 ELSE 1 END AS evidence_count
FROM stale
