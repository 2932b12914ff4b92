-- Model files no scanner could scan: every scanner that reported the file only skipped it or failed on it
-- (modelscan's SCAN_NOT_SUPPORTED, ModelAudit's "Unknown or unhandled format", time/memory caps, parse
-- errors) and none has an 'issue' or 'scanned' row for it. A file is its sha256, else its path (a row
-- without a hash takes the one other rows report for the same path, when there is exactly one); a model
-- file is one whose path ends in one of $model_extensions (case-insensitive). The reasons shown are each
-- scanner's latest word on the file; evidence is those rows.
WITH rows AS (
    SELECT id, scanner, run_id, scanned_at, kind, target, member, asset_id, rule_id, message,
           replace(target, '\', '/') AS path,
           CASE WHEN regexp_full_match(lower(trim(sha256)), '[0-9a-f]{64}') THEN lower(trim(sha256)) END AS sha
    FROM scan_results
    WHERE kind IN ('issue', 'scanned', 'skipped', 'error') AND target <> ''
),
keyed AS (SELECT * FROM scan_file_keys('rows')),
unscanned AS (
    SELECT file
    FROM keyed
    GROUP BY file
    HAVING NOT bool_or(kind IN ('issue', 'scanned'))
       AND bool_or(list_bool_or(list_transform($model_extensions::VARCHAR[],
                                               lambda x: ends_with(lower(path), lower(x)))))
),
latest AS (
    SELECT file, scanner, run_id
    FROM keyed
    WHERE file IN (SELECT file FROM unscanned)
    GROUP BY file, scanner, run_id
    QUALIFY row_number() OVER (PARTITION BY file, scanner ORDER BY max(scanned_at) DESC NULLS LAST, run_id DESC) = 1
),
evidence AS (
    SELECT k.* FROM keyed k JOIN latest USING (file, scanner, run_id)
),
per_scanner AS (
    SELECT file, scanner,
           scanner || CASE WHEN bool_and(kind = 'skipped') THEN ' skipped it' ELSE ' failed on it' END
             || ' (' || min(coalesce(rule_id, kind) || coalesce(': ' || left(message, 120), '')) || ')' AS text,
           bool_and(kind = 'skipped') AS skipped
    FROM evidence
    GROUP BY file, scanner
),
reasons AS (
    SELECT file, string_agg(text, '; ' ORDER BY scanner) AS text,
           list(scanner ORDER BY scanner) FILTER (WHERE skipped) AS skipped_by,
           list(scanner ORDER BY scanner) FILTER (WHERE NOT skipped) AS failed_on
    FROM per_scanner GROUP BY file
),
files AS (
    SELECT file, any_value(file_sha) AS sha, min(target) AS target, list(DISTINCT target ORDER BY target) AS targets,
           list(id ORDER BY id)[1:1000] AS scan_ids, CASE WHEN count(*) > 1000 THEN count(*) END AS evidence_count,
           min(scanned_at) AS first_seen, max(scanned_at) AS last_seen
    FROM evidence GROUP BY file
),
linked AS (
    SELECT file, min(asset_id) AS asset_id FROM keyed
    WHERE asset_id IS NOT NULL AND file IN (SELECT file FROM unscanned)
    GROUP BY file
)
SELECT
    f.file AS key,
    l.asset_id,
    f.target AS resource,
    f.first_seen,
    f.last_seen,
    'No scanner could scan ' || f.target || coalesce(' (sha256 ' || left(f.sha, 12) || '…)', '')
      || CASE WHEN a.asset_id IS NOT NULL
              THEN ', the artifact of ' || a.kind || ' ' || a.name || coalesce(' ' || a.version, '')
                   || coalesce(' (' || a.environment || ')', '')
              ELSE '' END
      || ': ' || r.text || '. Nothing has checked it for unsafe code.' AS summary,
    to_json({sha256: f.sha, targets: f.targets, skipped_by: coalesce(r.skipped_by, []),
             failed_on: coalesce(r.failed_on, [])}) AS details,
    f.scan_ids,
    f.evidence_count
FROM files f
JOIN reasons r USING (file)
LEFT JOIN linked l USING (file)
LEFT JOIN assets a ON a.asset_id = l.asset_id
