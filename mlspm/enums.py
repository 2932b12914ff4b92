"""Enumerations shared across mlspm: severities, action classes, outcomes, asset kinds, scan result kinds."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """mlspm's one five-level severity scale (each source's own severity is also kept verbatim)."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse a user-supplied severity name; raises ValueError with the valid names."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {value!r} (expected one of: {names})") from None


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class ActionClass(StrEnum):
    """What an access event did to its resource, derived from the source's action name."""

    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    INVOKE = "invoke"
    LIST = "list"
    PERMISSION_CHANGE = "permission_change"
    ADMIN = "admin"
    OTHER = "other"


class Outcome(StrEnum):
    """Whether an access event succeeded."""

    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class AssetKind(StrEnum):
    """Kinds of ML assets an inventory can describe."""

    MODEL = "model"
    MODEL_VERSION = "model_version"
    DATASET = "dataset"
    ENDPOINT = "endpoint"
    REGISTRY = "registry"
    BUCKET = "bucket"
    TRAINING_JOB = "training_job"
    NOTEBOOK = "notebook"
    FEATURE_GROUP = "feature_group"
    SERVICE = "service"
    OTHER = "other"


class ScanResultKind(StrEnum):
    """What a scan_results row records: an issue, an error, a skipped file, a file scanned clean, a
    known vulnerability of a dependency (Trivy, pip-audit: never an unsafe operator in a model file), or
    a dependency manifest a vulnerability scanner audited (so a report that finds nothing still says
    the artifact was checked, and older vulnerabilities of it stop counting)."""

    ISSUE = "issue"
    ERROR = "error"
    SKIPPED = "skipped"
    SCANNED = "scanned"
    VULNERABILITY = "vulnerability"
    AUDITED = "audited"


class TriageStatus(StrEnum):
    """Where a finding stands in triage."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"
    RISK_ACCEPTED = "risk_accepted"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        """Still needs attention (counts for ``--fail-on``)."""
        return self in (TriageStatus.OPEN, TriageStatus.INVESTIGATING, TriageStatus.CONFIRMED)

    @classmethod
    def parse(cls, value: str) -> TriageStatus:
        try:
            return cls(value.strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown status {value!r} (expected one of: {names})") from None


class Category(StrEnum):
    """What kind of risk a finding is."""

    SUPPLY_CHAIN = "supply_chain"
    ACCESS_CONTROL = "access_control"
    MODEL_THEFT = "model_theft"
    DATA_POISONING = "data_poisoning"
    COMPLIANCE = "compliance"
