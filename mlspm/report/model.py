"""The report's data: plain dataclasses that every renderer reads (no database, no formatting here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlspm.findings import Finding

SEVERITIES = ("critical", "high", "medium", "low", "info")
"""Most severe first: the order findings and counts are shown in."""
STATUSES = ("open", "investigating", "confirmed", "false_positive", "risk_accepted", "resolved")
OPEN_STATUSES = ("open", "investigating", "confirmed")


@dataclass(frozen=True)
class RuleInfo:
    """What the report needs to know about one analyzer (the CLI builds these from the analyzer pack)."""

    id: str
    title: str
    category: str
    severity: str
    description: str = ""
    risk: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    frameworks: tuple[str, ...] = ()
    version: int = 1
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """Parameter name -> default value."""


@dataclass(frozen=True)
class FrameworkInfo:
    """A framework crosswalk: its controls by id (the CLI builds these from the shipped crosswalks)."""

    id: str
    name: str
    version: str = ""
    controls: Mapping[str, str] = field(default_factory=dict)
    """Control id -> title."""


@dataclass(frozen=True)
class InputFile:
    """One ``ingest_runs`` row: a file loaded (or refused) with its hash."""

    path: str
    format: str | None
    status: str
    sha256: str | None
    size_bytes: int | None
    rows_loaded: int
    rows_duplicate: int
    rows_rejected: int
    message: str | None


@dataclass(frozen=True)
class RejectReason:
    reason: str
    records: int
    files: int


@dataclass(frozen=True)
class AnalysisRun:
    run_id: int
    started_at: datetime
    data_until: datetime | None
    mlspm_version: str


@dataclass(frozen=True)
class AnalyzerRun:
    """How one analyzer ran in the latest analysis, with the thresholds it used."""

    analyzer_id: str
    status: str
    fired: int | None
    error: str | None
    version: int | None
    parameters: Mapping[str, Any]
    defaults: Mapping[str, Any]

    def changed(self) -> list[str]:
        """Parameters set away from their defaults (a config file was used)."""
        return [k for k, v in self.parameters.items() if k in self.defaults and self.defaults[k] != v]


@dataclass(frozen=True)
class TriageChange:
    """One triage history row."""

    fingerprint: str
    at: datetime
    actor: str
    before: str
    after: str
    assignee: str | None
    note: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class EvidenceEvent:
    ts: datetime
    principal: str | None
    action: str
    resource: str | None
    outcome: str
    source_ip: str | None


@dataclass(frozen=True)
class EvidenceScan:
    scanned_at: datetime | None
    scanner: str
    target: str
    member: str | None
    severity: str | None
    operator: str | None
    message: str | None


@dataclass(frozen=True)
class AssetInfo:
    asset_id: str
    kind: str
    name: str
    version: str | None
    uri: str | None
    owner: str | None
    environment: str | None
    classification: str | None
    source: str


@dataclass(frozen=True)
class LineageLink:
    """One lineage step seen from the finding's asset: ``depth`` hops away, ``other`` on the far side."""

    depth: int
    src: str
    relation: str
    dst: str
    other: str


@dataclass(frozen=True)
class Activity:
    """Events of one principal or asset per time bin around a finding's window (for a sparkline)."""

    subject_kind: str  # principal | asset
    subject: str
    bin: str  # hour | day
    start: datetime
    end: datetime
    counts: Sequence[tuple[datetime, int]]
    window: tuple[datetime, datetime]
    """The finding's first_seen..last_seen, highlighted on the chart."""


@dataclass
class ReportFinding:
    """One finding with everything the report shows beside it."""

    finding: Finding
    rule: RuleInfo | None
    history: list[TriageChange] = field(default_factory=list)
    events: list[EvidenceEvent] = field(default_factory=list)
    scans: list[EvidenceScan] = field(default_factory=list)
    asset: AssetInfo | None = None
    upstream: list[LineageLink] = field(default_factory=list)
    downstream: list[LineageLink] = field(default_factory=list)
    activity: Activity | None = None
    new_in_latest_run: bool = False

    @property
    def is_open(self) -> bool:
        """Needs attention: an open triage state, still firing, not suppressed by configuration."""
        f = self.finding
        return f.status in OPEN_STATUSES and f.active and not f.suppressed_by


@dataclass(frozen=True)
class ControlPosture:
    control_id: str
    title: str
    open_findings: int


@dataclass(frozen=True)
class FrameworkPosture:
    framework_id: str
    name: str
    version: str
    controls_total: int
    controls_covered: int
    """Controls at least one analyzer of the pack checks."""
    controls_with_open: list[ControlPosture]
    open_findings: int
    """Distinct open findings tagged with one of the framework's controls."""


@dataclass(frozen=True)
class FindingRef:
    """A finding named in the "what changed" section."""

    fingerprint: str
    severity: str
    title: str
    summary: str


@dataclass
class Changes:
    """What changed since the previous analysis run (mlspm keeps no record of earlier reports)."""

    latest: AnalysisRun | None
    previous: AnalysisRun | None
    new: list[FindingRef] = field(default_factory=list)
    no_longer_firing: list[FindingRef] = field(default_factory=list)
    triage: list[TriageChange] = field(default_factory=list)


@dataclass(frozen=True)
class Stamp:
    """Where the report came from: tool version, database, time, scope and inputs."""

    mlspm_version: str
    database: str
    generated_at: datetime
    scope: Mapping[str, Any]
    """The filter the findings were chosen by (for the reader, JSON-friendly values)."""
    inputs_digest: str
    """sha256 over the sorted sha256 of every input file read: one value naming the whole input."""
    input_files: int


@dataclass
class ReportData:
    stamp: Stamp
    findings: list[ReportFinding]
    rules: Mapping[str, RuleInfo]
    changes: Changes
    posture: list[FrameworkPosture]
    inputs: list[InputFile]
    rejects: list[RejectReason]
    analyzer_runs: list[AnalyzerRun]
    daily_activity: list[tuple[datetime, int]]
    """Events per day across the whole database (UTC days), for the overview timeline."""
    frameworks: Mapping[str, FrameworkInfo] = field(default_factory=dict)

    def by_severity(self) -> dict[str, list[ReportFinding]]:
        groups: dict[str, list[ReportFinding]] = {s: [] for s in SEVERITIES}
        for rf in self.findings:
            groups.setdefault(rf.finding.severity, []).append(rf)
        return groups

    def severity_counts(self) -> dict[str, int]:
        return {s: len(v) for s, v in self.by_severity().items()}

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for rf in self.findings:
            counts[rf.finding.status] = counts.get(rf.finding.status, 0) + 1
        return counts

    def matrix(self) -> dict[str, dict[str, int]]:
        """Severity -> triage status -> count."""
        table = {s: dict.fromkeys(STATUSES, 0) for s in SEVERITIES}
        for rf in self.findings:
            row = table.setdefault(rf.finding.severity, dict.fromkeys(STATUSES, 0))
            row[rf.finding.status] = row.get(rf.finding.status, 0) + 1
        return table

    def open_count(self) -> int:
        return sum(1 for rf in self.findings if rf.is_open)

    def suppressed_count(self) -> int:
        """Accepted, false positive or suppressed by configuration."""
        return sum(
            1
            for rf in self.findings
            if rf.finding.suppressed_by or rf.finding.status in ("false_positive", "risk_accepted")
        )
