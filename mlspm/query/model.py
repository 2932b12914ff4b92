"""Typed requests and results of the query service (plain data: safe to pass between threads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PIVOT_COLUMNS = (
    "severity",
    "status",
    "category",
    "analyzer_id",
    "principal",
    "asset_id",
    "resource",
    "active",
    "assignee",
    "title",
)
"""Finding columns one may sort or group by (an allow-list: identifiers never come from the UI)."""
SORT_COLUMNS = (*PIVOT_COLUMNS, "first_seen", "last_seen", "evidence_count", "fingerprint")
EVENT_COLUMNS = (
    "id",
    "ts",
    "principal",
    "principal_type",
    "source_ip",
    "user_agent",
    "service",
    "action",
    "action_class",
    "resource",
    "asset_id",
    "outcome",
    "status_code",
    "bytes_out",
    "auth_type",
    "source_format",
)
"""Event columns shown in tables; ``raw`` is fetched only for one event at a time."""


EVENT_PIVOT_COLUMNS = (
    "principal",
    "principal_type",
    "source_ip",
    "user_agent",
    "service",
    "action",
    "action_class",
    "resource",
    "asset_id",
    "outcome",
    "status_code",
    "auth_type",
    "source_format",
)
"""Event columns one may filter or group by (an allow-list)."""


@dataclass(frozen=True)
class EventFilter:
    """Which access events: by who, what or where from, and when (every set field must match)."""

    principal: str | None = None
    asset_id: str | None = None
    resource: str | None = None
    source_ip: str | None = None
    principal_type: str | None = None
    user_agent: str | None = None
    service: str | None = None
    action: str | None = None
    action_class: str | None = None
    outcome: str | None = None
    status_code: str | None = None
    auth_type: str | None = None
    source_format: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    fingerprint: str | None = None
    """Only the evidence events of this finding."""


@dataclass(frozen=True)
class EventPage:
    rows: list[tuple[Any, ...]]
    columns: tuple[str, ...]
    has_more: bool
    first_key: tuple[datetime, int] | None
    last_key: tuple[datetime, int] | None


@dataclass(frozen=True)
class Count:
    key: tuple[Any, ...]
    count: int
    open: int = 0
    worst: str | None = None


@dataclass(frozen=True)
class Overview:
    findings_by_severity: dict[str, int]
    findings_by_category: dict[str, int]
    findings_by_status: dict[str, int]
    findings_by_framework: dict[str, int]
    new_since_previous: int
    previous_run_at: datetime | None
    latest_run_at: datetime | None
    riskiest_assets: list[tuple[str, int, str]]
    """(asset_id, open findings, worst severity)"""
    riskiest_principals: list[tuple[str, int, str]]
    activity_per_day: list[tuple[datetime, int]]
    events: int
    assets: int
    data_from: datetime | None
    data_until: datetime | None
    last_batch_files: int
    last_batch_rows: int


@dataclass(frozen=True)
class Timeline:
    bucket: str  # hour | day
    points: list[tuple[datetime, int]]
    baseline_median: float
    baseline_p95: float


@dataclass(frozen=True)
class AssetRow:
    asset_id: str
    kind: str
    name: str
    environment: str | None
    owner: str | None
    classification: str | None
    source: str
    open_findings: int
    worst: str | None
    events: int


@dataclass
class AssetDetail:
    asset: dict[str, Any]
    upstream: list[tuple[str, str]]
    """(relation, asset_id) edges pointing at this asset: what was trained on / deployed from it."""
    downstream: list[tuple[str, str]]
    scans: list[tuple[Any, ...]]
    top_principals: list[tuple[str, int, datetime]]
    permissions: list[tuple[str, str]]
    findings: int = 0
    locators: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SqlResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool
    seconds: float
