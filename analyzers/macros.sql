-- Helpers every analyzer may use; created as TEMP macros on the analyzer's cursor before it runs.

-- A readable name for a principal: role/session for assumed roles, the user name for IAM users.
CREATE OR REPLACE TEMP MACRO short_name(p) AS CASE
    WHEN p IS NULL THEN NULL
    WHEN p LIKE 'arn:aws:sts::%:assumed-role/%' THEN regexp_extract(p, 'assumed-role/(.+)$', 1)
    WHEN p LIKE 'arn:aws:iam::%:%' THEN regexp_extract(p, ':[a-z-]+/(.+)$', 1)
    WHEN p LIKE 'arn:%' THEN regexp_extract(p, '([^:/]+)$', 1)
    ELSE p END;

-- A readable name for a resource or asset.
CREATE OR REPLACE TEMP MACRO short_resource(r) AS CASE
    WHEN r IS NULL THEN NULL
    WHEN r LIKE 'arn:%' THEN regexp_extract(r, '([^:]+)$', 1)
    ELSE r END;

-- Does this principal look like a person (by AWS conventions, not by name lists)? IAM users and
-- root, and assumed roles whose session is an e-mail address or whose role is an SSO permission set.
CREATE OR REPLACE TEMP MACRO is_human(p, ptype) AS
    coalesce(ptype IN ('IAMUser', 'Root'), false)
    OR coalesce(p LIKE 'arn:aws:sts::%:assumed-role/AWSReservedSSO_%', false)
    OR coalesce(regexp_matches(p, 'assumed-role/[^/]+/[^/@]+@[^/]+$'), false)
    OR coalesce(ptype IN ('User', 'human'), false);

-- The caller baselines are kept for: the principal, except that a role session whose name is
-- generated (an instance id, an SDK session number, a task UUID) is judged as its role, so a new
-- session is no new caller; people and stable session names stay themselves.
CREATE OR REPLACE TEMP MACRO caller(p, prole, ptype) AS CASE
    WHEN prole IS NOT NULL
         AND regexp_matches(p, '(\d{6,}|[0-9a-f]{12,}|[0-9a-f]{8}-[0-9a-f]{4}-)[^/]*$')
         AND NOT is_human(p, ptype)
    THEN prole ELSE p END;

-- "1,234" for summaries.
CREATE OR REPLACE TEMP MACRO fmt_int(n) AS format('{:,}', n::BIGINT);

-- Is this source address a place on the internet? An IPv4/IPv6 literal outside private, loopback,
-- link-local and carrier-grade NAT ranges: a fresh private address is another host of one's own
-- network (a new serving instance), and a service name such as 'AWS Internal' is no place at all.
CREATE OR REPLACE TEMP MACRO is_public_address(ip) AS
    (regexp_full_match(ip, '\d{1,3}(\.\d{1,3}){3}')
     AND NOT regexp_full_match(ip,
             '(10|127)\..*|192\.168\..*|172\.(1[6-9]|2\d|3[01])\..*|169\.254\..*|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\..*'))
    OR (ip LIKE '%:%' AND NOT regexp_matches(lower(ip), '^(f[cd]|fe80|::1$)'));

-- Is each (identity, source_ip, at_ts) row of `relation` (a table or CTE of the calling query, named as
-- a string) a new place for that caller at that time? New: the caller had not used the address until
-- 24 h before, fewer than `known_principals` other callers had used it before (a shared office or VPN
-- egress is no new place), and it is a public IP address (is_public_address).
CREATE OR REPLACE TEMP MACRO novel_addresses(relation, known_principals) AS TABLE
WITH seen AS (
    SELECT DISTINCT identity, source_ip, at_ts FROM query_table(relation) WHERE source_ip IS NOT NULL
),
addresses AS (
    -- Who used each of these addresses, and since when (events up to the latest row: later ones
    -- cannot make an address older).
    SELECT caller(principal, principal_role, principal_type) AS identity, source_ip, min(ts) AS first_seen
    FROM access_events
    WHERE ts <= (SELECT max(at_ts) FROM seen)
    -- LIMIT only caps the planner's estimate, so it builds its hash table on these few addresses
    -- rather than on access_events (5-10x faster); a million is far above what this set holds.
      AND source_ip IN (SELECT DISTINCT source_ip FROM seen LIMIT 1000000)
    GROUP BY ALL
)
SELECT x.identity, x.source_ip, x.at_ts,
       NOT coalesce(bool_or(a.identity = x.identity AND a.first_seen <= x.at_ts - INTERVAL 24 HOUR), false)
       AND count(a.identity) FILTER (WHERE a.identity <> x.identity AND a.first_seen < x.at_ts) < known_principals
       AND is_public_address(x.source_ip)
           AS is_new
FROM seen x
LEFT JOIN addresses a ON a.source_ip = x.source_ip
GROUP BY x.identity, x.source_ip, x.at_ts;

-- A severity as a number to compare: critical 4, high 3, medium 2, low 1, anything else 0.
CREATE OR REPLACE TEMP MACRO severity_rank(s) AS
    CASE lower(s) WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END;

-- Each scan row of `relation` (a CTE of the calling query with `path` and `sha` columns, named as a
-- string) with the file it is about, `file`: 'sha256:<hash>' when the row has a hash or the rows for
-- its path report exactly one, else 'path:<path>' — so a hashing scanner and a path-only one meet.
CREATE OR REPLACE TEMP MACRO scan_file_keys(relation) AS TABLE
WITH r AS (SELECT * FROM query_table(relation)),
path_sha AS (
    SELECT path, min(sha) AS sha FROM r WHERE sha IS NOT NULL
    GROUP BY path HAVING count(DISTINCT sha) = 1
)
SELECT r.*, coalesce(r.sha, p.sha) AS file_sha,
       CASE WHEN coalesce(r.sha, p.sha) IS NOT NULL THEN 'sha256:' || coalesce(r.sha, p.sha)
            ELSE 'path:' || r.path END AS file
FROM r LEFT JOIN path_sha p USING (path);
