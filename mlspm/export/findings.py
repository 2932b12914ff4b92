"""Findings as CSV (formula-safe) or JSON — the report writers of the CLI and the TUI's export."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

from mlspm.export import csvsafe
from mlspm.findings import Finding

CSV_COLUMNS = (
    "fingerprint",
    "severity",
    "status",
    "category",
    "analyzer_id",
    "title",
    "principal",
    "asset_id",
    "resource",
    "first_seen",
    "last_seen",
    "active",
    "assignee",
    "note",
    "expires_at",
    "suppressed_by",
    "evidence_count",
    "frameworks",
    "summary",
)
FORMATS = ("csv", "json")


def to_csv(findings: Sequence[Finding]) -> str:
    out = io.StringIO()
    rows = (
        [f.as_json()[c] if c != "frameworks" else ";".join(f.frameworks) for c in CSV_COLUMNS]
        for f in findings
    )
    csvsafe.write(out, CSV_COLUMNS, rows)
    return out.getvalue()


def to_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.as_json() for f in findings], indent=1) + "\n"


def write(findings: Sequence[Finding], path: Path, fmt: str) -> Path:
    """Write ``findings`` to ``path`` as ``fmt`` (csv or json); raises ValueError for another format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    data = to_csv(findings) if fmt == "csv" else to_json(findings)
    path.write_text(data, encoding="utf-8")
    return path
