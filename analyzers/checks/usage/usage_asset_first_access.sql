-- First access by a caller to a sensitive asset (production, or classified confidential /
-- restricted / secret / PII), after the learning period: one finding per caller x asset. A caller
-- is the principal, except that a role whose session names are generated (an instance id, an SDK
-- session number, a task UUID) is judged as the role, so a new session is no new caller. Medium
-- when it came from a public address the caller had never used before and that is not a shared
-- address other callers already use (an office or VPN egress). Not a first: touching a new version
-- of a model the caller already used, and creating an asset (being among its users on its first day
-- when it appeared after the learning period: a new training job, a newly registered version).
WITH store AS (
    SELECT min(ts) + to_days($learning_days) AS learned_from FROM access_events
),
sensitive AS (
    SELECT asset_id, kind, name, environment, classification
    FROM assets
    WHERE environment = 'prod'
       OR regexp_matches(lower(coalesce(classification, '')), 'confidential|restricted|secret|pii|sensitive')
),
touches AS NOT MATERIALIZED (
    SELECT id, ts, principal, asset_id, resource, action, source_ip,
           caller(principal, principal_role, principal_type) AS identity
    FROM access_events
    WHERE outcome = 'success' AND asset_id IN (SELECT asset_id FROM sensitive)
      AND principal IS NOT NULL AND principal <> 'anonymous'
),
firsts AS (
    -- grouped on a hash of the pair: 3x faster than on the two strings
    SELECT any_value(identity) AS identity, any_value(asset_id) AS asset_id, min(ts) AS first_ts,
           arg_min(source_ip, ts) AS first_ip, arg_min(principal, ts) AS principal
    FROM touches
    GROUP BY hash(identity, asset_id)
),
asset_start AS (
    SELECT asset_id, min(first_ts) AS born FROM firsts GROUP BY asset_id
),
fresh AS MATERIALIZED (
    SELECT f.* FROM firsts f
    JOIN asset_start a ON a.asset_id = f.asset_id
    JOIN sensitive s ON s.asset_id = f.asset_id
    WHERE f.first_ts >= (SELECT learned_from FROM store)
      AND NOT (a.born >= (SELECT learned_from FROM store) AND f.first_ts < a.born + INTERVAL 24 HOUR)
      AND NOT EXISTS (
          SELECT 1 FROM firsts o JOIN sensitive os ON os.asset_id = o.asset_id
          WHERE o.identity = f.identity AND os.kind = s.kind AND os.name = s.name
            AND o.asset_id <> f.asset_id AND o.first_ts < f.first_ts)
),
-- The few candidates filter access_events below. "LIMIT 1000000" only caps the planner's estimate of
-- their number (far above what findings hold): without it DuckDB builds its hash table on
-- access_events instead of on the candidates, which costs 5-10x more.
addresses AS (
    -- When each address of a first access was first used, by each caller that used it.
    SELECT caller(principal, principal_role, principal_type) AS identity,
           source_ip, min(ts) AS first_seen
    FROM access_events
    WHERE source_ip IN (SELECT DISTINCT first_ip FROM fresh LIMIT 1000000)
    GROUP BY ALL
),
caller_start AS (
    -- when each caller first appears at all: a person by name, a role by any of its sessions
    SELECT identity, min(since) AS since FROM (
        SELECT principal AS identity, min(ts) AS since FROM access_events
        WHERE principal IN (SELECT DISTINCT identity FROM fresh LIMIT 1000000) GROUP BY ALL
        UNION ALL
        SELECT principal_role, min(ts) FROM access_events
        WHERE principal_role IN (SELECT DISTINCT identity FROM fresh LIMIT 1000000) GROUP BY ALL)
    GROUP BY identity
),
judged AS (
    SELECT f.*, cs.since,
           -- first use: not used by the caller until 24 h before
           coalesce(own.first_seen > f.first_ts - INTERVAL 24 HOUR, true) AS new_ip,
           -- only a public IP address is a new place (a fresh private address is another host of one's
           -- own network; 'AWS Internal' and the like are no place at all)
           is_public_address(f.first_ip) AS public_ip,
           (SELECT count(*) FROM addresses o
            WHERE o.source_ip = f.first_ip AND o.identity <> f.identity AND o.first_seen < f.first_ts) AS shared_by
    FROM fresh f
    JOIN caller_start cs ON cs.identity = f.identity
    LEFT JOIN addresses own ON own.identity = f.identity AND own.source_ip = f.first_ip
)
SELECT
    j.identity || '|' || j.asset_id AS key,
    j.principal, j.asset_id,
    CASE WHEN count(DISTINCT e.resource) = 1 THEN any_value(e.resource) END AS resource,
    min(e.ts) AS first_seen, max(e.ts) AS last_seen,
    short_name(j.principal) || ' accessed ' || j.asset_id || ' ('
      || concat_ws(', ', s.environment, s.classification) || ') for the first time: ' || count(e.id) || ' '
      || string_agg(DISTINCT e.action, '/' ORDER BY e.action) || ' in the first 24 h'
      || CASE WHEN j.first_ip IS NULL THEN ''
              WHEN j.new_ip AND j.shared_by >= $known_address_principals
                   THEN ', from ' || j.first_ip || ', new for this caller but used by ' || j.shared_by
                        || ' other callers before'
              WHEN j.new_ip AND NOT j.public_ip
                   THEN ', from ' || j.first_ip || ', a non-public address new for this caller'
              WHEN j.new_ip THEN ', from ' || j.first_ip || ', an address never seen for this caller before'
              ELSE ', from ' || j.first_ip || ', an address this caller used before' END
      || CASE WHEN j.since >= (SELECT learned_from FROM store)
              THEN '; the caller itself first appears on ' || strftime(j.since, '%Y-%m-%d')
              ELSE '' END AS summary,
    CASE WHEN j.new_ip AND j.public_ip AND j.shared_by < $known_address_principals THEN 'medium' END AS severity,
    to_json({environment: s.environment, classification: s.classification, first_ip: j.first_ip,
             new_address: j.new_ip, public_address: j.public_ip, address_used_by_others: j.shared_by,
             caller: j.identity, caller_since: j.since, events_first_24h: count(e.id),
             actions: list(DISTINCT e.action ORDER BY e.action)}) AS details,
    list(e.id ORDER BY e.ts, e.id) AS event_ids,
    count(e.id) AS evidence_count
FROM (SELECT * FROM judged LIMIT 1000000) j
JOIN sensitive s ON s.asset_id = j.asset_id
JOIN touches e
  ON e.identity = j.identity AND e.asset_id = j.asset_id
 AND e.ts >= j.first_ts AND e.ts < j.first_ts + INTERVAL 24 HOUR
GROUP BY j.identity, j.principal, j.asset_id, j.first_ip, j.new_ip, j.public_ip, j.shared_by, j.since,
         s.environment, s.classification
