"""Reads the database into a ReportData: findings with their evidence, triage, lineage, inputs and runs."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mlspm import __version__
from mlspm.findings import Finding, FindingFilter, query
from mlspm.report.model import (
    Activity,
    AnalysisRun,
    AnalyzerRun,
    AssetInfo,
    Changes,
    ControlPosture,
    EvidenceEvent,
    EvidenceScan,
    FindingRef,
    FrameworkInfo,
    FrameworkPosture,
    InputFile,
    LineageLink,
    RejectReason,
    ReportData,
    ReportFinding,
    RuleInfo,
    Stamp,
    TriageChange,
)
from mlspm.store import Cursor

EVIDENCE_ROWS = 10
"""Evidence events (and scan results) shown per finding: an excerpt, the database holds the rest."""
LINEAGE_DEPTH = 3
"""How many lineage hops up and down from a finding's asset the report follows."""
ACTIVITY_SEVERITIES = ("critical", "high")
"""Findings that get an activity sparkline: the key incidents."""
ACTIVITY_LIMIT = 50
"""At most this many sparklines (each reads the subject's events around the window): a bounded cost."""

# A relation's direction: "X trained_on Y" means Y feeds X (Y is upstream); "X deployed_as Y" means
# X feeds Y. Relations not listed read like trained_on (the source depends on the destination).
_FEEDS_DESTINATION = frozenset({"deployed_as"})


def collect(
    cur: Cursor,
    flt: FindingFilter,
    rules: Mapping[str, RuleInfo],
    frameworks: Mapping[str, FrameworkInfo] | None = None,
    *,
    database: str,
    generated_at: datetime | None = None,
    evidence_rows: int = EVIDENCE_ROWS,
) -> ReportData:
    """Everything a report shows for the findings matching ``flt``; ``generated_at`` defaults to now."""
    frameworks = frameworks or {}
    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    runs = _runs(cur)
    latest = runs[0] if runs else None
    previous = runs[1] if len(runs) > 1 else None
    run_ids = _run_ids(cur)
    lineage = _lineage(cur)
    rows = query(cur, flt)
    fps = [f.fingerprint for f in rows]
    # One query per kind for all findings, not five per finding: a report of thousands of findings
    # over millions of events stays a few scans.
    events = _events(cur, fps, evidence_rows)
    scans = _scans(cur, fps, evidence_rows)
    changes = _history(cur, fps)
    assets = _assets(cur)
    findings: list[ReportFinding] = []
    sparklines = 0
    for f in rows:
        first_run = run_ids.get(f.fingerprint, (None, None))[0]
        rf = ReportFinding(
            finding=f,
            rule=rules.get(f.analyzer_id),
            history=changes.get(f.fingerprint, []),
            events=events.get(f.fingerprint, []),
            scans=scans.get(f.fingerprint, []),
            asset=assets.get(f.asset_id) if f.asset_id else None,
            new_in_latest_run=bool(latest and previous and first_run == latest.run_id),
        )
        if f.asset_id:
            rf.upstream, rf.downstream = _walk(lineage, f.asset_id)
        if f.severity in ACTIVITY_SEVERITIES and rf.events and sparklines < ACTIVITY_LIMIT:
            rf.activity = _activity(cur, f)
            sparklines += rf.activity is not None
        findings.append(rf)
    inputs = _inputs(cur)
    return ReportData(
        stamp=Stamp(
            mlspm_version=__version__,
            database=database,
            generated_at=when,
            scope=scope(flt),
            inputs_digest=inputs_digest(inputs),
            input_files=len({i.sha256 for i in inputs if i.sha256}),
        ),
        findings=findings,
        rules=rules,
        changes=_changes(cur, flt, findings, latest, previous, run_ids),
        posture=_posture(findings, rules, frameworks),
        inputs=inputs,
        rejects=_rejects(cur),
        analyzer_runs=_analyzer_runs(cur, latest, rules),
        daily_activity=[
            (datetime(d.year, d.month, d.day, tzinfo=UTC), int(n))
            for d, n in cur.execute(
                "SELECT day, sum(events) FROM daily_activity GROUP BY day ORDER BY day"
            ).fetchall()
        ],
        frameworks=frameworks,
    )


def scope(flt: FindingFilter) -> dict[str, Any]:
    """The filter as the reader should see it (only what narrows the report)."""
    out: dict[str, Any] = {}
    if flt.min_severity is not None:
        out["min_severity"] = flt.min_severity.value
    if flt.statuses:
        out["statuses"] = [s.value for s in flt.statuses]
    if flt.categories:
        out["categories"] = list(flt.categories)
    if flt.analyzers:
        out["analyzers"] = list(flt.analyzers)
    if flt.since is not None:
        out["since"] = flt.since.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if flt.fingerprints:
        out["fingerprints"] = list(flt.fingerprints)
    out["include_inactive"] = flt.include_inactive
    out["include_suppressed"] = flt.include_suppressed
    return out


def inputs_digest(inputs: list[InputFile]) -> str:
    """One hash naming the whole input: over the sorted, distinct sha256 of the files read.

    File contents only (not paths), so the same evidence loaded from another folder gives the same value.
    """
    hashes = sorted({i.sha256 for i in inputs if i.sha256})
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def _runs(cur: Cursor) -> list[AnalysisRun]:
    rows = cur.execute(
        "SELECT run_id, started_at, data_until, mlspm_version FROM analysis_runs ORDER BY run_id DESC LIMIT 2"
    ).fetchall()
    return [AnalysisRun(int(r[0]), r[1], r[2], str(r[3])) for r in rows]


def _run_ids(cur: Cursor) -> dict[str, tuple[int, int]]:
    rows = cur.execute("SELECT fingerprint, first_run_id, last_run_id FROM findings").fetchall()
    return {fp: (int(a), int(b)) for fp, a, b in rows}


def _assets(cur: Cursor) -> dict[str, AssetInfo]:
    # inventory-sized: read once
    rows = cur.execute(
        "SELECT asset_id, kind, name, version, uri, owner, environment, classification, source FROM assets"
    ).fetchall()
    return {str(r[0]): AssetInfo(*r) for r in rows}


def _events(cur: Cursor, fingerprints: list[str], limit: int) -> dict[str, list[EvidenceEvent]]:
    """The first ``limit`` evidence events of each finding, oldest first (ties by id: deterministic)."""
    rows = cur.execute(
        """SELECT v.fingerprint, e.ts, e.principal, e.action, e.resource, e.outcome, e.source_ip
           FROM finding_evidence v JOIN access_events e ON e.id = v.id
           SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS fp) w ON w.fp = v.fingerprint
           WHERE v.kind = 'event'
           QUALIFY row_number() OVER (PARTITION BY v.fingerprint ORDER BY e.ts, e.id) <= ?
           ORDER BY v.fingerprint, e.ts, e.id""",
        [fingerprints, limit],
    ).fetchall()
    out: dict[str, list[EvidenceEvent]] = {}
    for fp, *values in rows:
        out.setdefault(fp, []).append(EvidenceEvent(*values))
    return out


def _scans(cur: Cursor, fingerprints: list[str], limit: int) -> dict[str, list[EvidenceScan]]:
    """The scan results behind each finding, most severe first."""
    rows = cur.execute(
        """SELECT v.fingerprint, s.scanned_at, s.scanner, s.target, s.member, s.severity, s.module_operator,
                  s.message
           FROM finding_evidence v JOIN scan_results s ON s.id = v.id
           SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS fp) w ON w.fp = v.fingerprint
           WHERE v.kind = 'scan'
           QUALIFY row_number() OVER (
               PARTITION BY v.fingerprint
               ORDER BY list_position(['critical','high','medium','low','info'], s.severity) NULLS LAST,
                        s.target, s.member NULLS FIRST, s.id) <= ?
           ORDER BY v.fingerprint,
                    list_position(['critical','high','medium','low','info'], s.severity) NULLS LAST,
                    s.target, s.member NULLS FIRST, s.id""",
        [fingerprints, limit],
    ).fetchall()
    out: dict[str, list[EvidenceScan]] = {}
    for fp, *values in rows:
        out.setdefault(fp, []).append(EvidenceScan(*values))
    return out


def _history(cur: Cursor, fingerprints: list[str]) -> dict[str, list[TriageChange]]:
    rows = cur.execute(
        "SELECT fingerprint, changed_at, actor, from_status, to_status, assignee, note, expires_at "
        "FROM triage_history SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS fp) w ON w.fp = fingerprint "
        "ORDER BY fingerprint, changed_at, rowid",
        [fingerprints],
    ).fetchall()
    out: dict[str, list[TriageChange]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(TriageChange(*row))
    return out


def _lineage(cur: Cursor) -> list[tuple[str, str, str]]:
    # Inventory-sized (one row per relation between assets): read once, walked in Python per finding.
    rows = cur.execute(
        "SELECT DISTINCT src_asset, relation, dst_asset FROM lineage ORDER BY src_asset, relation, dst_asset"
    ).fetchall()
    return [(str(s), str(r), str(d)) for s, r, d in rows]


def _walk(edges: list[tuple[str, str, str]], start: str) -> tuple[list[LineageLink], list[LineageLink]]:
    """Breadth-first up (what the asset is built from or stored in) and down (what uses it)."""
    up_of: dict[str, list[tuple[str, str, str, str]]] = {}
    down_of: dict[str, list[tuple[str, str, str, str]]] = {}
    for src, rel, dst in edges:
        if rel in _FEEDS_DESTINATION:
            down_of.setdefault(src, []).append((src, rel, dst, dst))
            up_of.setdefault(dst, []).append((src, rel, dst, src))
        else:
            up_of.setdefault(src, []).append((src, rel, dst, dst))
            down_of.setdefault(dst, []).append((src, rel, dst, src))

    def bfs(graph: dict[str, list[tuple[str, str, str, str]]]) -> list[LineageLink]:
        links: list[LineageLink] = []
        seen = {start}
        todo: deque[tuple[str, int]] = deque([(start, 1)])
        while todo:
            node, depth = todo.popleft()
            for src, rel, dst, other in graph.get(node, []):
                links.append(LineageLink(depth, src, rel, dst, other))
                if other not in seen and depth < LINEAGE_DEPTH:
                    seen.add(other)
                    todo.append((other, depth + 1))
        return links

    return bfs(up_of), bfs(down_of)


def _activity(cur: Cursor, f: Finding) -> Activity | None:
    """The principal's (else the asset's) events per bin, from before to after the finding's window."""
    if f.first_seen is None or f.last_seen is None:
        return None
    if f.principal:
        kind, subject, column = "principal", f.principal, "principal"
    elif f.asset_id:
        kind, subject, column = "asset", f.asset_id, "asset_id"
    else:
        return None
    first, last = f.first_seen.astimezone(UTC), f.last_seen.astimezone(UTC)
    # Show as much before and after as the window lasts (at least a day each side): enough to see
    # what the subject usually does next to what it did.
    pad = max(last - first, timedelta(days=1))
    hourly = (last - first) + 2 * pad <= timedelta(days=4)
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    start = _floor(first - pad, hourly)
    end = _floor(last + pad, hourly) + step
    seconds = int(step.total_seconds())
    # epoch arithmetic rather than date_trunc on TIMESTAMPTZ: exact UTC bins, and much cheaper
    sql = (
        f"SELECT epoch(ts)::BIGINT // {seconds} AS b, count(*) FROM access_events "  # noqa: S608 (constants)
        f"WHERE {column} = ? AND ts >= ? AND ts < ? GROUP BY b ORDER BY b"
    )
    found = {int(b): int(n) for b, n in cur.execute(sql, [subject, start, end]).fetchall()}
    counts: list[tuple[datetime, int]] = []
    at = start
    while at < end:
        counts.append((at, found.get(int(at.timestamp()) // seconds, 0)))
        at += step
    return Activity(kind, subject, "hour" if hourly else "day", start, end, counts, (first, last))


def _floor(ts: datetime, hourly: bool) -> datetime:
    return (
        ts.replace(minute=0, second=0, microsecond=0)
        if hourly
        else ts.replace(hour=0, minute=0, second=0, microsecond=0)
    )


def _ref(f: Finding) -> FindingRef:
    return FindingRef(f.fingerprint, f.severity, f.title, f.summary)


def _changes(
    cur: Cursor,
    flt: FindingFilter,
    findings: list[ReportFinding],
    latest: AnalysisRun | None,
    previous: AnalysisRun | None,
    run_ids: dict[str, tuple[int, int]],
) -> Changes:
    changes = Changes(latest=latest, previous=previous)
    if latest is None or previous is None:
        # One analysis so far: everything is new, nothing stopped; every triage decision is listed.
        in_scope = {rf.finding.fingerprint for rf in findings}
        changes.triage = [c for c in _triage_since(cur, None) if c.fingerprint in in_scope]
        return changes
    changes.new = [_ref(rf.finding) for rf in findings if rf.new_in_latest_run]
    # A finding that fired in the previous run and not in the latest one was marked inactive by it.
    wider = query(cur, replace(flt, include_inactive=True))
    changes.no_longer_firing = [
        _ref(f) for f in wider if not f.active and run_ids.get(f.fingerprint, (0, 0))[1] == previous.run_id
    ]
    in_scope = {f.fingerprint for f in wider}
    changes.triage = [c for c in _triage_since(cur, previous.started_at) if c.fingerprint in in_scope]
    return changes


def _triage_since(cur: Cursor, since: datetime | None) -> list[TriageChange]:
    sql = (
        "SELECT fingerprint, changed_at, actor, from_status, to_status, assignee, note, expires_at "
        "FROM triage_history"
    )
    order = " ORDER BY changed_at, fingerprint, rowid"
    if since is None:
        rows = cur.execute(sql + order).fetchall()
    else:
        rows = cur.execute(sql + " WHERE changed_at >= ?" + order, [since]).fetchall()
    return [TriageChange(*row) for row in rows]


def _posture(
    findings: list[ReportFinding], rules: Mapping[str, RuleInfo], frameworks: Mapping[str, FrameworkInfo]
) -> list[FrameworkPosture]:
    covered = {tag for rule in rules.values() for tag in rule.frameworks}
    open_by_tag: dict[str, set[str]] = {}
    for rf in findings:
        if rf.is_open:
            for tag in rf.finding.frameworks:
                open_by_tag.setdefault(tag, set()).add(rf.finding.fingerprint)
    out: list[FrameworkPosture] = []
    for fw_id in sorted(frameworks):
        fw = frameworks[fw_id]
        controls = [
            ControlPosture(cid, title, len(open_by_tag.get(f"{fw.id}:{cid}", ())))
            for cid, title in fw.controls.items()
        ]
        hit = sorted((c for c in controls if c.open_findings), key=lambda c: (-c.open_findings, c.control_id))
        open_fps = set().union(*(open_by_tag.get(f"{fw.id}:{c}", set()) for c in fw.controls))
        out.append(
            FrameworkPosture(
                framework_id=fw.id,
                name=fw.name,
                version=fw.version,
                controls_total=len(fw.controls),
                controls_covered=sum(1 for c in fw.controls if f"{fw.id}:{c}" in covered),
                controls_with_open=hit,
                open_findings=len(open_fps),
            )
        )
    return out


def _inputs(cur: Cursor) -> list[InputFile]:
    rows = cur.execute(
        "SELECT path, format, status, sha256, size_bytes, rows_loaded, rows_duplicate, rows_rejected, message "
        "FROM ingest_runs ORDER BY run_id"
    ).fetchall()
    return [InputFile(*row) for row in rows]


def _rejects(cur: Cursor) -> list[RejectReason]:
    rows = cur.execute(
        "SELECT reason, count(*), count(DISTINCT path) FROM rejects GROUP BY reason ORDER BY 2 DESC, 1"
    ).fetchall()
    return [RejectReason(str(r), int(n), int(files)) for r, n, files in rows]


def _analyzer_runs(
    cur: Cursor, latest: AnalysisRun | None, rules: Mapping[str, RuleInfo]
) -> list[AnalyzerRun]:
    if latest is None:
        return []
    rows = cur.execute(
        "SELECT analyzer_id, status, fired, error, parameters FROM analyzer_runs WHERE run_id = ? "
        "ORDER BY analyzer_id",
        [latest.run_id],
    ).fetchall()
    out: list[AnalyzerRun] = []
    for analyzer_id, status, fired, error, parameters in rows:
        rule = rules.get(analyzer_id)
        try:
            params = json.loads(parameters) if parameters else {}
        except ValueError:
            params = {}
        out.append(
            AnalyzerRun(
                analyzer_id=str(analyzer_id),
                status=str(status),
                fired=None if fired is None else int(fired),
                error=error,
                version=rule.version if rule else None,
                parameters=params if isinstance(params, dict) else {},
                defaults=dict(rule.parameters) if rule else {},
            )
        )
    return out
