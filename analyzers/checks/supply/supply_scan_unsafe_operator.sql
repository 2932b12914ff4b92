-- Unsafe operators found by a model scanner: one finding per scanned file (target + archive member).
-- A file's current state is its latest actual scan by that scanner (a run with 'issue' or 'scanned' rows
-- for it, ordered by scan time then run): if that scan is clean the file does not fire; a skipped or failed
-- rescan proves nothing. Evidence = the issue rows since the file's last clean scan.
WITH observed AS (
    SELECT scanner, target, run_id, max(scanned_at) AS scanned_at, bool_or(kind = 'issue') AS flagged
    FROM scan_results
    WHERE kind IN ('issue', 'scanned') AND target <> ''
    GROUP BY ALL
),
ordered AS (
    SELECT *, row_number() OVER (PARTITION BY scanner, target ORDER BY scanned_at NULLS FIRST, run_id) AS seq
    FROM observed
),
state AS (
    SELECT scanner, target, coalesce(max(seq) FILTER (WHERE NOT flagged), 0) AS last_clean
    FROM ordered
    GROUP BY ALL
    HAVING arg_max(flagged, seq)
),
issues AS (
    SELECT s.id, s.scanner, s.target, coalesce(s.member, '') AS member, s.scanned_at, s.asset_id, s.sha256,
           coalesce(s.module_operator, s.rule_id, 'an unnamed operator') AS operator,
           severity_rank(coalesce(s.severity, 'medium'))
               AS rank
    FROM scan_results s
    JOIN ordered o USING (scanner, target, run_id)
    JOIN state st USING (scanner, target)
    WHERE s.kind = 'issue' AND o.seq > st.last_clean
),
flagged AS (
    SELECT * FROM issues
    WHERE rank >= severity_rank($min_severity)
),
-- Location fallback for files linking could not place (their hash differs from the inventory's): the
-- scanned path ends with an asset's object key — bucket/key of an exact URI locator or of its uri — or, when
-- the key has a folder, with the key alone (case-insensitive, '\' read as '/'); the longest match wins.
objects AS (
    SELECT DISTINCT asset_id, parts.bucket AS bucket, parts.key AS key,
           regexp_extract(parts.key, '[^/]+$') AS base
    FROM (
        SELECT asset_id, regexp_extract(locator, '^[a-z][a-z0-9+.-]*://([^/]+)/(.*[^/])$', ['bucket', 'key'])
                   AS parts
        FROM asset_locators WHERE kind = 'exact'
        UNION ALL
        SELECT asset_id, regexp_extract(lower(uri), '^[a-z][a-z0-9+.-]*://([^/]+)/(.*[^/])$', ['bucket', 'key'])
        FROM assets WHERE uri IS NOT NULL
    )
    WHERE parts.key <> ''
),
unlinked AS (
    SELECT DISTINCT target, replace(lower(target), '\', '/') AS path FROM flagged WHERE asset_id IS NULL
),
located AS (
    SELECT u.target, o.asset_id,
           CASE WHEN ends_with(u.path, '/' || o.bucket || '/' || o.key) THEN strlen(o.bucket || o.key) + 1
                ELSE strlen(o.key) END AS strength
    FROM unlinked u
    JOIN objects o ON regexp_extract(u.path, '[^/]+$') = o.base
    WHERE ends_with(u.path, '/' || o.bucket || '/' || o.key) OR (ends_with(u.path, '/' || o.key) AND contains(o.key, '/'))
    UNION ALL
    SELECT u.target, l.asset_id, 100000 AS strength
    FROM unlinked u JOIN asset_locators l ON l.kind = 'exact' AND l.locator = u.path
),
by_location AS (
    -- only an unambiguous best match names the asset
    SELECT target, min(asset_id) AS asset_id
    FROM (SELECT * FROM located QUALIFY rank() OVER (PARTITION BY target ORDER BY strength DESC) = 1)
    GROUP BY target
    HAVING count(DISTINCT asset_id) = 1
),
per_operator AS (
    SELECT target, member, operator, max(rank) AS rank, count(*) AS n
    FROM flagged GROUP BY ALL
),
operators AS (
    SELECT target, member,
           string_agg(operator || ' (' || CASE rank WHEN 4 THEN 'CRITICAL' WHEN 3 THEN 'HIGH' WHEN 2 THEN 'MEDIUM'
                                                   WHEN 1 THEN 'LOW' ELSE 'INFO' END || ')', ', '
                      ORDER BY rank DESC, operator) AS text,
           list(operator ORDER BY rank DESC, operator) AS names
    FROM per_operator GROUP BY ALL
),
files AS (
    SELECT f.target, f.member, max(f.rank) AS rank, list(f.id ORDER BY f.id) AS scan_ids,
           min(f.scanned_at) AS first_seen, max(f.scanned_at) AS last_seen,
           string_agg(DISTINCT f.scanner, ', ') AS scanners, any_value(f.sha256) AS sha256,
           coalesce(any_value(f.asset_id), any_value(b.asset_id)) AS asset_id,
           any_value(f.asset_id) IS NULL AND any_value(b.asset_id) IS NOT NULL AS matched_by_location
    FROM flagged f LEFT JOIN by_location b USING (target)
    GROUP BY f.target, f.member
)
SELECT
    f.target || '|' || f.member AS key,
    f.asset_id,
    f.target AS resource,
    f.first_seen,
    f.last_seen,
    CASE f.rank WHEN 4 THEN 'critical' WHEN 3 THEN 'high' WHEN 2 THEN 'medium' WHEN 1 THEN 'low' ELSE 'info' END
        AS severity,
    f.scanners || ' found ' || o.text || ' in '
      || CASE WHEN f.member <> '' THEN 'member ' || f.member || ' of ' ELSE '' END || f.target
      || coalesce(' (sha256 ' || left(f.sha256, 12) || '…)', '')
      || CASE WHEN a.asset_id IS NOT NULL
              THEN ', the artifact of ' || a.kind || ' ' || a.name || coalesce(' ' || a.version, '')
                   || coalesce(' (' || a.environment || ')', '')
              ELSE ' (no inventory asset)' END
      || coalesce(', last scanned ' || strftime(f.last_seen, '%Y-%m-%d %H:%M') || ' UTC', '')
      || '; loading the file runs that code.' AS summary,
    to_json({operators: o.names, scanners: f.scanners, member: nullif(f.member, ''), sha256: f.sha256,
             first_flagged: f.first_seen, last_flagged: f.last_seen, issues: len(f.scan_ids),
             matched_by_location: f.matched_by_location}) AS details,
    f.scan_ids
FROM files f
JOIN operators o USING (target, member)
LEFT JOIN assets a ON a.asset_id = f.asset_id
