-- Writes into a training dataset by a principal outside that dataset's usual writers: one finding per
-- principal x dataset x UTC day. A writer is usual when it (or, for a non-human principal, any session
-- of the same role) wrote there on >= $min_writer_days distinct earlier days, or when the inventory
-- grants it write on the dataset or on the bucket that stores it. The same write logged by CloudTrail
-- and by S3 server access logs counts as one object (objects are distinct resources).
WITH datasets AS (
    SELECT asset_id, name, environment FROM assets WHERE list_contains($dataset_kinds, kind)
),
-- One row per writer x dataset x day: the history is learned from these, and only the few unusual
-- days go back to the events for their objects.
daily AS MATERIALIZED (
    SELECT e.principal, e.asset_id, e.ts::DATE AS day, any_value(e.principal_type) AS principal_type,
           any_value(e.principal_role) AS principal_role, list(e.id) AS ids
    FROM access_events e
    WHERE e.action_class IN ('write', 'delete') AND e.outcome <> 'failure' AND e.principal IS NOT NULL
      AND e.asset_id IN (SELECT asset_id FROM datasets)
      AND NOT starts_with(e.action, 'S3.')  -- S3's own lifecycle expirations, not a writer
    GROUP BY ALL
),
-- Account + role name of a role or role session, so 'role/path/name' (IAM), 'role/name' (S3 logs)
-- and 'assumed-role/name/session' meet; NULL for users and other principals.
idents AS (
    SELECT p, CASE
        WHEN regexp_matches(p, '^arn:[^:]+:sts::[0-9]*:assumed-role/')
            THEN regexp_replace(p, '^arn:[^:]+:sts::([0-9]*):assumed-role/([^/]+).*$', '\1:\2')
        WHEN regexp_matches(p, '^arn:[^:]+:iam::[0-9]*:role/')
            THEN regexp_replace(p, '^arn:[^:]+:iam::([0-9]*):role/(?:.*/)?([^/]+)$', '\1:\2')
        END AS role_key
    FROM (SELECT principal AS p FROM daily UNION SELECT principal FROM permissions)
),
keyed AS MATERIALIZED (
    SELECT d.*, i.role_key, is_human(d.principal, d.principal_type) AS human,
           row_number() OVER (PARTITION BY d.principal, d.asset_id ORDER BY d.day) - 1 AS prior_days,
           count(*) OVER (PARTITION BY d.principal, d.asset_id) AS total_days
    FROM daily d JOIN idents i ON i.p = d.principal
),
-- Non-human roles are learned per role: services often use a fresh session name per run.
role_days AS (
    SELECT role_key, asset_id, day,
           row_number() OVER (PARTITION BY role_key, asset_id ORDER BY day) - 1 AS prior_days,
           count(*) OVER (PARTITION BY role_key, asset_id) AS total_days
    FROM (SELECT DISTINCT role_key, asset_id, day FROM keyed WHERE role_key IS NOT NULL AND NOT human)
),
grants AS (
    SELECT DISTINCT p.principal AS grantee, i.role_key AS grantee_role, t.dataset_id
    FROM permissions p
    JOIN idents i ON i.p = p.principal
    JOIN (SELECT asset_id AS granted_on, asset_id AS dataset_id FROM datasets
          UNION ALL
          SELECT l.dst_asset, l.src_asset FROM lineage l
          WHERE l.relation = 'stored_in' AND l.src_asset IN (SELECT asset_id FROM datasets)) t
      ON t.granted_on = p.asset_id
    WHERE list_contains($allowed_privileges, lower(p.privilege)) AND p.principal NOT IN ('*', 'anonymous')
),
job_inputs AS (
    SELECT DISTINCT lower(u.uri) AS uri
    FROM (
        SELECT unnest(list_concat(
            json_extract_string(raw, '$.requestParameters.inputDataConfig[*].dataSource.s3DataSource.s3Uri'),
            json_extract_string(raw, '$.requestParameters.InputDataConfig[*].DataSource.S3DataSource.S3Uri'),
            json_extract_string(raw, '$.requestParameters.trainingJobDefinition.inputDataConfig[*].dataSource.s3DataSource.s3Uri'),
            [json_extract_string(raw, '$.requestParameters.trainingDataConfig.s3Uri')],
            json_extract_string(raw, '$.InputDataConfig[*].DataSource.S3DataSource.S3Uri')
        )) AS uri
        FROM access_events
        WHERE list_contains($training_actions, action) AND outcome <> 'failure' AND json_valid(raw)
    ) u
    WHERE u.uri IS NOT NULL
),
-- A dataset is training data when lineage says a model or job was trained on it, or a training
-- job's input covers (part of) its location.
used_for_training AS (
    SELECT dst_asset AS asset_id FROM lineage WHERE relation = 'trained_on'
    UNION
    SELECT l.asset_id FROM asset_locators l JOIN job_inputs j
      ON starts_with(l.locator, rtrim(j.uri, '/') || '/') OR starts_with(j.uri, l.locator)
    WHERE l.kind IN ('prefix', 'exact') AND l.asset_id IN (SELECT asset_id FROM datasets)
),
data_start AS (SELECT min(ts)::DATE AS day FROM access_events),
unusual AS MATERIALIZED (
    SELECT k.principal, k.asset_id, k.day, k.role_key, k.human, k.ids,
           greatest(k.prior_days, coalesce(r.prior_days, 0)) AS prior_days,
           greatest(k.total_days, coalesce(r.total_days, 0)) AS total_days,
           -- The logs began too recently to hold the history a regular writer would have, and this
           -- principal does turn out to write on enough days: most likely a writer older than the logs.
           (k.day - (SELECT day FROM data_start) < $min_writer_days
            AND greatest(k.total_days, coalesce(r.total_days, 0)) >= $min_writer_days) AS cold_start
    FROM keyed k
    LEFT JOIN role_days r ON NOT k.human AND r.role_key = k.role_key AND r.asset_id = k.asset_id AND r.day = k.day
    WHERE k.prior_days < $min_writer_days
      AND coalesce(r.prior_days, 0) < $min_writer_days
      AND NOT EXISTS (
          SELECT 1 FROM grants g
          WHERE g.dataset_id = k.asset_id
            AND (g.grantee = k.principal OR g.grantee = k.principal_role
                 OR (g.grantee_role IS NOT NULL AND g.grantee_role = k.role_key)))
),
-- Who did write there regularly before that day (for the sentence).
usual AS (
    SELECT u.principal, u.asset_id, u.day,
           list(short_name(h.principal) || ' (' || h.days || ' days)' ORDER BY h.days DESC, h.principal)[1:3]
               AS writers
    FROM unusual u
    JOIN (SELECT d.principal, d.asset_id, d2.day AS upto, count(*) AS days
          FROM daily d JOIN (SELECT DISTINCT asset_id, day FROM unusual) d2
            ON d2.asset_id = d.asset_id AND d.day < d2.day
          GROUP BY ALL HAVING count(*) >= $min_writer_days) h
      ON h.asset_id = u.asset_id AND h.upto = u.day AND h.principal <> u.principal
    GROUP BY ALL
),
-- The day each writer (and each non-human role) became a usual writer of a dataset.
regular AS (
    SELECT principal, NULL AS role_key, asset_id, day AS since FROM keyed WHERE prior_days = $min_writer_days - 1
    UNION ALL
    SELECT NULL, role_key, asset_id, day FROM role_days WHERE prior_days = $min_writer_days - 1
),
-- Other datasets this principal (or its role) writes to regularly: a known pipeline writing into a new
-- dataset is less alarming than a principal that never writes training data at all.
elsewhere AS (
    SELECT u.principal, u.asset_id, u.day, list(DISTINCT ds.name ORDER BY ds.name) AS datasets
    FROM unusual u
    JOIN regular r ON r.principal = u.principal AND r.asset_id <> u.asset_id AND r.since < u.day
    JOIN datasets ds ON ds.asset_id = r.asset_id
    GROUP BY ALL
    UNION ALL
    SELECT u.principal, u.asset_id, u.day, list(DISTINCT ds.name ORDER BY ds.name)
    FROM unusual u
    JOIN regular r ON NOT u.human AND r.role_key = u.role_key AND r.asset_id <> u.asset_id AND r.since < u.day
    JOIN datasets ds ON ds.asset_id = r.asset_id
    GROUP BY ALL
),
inventory_writers AS (
    SELECT g.dataset_id AS asset_id, list(DISTINCT short_name(g.grantee) ORDER BY short_name(g.grantee)) AS writers
    FROM grants g GROUP BY ALL
),
objects AS (
    SELECT u.principal, u.asset_id, u.day, lower(e.resource) AS object, any_value(e.resource) AS resource,
           max(coalesce(e.bytes_in, e.object_size)) AS bytes, bool_or(e.action_class = 'write') AS written,
           bool_or(e.action_class = 'delete') AS deleted,
           min(e.ts) AS first_ts, max(e.ts) AS last_ts, list(e.id) AS ids, list(DISTINCT e.action) AS actions
    FROM access_events e
    JOIN (SELECT principal, asset_id, day, unnest(ids) AS id FROM unusual) u ON u.id = e.id
    GROUP BY ALL
),
windows AS (
    SELECT o.principal, o.asset_id, o.day,
           count(*) FILTER (WHERE o.written) AS n_written,
           count(*) FILTER (WHERE o.deleted AND NOT o.written) AS n_deleted,
           sum(o.bytes) FILTER (WHERE o.written) AS bytes,
           min(o.first_ts) AS first_seen, max(o.last_ts) AS last_seen,
           list(o.resource ORDER BY o.first_ts) AS keys,
           flatten(list(o.ids)) AS event_ids,
           list_distinct(flatten(list(o.actions))) AS actions
    FROM objects o GROUP BY ALL
)
SELECT
    w.principal || '|' || w.asset_id || '|' || strftime(w.day, '%Y-%m-%d') AS key,
    w.principal, w.asset_id, d.name AS dataset,
    w.keys[1] AS resource,
    w.first_seen, w.last_seen,
    CASE WHEN u.cold_start THEN 'low'
         WHEN t.asset_id IS NOT NULL AND el.datasets IS NULL THEN 'high'
         ELSE 'medium' END AS severity,
    short_name(w.principal) || ' '
      || concat_ws(' and ',
             CASE WHEN w.n_written > 0 THEN 'wrote ' || fmt_int(w.n_written)
                  || CASE WHEN w.n_written = 1 THEN ' object' ELSE ' objects' END
                  || CASE WHEN w.bytes IS NOT NULL THEN ' (' || format_bytes(w.bytes::BIGINT) || ')' ELSE '' END
             END,
             CASE WHEN w.n_deleted > 0 THEN 'deleted ' || fmt_int(w.n_deleted)
                  || CASE WHEN w.n_deleted = 1 THEN ' object' ELSE ' objects' END END)
      || CASE WHEN w.n_written > 0 THEN ' into ' ELSE ' from ' END
      || CASE WHEN t.asset_id IS NOT NULL THEN 'training dataset ' ELSE 'dataset ' END || d.name
      || ' on ' || strftime(w.first_seen, '%Y-%m-%d %H:%M')
      || CASE WHEN w.last_seen - w.first_seen >= INTERVAL 1 MINUTE
              THEN '–' || strftime(w.last_seen, '%H:%M') ELSE '' END || ' UTC, '
      || CASE WHEN u.cold_start THEN 'in the first days of the logs (it writes there on '
                  || u.total_days || ' days, so likely a regular writer older than the logs)'
              WHEN u.prior_days = 0 THEN 'its first write there'
              ELSE 'after writing there on only ' || u.prior_days || ' earlier day'
                   || CASE WHEN u.prior_days = 1 THEN '' ELSE 's' END END
      || ' and with no inventory grant'
      || CASE WHEN el.datasets IS NOT NULL
              THEN ' (it does write regularly to ' || array_to_string(el.datasets[1:3], ', ') || ')'
              ELSE '' END
      || CASE WHEN us.writers IS NOT NULL THEN '; usual writers: ' || array_to_string(us.writers, ', ')
              ELSE '' END AS summary,
    to_json({
        dataset: d.name, environment: d.environment, used_for_training: t.asset_id IS NOT NULL,
        day: strftime(w.day, '%Y-%m-%d'), objects_written: w.n_written, objects_deleted: w.n_deleted,
        bytes_written: w.bytes, keys: w.keys[1:50], actions: w.actions,
        writer_prior_days: u.prior_days, writer_total_days: u.total_days, min_writer_days: $min_writer_days,
        cold_start: u.cold_start, usual_writers: us.writers, inventory_writers: iw.writers,
        regular_writer_of: el.datasets
    }) AS details,
    list_sort(w.event_ids) AS event_ids,
    len(w.event_ids) AS evidence_count
FROM windows w
JOIN unusual u USING (principal, asset_id, day)
JOIN datasets d ON d.asset_id = w.asset_id
LEFT JOIN (SELECT DISTINCT asset_id FROM used_for_training) t ON t.asset_id = w.asset_id
LEFT JOIN usual us USING (principal, asset_id, day)
LEFT JOIN (SELECT principal, asset_id, day, list_sort(list_distinct(flatten(list(datasets)))) AS datasets
           FROM elsewhere GROUP BY ALL) el USING (principal, asset_id, day)
LEFT JOIN inventory_writers iw ON iw.asset_id = w.asset_id
ORDER BY w.first_seen
