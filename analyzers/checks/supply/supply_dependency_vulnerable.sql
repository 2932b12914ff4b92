-- Known vulnerabilities in the dependencies of ML services (Trivy, pip-audit): one finding per
-- vulnerable package version in a scanned artifact (image, repository, directory or audited
-- environment) and lockfile, naming its advisories, the worst severity and the fixed versions.
-- An artifact's current state is the latest report about it from that scanner (by scan time, then
-- load; a report that found nothing still has its 'audited' rows): a package fixed since then is no
-- longer in it, and its finding stops firing.
WITH reports AS (
    SELECT scanner, target, run_id, max(scanned_at) AS scanned_at
    FROM scan_results
    WHERE kind IN ('vulnerability', 'audited') AND target <> ''
    GROUP BY ALL
),
latest AS (
    SELECT scanner, target, arg_max(run_id, (coalesce(scanned_at, '-infinity'::TIMESTAMPTZ), run_id)) AS run_id
    FROM reports
    GROUP BY ALL
),
vulns AS (
    SELECT s.id, s.scanner, s.target, coalesce(s.member, '') AS member, s.asset_id, s.scanned_at,
           coalesce(s.module_operator, 'an unnamed package') AS pin, s.rule_id,
           nullif(regexp_extract(s.message, '[(;] ?fixed in ([^);]+)', 1), '') AS fixed,
           severity_rank(coalesce(s.severity, 'medium'))
               AS rank
    FROM scan_results s
    JOIN latest l USING (scanner, target, run_id)
    WHERE s.kind = 'vulnerability'
),
packages AS (
    SELECT scanner, target, member, pin,
           any_value(asset_id) AS asset_id, min(scanned_at) AS first_seen, max(scanned_at) AS last_seen,
           max(rank) AS rank, count(DISTINCT rule_id) AS advisories,
           list(DISTINCT rule_id ORDER BY rule_id) AS ids,
           list(DISTINCT rule_id ORDER BY rule_id) FILTER (WHERE rank = 4) AS critical_ids,
           list(DISTINCT fixed ORDER BY fixed) FILTER (WHERE fixed IS NOT NULL) AS fixes,
           list(id ORDER BY rank DESC, rule_id) AS scan_ids
    FROM vulns
    GROUP BY ALL
    HAVING max(rank) >= severity_rank($min_severity)
)
SELECT
    p.scanner || '|' || p.target || '|' || p.member || '|' || p.pin AS key,
    p.asset_id,
    p.target AS resource,
    p.first_seen,
    p.last_seen,
    CASE p.rank WHEN 4 THEN 'critical' WHEN 3 THEN 'high' WHEN 2 THEN 'medium' WHEN 1 THEN 'low' ELSE 'info' END
        AS severity,
    p.pin || ' in ' || CASE WHEN p.member <> '' THEN p.member || ' of ' ELSE '' END || p.target
      || CASE WHEN a.asset_id IS NOT NULL
              THEN ' (' || a.kind || ' ' || a.name || coalesce(', ' || a.environment, '') || ')' ELSE '' END
      || ' has ' || p.advisories || ' known vulnerabilit' || CASE WHEN p.advisories = 1 THEN 'y' ELSE 'ies' END
      || ' (' || array_to_string(p.ids[1:5], ', ') || CASE WHEN p.advisories > 5 THEN ', …' ELSE '' END || ')'
      || CASE WHEN len(coalesce(p.critical_ids, [])) > 0
              THEN ', ' || len(p.critical_ids) || ' of them critical' ELSE '' END
      || CASE WHEN len(coalesce(p.fixes, [])) > 0 THEN '; fixed in ' || array_to_string(p.fixes[1:3], ' / ')
              ELSE '; no fixed version yet' END
      || ' — reported by ' || p.scanner || coalesce(' on ' || strftime(p.last_seen, '%Y-%m-%d'), '') || '.'
      AS summary,
    to_json({package: p.pin, member: nullif(p.member, ''), scanner: p.scanner, advisories: p.ids,
             critical: coalesce(p.critical_ids, []), fixed_in: coalesce(p.fixes, [])}) AS details,
    p.scan_ids
FROM packages p
LEFT JOIN assets a ON a.asset_id = p.asset_id
