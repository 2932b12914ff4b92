"""Reading findings: typed filters in, finding rows (with their triage state) out. Used by CLI, TUI, export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlspm.enums import Severity, TriageStatus
from mlspm.store import Cursor

_SEVERITY_ORDER = "list_position(['info','low','medium','high','critical'], f.severity)"

# The effective status: a finding with no triage row is open.
FINDINGS_VIEW = f"""
SELECT f.*, coalesce(t.status, 'open') AS status, t.assignee, t.note, t.expires_at,
       t.updated_at AS triaged_at, t.updated_by AS triaged_by, {_SEVERITY_ORDER} AS severity_rank
FROM findings f LEFT JOIN triage t USING (fingerprint)
"""  # noqa: S608 (a constant)


@dataclass(frozen=True)
class FindingFilter:
    """Which findings to read; every value is bound as a parameter."""

    min_severity: Severity | None = None
    statuses: Sequence[TriageStatus] = ()
    categories: Sequence[str] = ()
    analyzers: Sequence[str] = ()
    include_inactive: bool = False
    include_suppressed: bool = True
    since: datetime | None = None
    fingerprints: Sequence[str] = ()


@dataclass
class Finding:
    fingerprint: str
    analyzer_id: str
    title: str
    category: str
    severity: str
    principal: str | None
    asset_id: str | None
    resource: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    active: bool
    status: str
    assignee: str | None
    note: str | None
    expires_at: datetime | None
    frameworks: list[str]
    evidence_count: int
    summary: str
    suppressed_by: str | None
    details: str | None
    first_detected_at: datetime | None = None
    last_detected_at: datetime | None = None
    triaged_at: datetime | None = None
    triaged_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat().replace("+00:00", "Z") if value else None

        return {
            "fingerprint": self.fingerprint,
            "analyzer_id": self.analyzer_id,
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "principal": self.principal,
            "asset_id": self.asset_id,
            "resource": self.resource,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "active": self.active,
            "status": self.status,
            "assignee": self.assignee,
            "note": self.note,
            "expires_at": iso(self.expires_at),
            "suppressed_by": self.suppressed_by,
            "frameworks": list(self.frameworks),
            "evidence_count": self.evidence_count,
            "summary": self.summary,
            "first_detected_at": iso(self.first_detected_at),
            "last_detected_at": iso(self.last_detected_at),
        }


_COLUMNS = (
    "fingerprint",
    "analyzer_id",
    "title",
    "category",
    "severity",
    "principal",
    "asset_id",
    "resource",
    "first_seen",
    "last_seen",
    "active",
    "status",
    "assignee",
    "note",
    "expires_at",
    "frameworks",
    "evidence_count",
    "summary",
    "suppressed_by",
    "details",
    "first_detected_at",
    "last_detected_at",
    "triaged_at",
    "triaged_by",
)


def query(cur: Cursor, flt: FindingFilter, *, limit: int | None = None) -> list[Finding]:
    """Findings matching ``flt``, most severe and most recent first."""
    where, params = _where(flt)
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM ({FINDINGS_VIEW}) v WHERE {where} "  # noqa: S608
        "ORDER BY severity_rank DESC, last_seen DESC NULLS LAST, fingerprint"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = cur.execute(sql, params).fetchall()
    return [Finding(**dict(zip(_COLUMNS, row, strict=True))) for row in rows]


def _where(flt: FindingFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if not flt.include_inactive:
        clauses.append("active")
    if not flt.include_suppressed:
        clauses.append("suppressed_by IS NULL")
    if flt.min_severity is not None:
        clauses.append("severity_rank >= ?")
        params.append(flt.min_severity.rank + 1)
    if flt.statuses:
        clauses.append("list_contains(?, status)")
        params.append([s.value for s in flt.statuses])
    if flt.categories:
        clauses.append("list_contains(?, category)")
        params.append(list(flt.categories))
    if flt.analyzers:
        clauses.append("list_contains(?, analyzer_id)")
        params.append(list(flt.analyzers))
    if flt.since is not None:
        clauses.append("last_seen >= ?")
        params.append(flt.since)
    if flt.fingerprints:
        clauses.append("list_contains(?, fingerprint)")
        params.append(list(flt.fingerprints))
    return " AND ".join(clauses), params


def history(cur: Cursor, fingerprint: str) -> list[tuple[Any, ...]]:
    """(changed_at, actor, from, to, assignee, note, expires_at) for one finding, oldest first."""
    return cur.execute(
        "SELECT changed_at, actor, from_status, to_status, assignee, note, expires_at FROM triage_history "
        "WHERE fingerprint = ? ORDER BY changed_at, rowid",
        [fingerprint],
    ).fetchall()


def evidence_events(cur: Cursor, fingerprint: str, limit: int = 20) -> list[tuple[Any, ...]]:
    """The first evidence events of a finding: (ts, principal, action, resource, outcome, source_ip, raw)."""
    return cur.execute(
        "SELECT e.ts, e.principal, e.action, e.resource, e.outcome, e.source_ip, e.raw "
        "FROM finding_evidence v JOIN access_events e ON e.id = v.id "
        "WHERE v.fingerprint = ? AND v.kind = 'event' ORDER BY e.ts LIMIT ?",
        [fingerprint, limit],
    ).fetchall()


def evidence_scans(cur: Cursor, fingerprint: str, limit: int = 20) -> list[tuple[Any, ...]]:
    return cur.execute(
        "SELECT s.scanned_at, s.scanner, s.target, s.member, s.severity, s.module_operator, s.message "
        "FROM finding_evidence v JOIN scan_results s ON s.id = v.id "
        "WHERE v.fingerprint = ? AND v.kind = 'scan' ORDER BY s.severity, s.target LIMIT ?",
        [fingerprint, limit],
    ).fetchall()
