-- One caller listing / describing many distinct models, model versions, packages or endpoints within
-- an hour (a trailing 60-minute window, so a sweep across a clock-hour boundary is not split in two),
-- far above its own usual distinct count per hour on other days. A caller is the principal, except
-- that a role whose session names are generated (an instance id, an SDK session number, a task UUID)
-- is judged as the role, so a new session is no new caller.
-- Cost notes (10M events): hours are epoch(ts) // 3600 (date_trunc on TIMESTAMPTZ goes through ICU,
-- ~20x slower); callers and targets are grouped by their hashes (~2x faster than the strings); only
-- a narrow, all-integer copy of the matching events is kept (`reads`), and the strings are read again
-- for the few events that fired (`evidence`).
WITH matching AS NOT MATERIALIZED (
    -- Read/list actions whose name mentions a model, endpoint or registry (ILIKE '%x%' is a fast
    -- substring scan; a regex per row or an IN-subquery over access_events costs 10x more).
    -- A list call without a resource (ListModels) still counts once per action name.
    SELECT id, ts, principal, asset_id, action, coalesce(resource, concat_ws(':', service, action)) AS target,
           caller(principal, principal_role, principal_type) AS identity
    FROM access_events
    WHERE action_class IN ('read', 'list') AND principal IS NOT NULL
      AND (action ILIKE '%model%' OR action ILIKE '%endpoint%' OR action ILIKE '%registr%'
           OR action ILIKE '%inferencecomponent%' OR action ILIKE '%predictor%' OR action ILIKE '%servingruntime%')
),
reads AS MATERIALIZED (
    SELECT ts, epoch(ts)::BIGINT // 3600 AS hidx, hash(identity) AS ph, hash(target) AS th FROM matching
),
hourly AS (
    SELECT ph, hidx, count(DISTINCT th) AS n FROM reads GROUP BY ph, hidx
),
spread AS (
    -- the bound explained below: the value of rank floor(0.95 x (hours - 49)) + 1 of the principal's hours
    SELECT ph, count(*) AS hours,
           CASE WHEN count(*) > 49 THEN (list(n ORDER BY n))[floor(0.95 * (count(*) - 49))::BIGINT + 1] END AS bound
    FROM hourly GROUP BY ph
),
-- A 60-minute window spans at most two clock hours, so one of them holds at least half of its distinct
-- targets. And the p95 over the hours of OTHER days (an episode's days hold at most 48 hours) is at
-- least the value of rank floor(0.95 x (hours - 49)) + 1 among all the principal's hours: hours that
-- cannot reach ratio x that bound are skipped before the (costlier) sliding window.
candidate_hours AS (
    SELECT DISTINCT h.ph, h.hidx + d.o AS hidx
    FROM hourly h
    JOIN spread s ON s.ph = h.ph
    CROSS JOIN (VALUES (-1), (0), (1)) d(o)
    WHERE h.n * 2 >= $min_distinct
      AND (s.bound IS NULL OR h.n * 2 >= $ratio * s.bound)
),
windowed AS (
    SELECT r.ph, r.ts,
           count(DISTINCT r.th) OVER (
               PARTITION BY r.ph ORDER BY r.ts
               RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS n_window
    FROM reads r
    SEMI JOIN candidate_hours c ON c.ph = r.ph AND c.hidx = r.hidx
),
hot AS (
    SELECT ph, ts, n_window,
           -- a new episode starts when the previous hot moment is more than an hour earlier
           CASE WHEN lag(ts) OVER (PARTITION BY ph ORDER BY ts) >= ts - INTERVAL 1 HOUR
                THEN 0 ELSE 1 END AS starts
    FROM windowed
    WHERE n_window >= $min_distinct
),
episodes AS (
    SELECT ph, min(ts) - INTERVAL 1 HOUR AS win_start, max(ts) AS win_end,
           min(ts) AS first_hot, max(n_window) AS peak
    FROM (SELECT *, sum(starts) OVER (PARTITION BY ph ORDER BY ts) AS episode FROM hot)
    GROUP BY ph, episode
),
scored AS (
    -- The principal's own usual distinct count per hour, on days other than the episode's.
    SELECT e.ph, e.win_start, e.win_end, e.first_hot, e.peak,
           coalesce(quantile_cont(h.n, 0.95), 0) AS p95, count(h.n) AS baseline_hours
    FROM episodes e
    LEFT JOIN hourly h
      ON h.ph = e.ph
     AND h.hidx // 24 NOT BETWEEN epoch(e.win_start)::BIGINT // 86400 AND epoch(e.win_end)::BIGINT // 86400
    GROUP BY ALL
),
fired AS (
    SELECT * FROM scored
    WHERE baseline_hours < $min_baseline_hours OR peak >= $ratio * p95
),
evidence AS (
    SELECT f.ph, f.first_hot, m.id, m.ts, m.principal, m.identity, m.target, m.action, m.asset_id,
           -- the resource type of an ARN (model, model-package, endpoint ...), else the action
           coalesce(nullif(regexp_extract(m.target, '^arn:[^:]+:[^:]+:[^:]*:[^:]*:([a-z-]+)/', 1), ''),
                    m.action) AS kind
    -- LIMIT only caps the planner's estimate so it builds its hash table on the few findings, not on
    -- access_events (5-10x faster); a million is far above what this set holds.
    FROM (SELECT * FROM fired LIMIT 1000000) f
    JOIN matching m ON hash(m.identity) = f.ph AND m.ts >= f.win_start AND m.ts <= f.win_end
),
kinds AS (
    SELECT ph, first_hot, string_agg(n || ' ' || kind, ', ' ORDER BY n DESC, kind) AS breakdown
    FROM (SELECT ph, first_hot, kind, count(DISTINCT target) AS n FROM evidence GROUP BY ALL)
    GROUP BY ALL
)
SELECT
    any_value(ev.identity) || '|' || strftime(to_timestamp(epoch(f.first_hot)::BIGINT // 3600 * 3600), '%Y-%m-%dT%H')
        AS key,
    -- the session when there was one, else the role
    CASE WHEN count(DISTINCT ev.principal) = 1 THEN any_value(ev.principal) ELSE any_value(ev.identity) END
        AS principal,
    CASE WHEN count(DISTINCT ev.asset_id) = 1 THEN any_value(ev.asset_id) END AS asset_id,
    min(ev.ts) AS first_seen, max(ev.ts) AS last_seen,
    short_name(CASE WHEN count(DISTINCT ev.principal) = 1 THEN any_value(ev.principal) ELSE any_value(ev.identity) END)
      || ' listed or described ' || count(DISTINCT ev.target)
      || ' distinct models, versions or endpoints (' || k.breakdown || ') in '
      || greatest(1, round(epoch(max(ev.ts) - min(ev.ts)) / 60))::BIGINT || ' min, up to ' || f.peak
      || ' within one hour; '
      || CASE WHEN f.baseline_hours >= $min_baseline_hours
              THEN 'its own p95 on other days is ' || round(f.p95, 1) || ' distinct per hour'
              ELSE 'it has too little history on other days for a baseline' END AS summary,
    CASE WHEN f.peak >= 3 * $min_distinct THEN 'high' END AS severity,
    to_json({distinct_resources: count(DISTINCT ev.target), peak_per_hour: f.peak,
             own_p95_per_hour: round(f.p95, 2), baseline_hours: f.baseline_hours,
             actions: list(DISTINCT ev.action ORDER BY ev.action), by_kind: k.breakdown,
             assets: list(DISTINCT ev.asset_id ORDER BY ev.asset_id) FILTER (WHERE ev.asset_id IS NOT NULL)})
        AS details,
    list(ev.id ORDER BY ev.ts, ev.id) AS event_ids,
    count(ev.id) AS evidence_count
FROM fired f
JOIN evidence ev ON ev.ph = f.ph AND ev.first_hot = f.first_hot
JOIN kinds k ON k.ph = f.ph AND k.first_hot = f.first_hot
GROUP BY f.ph, f.first_hot, f.peak, f.p95, f.baseline_hours, k.breakdown
