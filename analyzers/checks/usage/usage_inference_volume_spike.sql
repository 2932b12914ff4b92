-- Per principal x resource: hours with invocations far above the principal's own p95 hour on other
-- days (so a spike never hides in its own baseline); consecutive hot hours form one finding.
-- Hours are epoch-hour integers (far cheaper than date_trunc on TIMESTAMPTZ at 10M rows), and the
-- principal x resource pair is counted by its 64-bit hash: grouping millions of hours on two strings
-- costs twice as much, and the names are read back from the few events that fire (a collision among
-- a million pairs has a chance of about 1 in 30 million).
WITH hourly AS (
    SELECT hash(principal, resource) AS pair, epoch(ts)::BIGINT // 3600 AS h, count(*) AS n
    FROM access_events
    WHERE action_class = 'invoke' AND principal IS NOT NULL AND resource IS NOT NULL
    GROUP BY pair, h
),
candidates AS (
    SELECT * FROM hourly WHERE n >= $min_per_hour
),
scored AS (
    SELECT c.pair, c.h, c.n, quantile_cont(h.n, 0.95) AS p95, count(h.n) AS baseline_hours
    FROM candidates c
    LEFT JOIN hourly h ON h.pair = c.pair AND h.h // 24 <> c.h // 24
    GROUP BY c.pair, c.h, c.n
),
hot AS (
    SELECT *, h - row_number() OVER (PARTITION BY pair ORDER BY h) AS island
    FROM scored
    WHERE (baseline_hours >= $min_baseline_hours AND n >= $ratio * p95)
       OR (baseline_hours < $min_baseline_hours AND n >= $new_caller_factor * $min_per_hour)
),
windows AS (
    SELECT pair, to_timestamp(min(h) * 3600) AS start_hour, to_timestamp((max(h) + 1) * 3600) AS end_hour,
           sum(n) AS total, max(n) AS peak, count(*) AS hours, any_value(p95) AS p95,
           any_value(baseline_hours) AS baseline_hours
    FROM hot GROUP BY pair, island
),
evidence AS (
    SELECT w.*, e.principal, e.resource, e.asset_id, e.id, e.ts
    FROM windows w
    JOIN access_events e
      ON hash(e.principal, e.resource) = w.pair AND e.action_class = 'invoke'
     AND e.ts >= w.start_hour AND e.ts < w.end_hour
),
named AS (
    SELECT pair, start_hour, any_value(principal) AS principal, any_value(resource) AS resource,
           any_value(asset_id) AS asset_id, any_value(total) AS total, any_value(peak) AS peak,
           any_value(hours) AS hours, any_value(p95) AS p95, any_value(baseline_hours) AS baseline_hours,
           min(ts) AS first_seen, max(ts) AS last_seen, list(id ORDER BY ts) AS event_ids, count(id) AS evidence_count
    FROM evidence GROUP BY pair, start_hour
)
SELECT
    w.principal || '|' || w.resource || '|' || strftime(w.start_hour, '%Y-%m-%dT%H') AS key,
    w.principal, w.resource, w.asset_id, w.first_seen, w.last_seen,
    short_name(w.principal) || ' invoked ' || short_resource(w.resource) || ' ' || fmt_int(w.total)
      || ' times in ' || w.hours || ' h (peak ' || fmt_int(w.peak) || ' in one hour); '
      || CASE WHEN w.baseline_hours >= $min_baseline_hours
              THEN 'its own p95 is ' || round(w.p95, 1) || ' per hour'
              ELSE 'it has no usage history to compare with' END AS summary,
    to_json({total: w.total, hours: w.hours, peak_per_hour: w.peak, own_p95_per_hour: round(w.p95, 2),
             baseline_hours: w.baseline_hours, ratio: round(w.peak / nullif(w.p95, 0), 1)}) AS details,
    w.event_ids, w.evidence_count
FROM named w
