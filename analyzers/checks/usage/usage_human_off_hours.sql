-- Humans touching production / sensitive assets outside their own usual hours. Each person's
-- profile is learned from their own activity on OTHER days (so a night never becomes its own
-- normal): the share of their active day-hours that fall within an hour of this one, and whether
-- they work weekends at all. With too little history, nights (00:00 to night_end_hour UTC) and
-- weekends are off-hours. One finding per person and UTC day.
WITH sensitive AS (
    SELECT asset_id
    FROM assets
    WHERE environment = 'prod'
       OR regexp_matches(lower(coalesce(classification, '')), 'confidential|restricted|secret|pii|sensitive')
),
touch_hours AS (
    -- The hours each principal touched a sensitive asset, aggregated at once: the rows themselves are
    -- fetched again only for the hours judged off (materializing millions of wide rows cost 2x more).
    -- Hours are epoch(ts) // 3600: date_trunc / hour() on TIMESTAMPTZ go through ICU and cost ~20x more.
    SELECT principal, principal_type, epoch(ts)::BIGINT // 3600 AS hidx
    FROM access_events
    WHERE asset_id IN (SELECT asset_id FROM sensitive) AND principal IS NOT NULL
    GROUP BY ALL
),
people AS (
    -- is_human once per distinct principal, not once per row
    SELECT principal FROM (SELECT DISTINCT principal, principal_type FROM touch_hours)
    GROUP BY principal HAVING bool_or(is_human(principal, principal_type))
),
slots AS (
    -- every active hour of those people: day = hidx // 24, hour of day = hidx % 24, and the ISO weekday
    -- from the day number (1970-01-01 was a Thursday)
    SELECT principal, hidx, hidx // 24 AS day, hidx % 24 AS hr, (hidx // 24 + 3) % 7 >= 5 AS weekend, n
    FROM (SELECT e.principal, epoch(e.ts)::BIGINT // 3600 AS hidx, count(*) AS n
          FROM access_events e
          -- LIMIT only caps the planner's estimate, so it builds its hash table on these few people
          -- rather than on access_events (5-10x faster); a million is far above what this set holds.
          WHERE e.principal IN (SELECT principal FROM people LIMIT 1000000)
          GROUP BY ALL)
),
totals AS (
    SELECT principal, count(*) AS slots, sum(n) AS events FROM slots GROUP BY principal
),
per_day AS (
    SELECT principal, day, any_value(weekend) AS weekend, count(*) AS slots, sum(n) AS events
    FROM slots GROUP BY principal, day
),
per_hour AS (
    SELECT principal, hr, count(*) AS days FROM slots GROUP BY principal, hr
),
weekends AS (
    SELECT principal, count(*) AS days FROM per_day WHERE weekend GROUP BY principal
),
day_totals AS (
    SELECT principal, count(*) AS days FROM per_day GROUP BY principal
),
band_all AS (
    -- per person and hour of day: active days in that hour or the one before or after it
    SELECT h.principal, (h.hr + o.d + 24) % 24 AS hr, sum(h.days) AS days3
    FROM per_hour h CROSS JOIN (VALUES (-1), (0), (1)) o(d)
    GROUP BY ALL
),
band_day AS (
    -- the same for one day alone, to take that day out of its own baseline
    SELECT principal, day, (hr + o.d + 24) % 24 AS hr, count(*) AS n3
    FROM slots CROSS JOIN (VALUES (-1), (0), (1)) o(d)
    GROUP BY ALL
),
judged AS (
    -- One row per hour with a sensitive touch, scored against the person's other days.
    SELECT t.principal, t.hidx, t.hidx // 24 AS day, t.hidx % 24 AS hr, d.weekend,
           tot.events - d.events AS other_events,
           dt.days - 1 AS other_days,
           tot.slots - d.slots AS other_slots,
           coalesce(w.days, 0) - CASE WHEN d.weekend THEN 1 ELSE 0 END AS other_weekend_days,
           coalesce(ba.days3, 0) - coalesce(bd.n3, 0) AS band_slots
    FROM (SELECT DISTINCT t.principal, t.hidx FROM touch_hours t JOIN people p ON p.principal = t.principal) t
    JOIN totals tot ON tot.principal = t.principal
    JOIN day_totals dt ON dt.principal = t.principal
    JOIN per_day d ON d.principal = t.principal AND d.day = t.hidx // 24
    LEFT JOIN weekends w ON w.principal = t.principal
    LEFT JOIN band_all ba ON ba.principal = t.principal AND ba.hr = t.hidx % 24
    LEFT JOIN band_day bd ON bd.principal = t.principal AND bd.day = t.hidx // 24 AND bd.hr = t.hidx % 24
),
off AS (
    SELECT *,
           other_events >= $min_history_events AND other_days >= $min_history_days AS learned,
           CASE WHEN other_events >= $min_history_events AND other_days >= $min_history_days
                THEN band_slots < $min_hour_share * other_slots
                     OR (weekend AND other_weekend_days < $min_weekend_days)
                ELSE hr < $night_end_hour OR weekend END AS outside,
           hr < $night_end_hour OR (weekend AND other_weekend_days < $min_weekend_days) AS deep
    FROM judged
),
usual AS (
    -- for the sentence: the hours that hold at least min_hour_share of the person's activity
    SELECT h.principal, min(h.hr) AS first_hr, max(h.hr) AS last_hr
    FROM per_hour h JOIN totals t ON t.principal = h.principal
    WHERE h.days >= $min_hour_share * t.slots
    GROUP BY h.principal
),
evidence AS (
    SELECT e.id, e.ts, e.principal, e.asset_id, e.action, e.source_ip,
           o.learned, o.deep, o.other_weekend_days, o.other_days
    FROM access_events e
    JOIN off o ON o.principal = e.principal AND o.hidx = epoch(e.ts)::BIGINT // 3600
    WHERE o.outside AND e.asset_id IN (SELECT asset_id FROM sensitive)
),
addresses AS (
    -- Who used each address of the evidence, and since when (events up to the latest evidence).
    SELECT principal, source_ip, min(ts) AS first_seen
    FROM access_events
    WHERE ts <= (SELECT max(ts) FROM evidence)
    -- LIMIT only caps the planner's estimate, so it builds its hash table on these few addresses
    -- rather than on access_events (5-10x faster); a million is far above what this set holds.
      AND source_ip IN (SELECT DISTINCT source_ip FROM evidence WHERE source_ip IS NOT NULL LIMIT 1000000)
    GROUP BY ALL
),
novel AS (
    -- An address is new for a principal when it had not used it until 24 h before, fewer than
    -- known_address_principals other principals had used it (a shared office or VPN egress is no new
    -- place), and it is a public IP address (a fresh private address is another host of one's own
    -- network, e.g. a new serving instance; a service name such as 'AWS Internal' is no place at all).
    SELECT x.principal, x.source_ip, x.at,
           NOT coalesce(bool_or(a.principal = x.principal AND a.first_seen <= x.at - INTERVAL 24 HOUR), false)
           AND count(a.principal) FILTER (WHERE a.principal <> x.principal AND a.first_seen < x.at)
               < $known_address_principals
           AND is_public_address(x.source_ip)
               AS is_new
    FROM (SELECT DISTINCT principal, source_ip, ts AS at FROM evidence WHERE source_ip IS NOT NULL) x
    LEFT JOIN addresses a ON a.source_ip = x.source_ip
    GROUP BY x.principal, x.source_ip, x.at
),
days AS (
    SELECT e.principal, e.ts::DATE AS day, bool_or(e.learned) AS learned, bool_or(e.deep) AS deep,
           max(e.other_weekend_days) AS other_weekend_days, max(e.other_days) AS other_days,
           min(e.ts) AS first_seen, max(e.ts) AS last_seen, count(*) AS n,
           count(DISTINCT e.asset_id) AS n_assets,
           list(DISTINCT e.asset_id ORDER BY e.asset_id) AS assets,
           list(DISTINCT e.action ORDER BY e.action) AS actions,
           coalesce(list(DISTINCT e.source_ip ORDER BY e.source_ip) FILTER (WHERE e.source_ip IS NOT NULL), [])
               AS ips,
           coalesce(list(DISTINCT e.source_ip ORDER BY e.source_ip)
                        FILTER (WHERE n.is_new), []) AS new_ips,
           list(e.id ORDER BY e.ts, e.id) AS event_ids
    FROM evidence e
    LEFT JOIN novel n ON n.principal = e.principal AND n.source_ip = e.source_ip AND n.at = e.ts
    GROUP BY e.principal, e.ts::DATE
)
SELECT
    d.principal || '|' || strftime(d.day, '%Y-%m-%d') AS key,
    d.principal,
    CASE WHEN d.n_assets = 1 THEN d.assets[1] END AS asset_id,
    d.first_seen, d.last_seen,
    short_name(d.principal) || ' touched ' || d.n_assets || ' production/sensitive asset'
      || CASE WHEN d.n_assets > 1 THEN 's' ELSE '' END || ' (' || array_to_string(d.assets[1:3], ', ')
      || CASE WHEN d.n_assets > 3 THEN ', ...' ELSE '' END || ') with ' || d.n || ' '
      || array_to_string(d.actions[1:3], '/') || CASE WHEN len(d.actions) > 3 THEN '/...' ELSE '' END
      || ' calls at ' || strftime(d.first_seen, '%H:%M') || '-' || strftime(d.last_seen, '%H:%M') || ' UTC on '
      || strftime(d.day, '%A %Y-%m-%d') || ', outside '
      || CASE WHEN d.learned AND u.first_hr IS NOT NULL
              THEN 'their usual hours (' || lpad(u.first_hr::VARCHAR, 2, '0') || ':00-'
                   || lpad(u.last_hr::VARCHAR, 2, '0') || ':59 UTC'
                   || CASE WHEN d.other_weekend_days = 0 THEN ', never on weekends' ELSE '' END
                   || ' over ' || d.other_days || ' other days)'
              ELSE 'office hours (too little history: nights and weekends count)' END
      || CASE WHEN len(d.new_ips) > 0
              THEN '; from ' || array_to_string(d.new_ips, ', ') || ', new for this principal'
              WHEN len(d.ips) > 0 THEN '; from ' || array_to_string(d.ips, ', ') || ', a known address'
              ELSE '' END AS summary,
    CASE WHEN d.deep AND len(d.new_ips) > 0 THEN 'high' END AS severity,
    to_json({events: d.n, assets: d.assets, actions: d.actions, source_ips: d.ips, new_source_ips: d.new_ips,
             learned_profile: d.learned, usual_first_hour: u.first_hr, usual_last_hour: u.last_hr,
             other_active_days: d.other_days, other_weekend_days: d.other_weekend_days,
             night_or_unworked_weekend: d.deep}) AS details,
    d.event_ids,
    len(d.event_ids) AS evidence_count
FROM days d
LEFT JOIN usual u ON u.principal = d.principal
