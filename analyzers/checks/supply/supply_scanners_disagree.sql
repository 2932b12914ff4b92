-- Multi-scanner consensus: one finding per model file that one scanner flags and another passed.
-- A file is its sha256, else its path ('\' read as '/'); a row without a hash takes the hash other rows
-- report for the same path when there is exactly one, so a hashing scanner and a path-only one meet.
-- Each scanner's word on a file is its latest actual scan of it (its latest run with 'issue' or 'scanned'
-- rows for the file, by scan time then run): it flags the file when that scan has an issue at or above
-- $min_severity, else it passed the file (a skipped or failed scan is no opinion). Archive members roll
-- up to their file. Evidence: the flagging issues and the passing scanners' rows of those scans.
WITH rows AS (
    SELECT id, scanner, run_id, scanned_at, kind, target, member, asset_id,
           replace(target, '\', '/') AS path,
           CASE WHEN regexp_full_match(lower(trim(sha256)), '[0-9a-f]{64}') THEN lower(trim(sha256)) END AS sha,
           CASE WHEN kind = 'issue' THEN
               severity_rank(coalesce(severity, 'medium'))
           END AS rank,
           coalesce(module_operator, rule_id, 'an unnamed finding') AS what
    FROM scan_results
    WHERE kind IN ('issue', 'scanned') AND target <> ''
),
keyed AS (SELECT * FROM scan_file_keys('rows')),
latest AS (
    SELECT file, scanner, run_id, max(scanned_at) AS scanned_at, max(rank) AS top,
           coalesce(max(rank), -1) >= severity_rank($min_severity) AS flagged
    FROM keyed
    GROUP BY file, scanner, run_id
    QUALIFY row_number() OVER (PARTITION BY file, scanner ORDER BY max(scanned_at) DESC NULLS LAST, run_id DESC) = 1
),
contested AS (
    SELECT file, max(top) FILTER (WHERE flagged) AS rank
    FROM latest
    GROUP BY file
    HAVING bool_or(flagged) AND bool_or(NOT flagged)
),
evidence AS (
    SELECT k.*, l.flagged, l.top
    FROM keyed k
    JOIN latest l USING (file, scanner, run_id)
    JOIN contested c USING (file)
    WHERE NOT l.flagged
       OR (k.kind = 'issue' AND k.rank >= severity_rank($min_severity))
),
flaggers AS (
    SELECT file, scanner, max(rank) AS rank, list_sort(list_distinct(list(what))) AS whats,
           list_sort(list_distinct(list(member) FILTER (WHERE member IS NOT NULL))) AS members
    FROM evidence WHERE flagged
    GROUP BY file, scanner
),
passers AS (
    SELECT file, scanner, any_value(top) AS top, max(scanned_at) AS scanned_at
    FROM evidence WHERE NOT flagged
    GROUP BY file, scanner
),
flag_text AS (
    SELECT file,
           string_agg(scanner || ' flags ' || array_to_string(whats, ', ') || ' ('
                      || CASE rank WHEN 4 THEN 'CRITICAL' WHEN 3 THEN 'HIGH' WHEN 2 THEN 'MEDIUM' WHEN 1 THEN 'LOW'
                                   ELSE 'INFO' END || ')', '; ' ORDER BY rank DESC, scanner) AS text,
           list(scanner ORDER BY rank DESC, scanner) AS scanners,
           list({scanner: scanner,
                 severity: CASE rank WHEN 4 THEN 'critical' WHEN 3 THEN 'high' WHEN 2 THEN 'medium'
                                     WHEN 1 THEN 'low' ELSE 'info' END,
                 findings: whats, members: members} ORDER BY rank DESC, scanner) AS flagged_by
    FROM flaggers GROUP BY file
),
pass_text AS (
    SELECT file,
           string_agg(scanner || CASE WHEN top IS NOT NULL
                                      THEN ' (at most ' || CASE top WHEN 3 THEN 'HIGH' WHEN 2 THEN 'MEDIUM'
                                                                    WHEN 1 THEN 'LOW' ELSE 'INFO' END || ')'
                                      ELSE '' END, ', ' ORDER BY scanner) AS text,
           list(scanner ORDER BY scanner) AS scanners,
           count(*) AS n
    FROM passers GROUP BY file
),
files AS (
    SELECT file, any_value(file_sha) AS sha, min(target) FILTER (WHERE flagged) AS target,
           list(DISTINCT target ORDER BY target) AS targets,
           list(id ORDER BY id)[1:1000] AS scan_ids, CASE WHEN count(*) > 1000 THEN count(*) END AS evidence_count,
           min(scanned_at) AS first_seen, max(scanned_at) AS last_seen
    FROM evidence GROUP BY file
),
linked AS (
    SELECT file, min(asset_id) AS asset_id FROM keyed
    WHERE asset_id IS NOT NULL AND file IN (SELECT file FROM contested)
    GROUP BY file
)
SELECT
    f.file AS key,
    l.asset_id,
    f.target AS resource,
    f.first_seen,
    f.last_seen,
    CASE WHEN c.rank >= 3 THEN 'high' ELSE 'medium' END AS severity,
    'Scanners disagree on ' || f.target || coalesce(' (sha256 ' || left(f.sha, 12) || '…)', '')
      || CASE WHEN a.asset_id IS NOT NULL
              THEN ', the artifact of ' || a.kind || ' ' || a.name || coalesce(' ' || a.version, '')
                   || coalesce(' (' || a.environment || ')', '')
              ELSE '' END
      || ': ' || ft.text || ', but ' || pt.text || ' passed it in '
      || CASE WHEN pt.n = 1 THEN 'its' ELSE 'their' END
      || ' latest scan — the pass does not clear the file.' AS summary,
    to_json({sha256: f.sha, targets: f.targets, flagged_by: ft.flagged_by, passed_by: pt.scanners,
             min_severity: lower($min_severity)}) AS details,
    f.scan_ids,
    f.evidence_count
FROM files f
JOIN contested c USING (file)
JOIN flag_text ft USING (file)
JOIN pass_text pt USING (file)
LEFT JOIN linked l USING (file)
LEFT JOIN assets a ON a.asset_id = l.asset_id
