"""CSV and JSON reports: one row (object) per finding with its triage fields, stamped with the report's origin.

CSV goes through :mod:`mlspm.export.csvsafe`, so no cell can start a spreadsheet formula, and control
characters are shown as escapes. The stamp rides along as ``report_*`` columns on every row: a CSV
with comment lines is no longer a CSV. JSON is ASCII-only, so no control or bidi character survives.
"""

from __future__ import annotations

import io
import json
from typing import Any

from mlspm.export import csvsafe
from mlspm.report.model import ReportData, ReportFinding
from mlspm.report.stamp import iso, stamp_json
from mlspm.text import printable

CSV_COLUMNS = (
    "fingerprint",
    "severity",
    "status",
    "category",
    "analyzer_id",
    "analyzer_version",
    "title",
    "principal",
    "asset_id",
    "resource",
    "first_seen",
    "last_seen",
    "first_detected_at",
    "last_detected_at",
    "active",
    "new_in_latest_run",
    "suppressed_by",
    "assignee",
    "note",
    "expires_at",
    "triaged_at",
    "triaged_by",
    "evidence_count",
    "frameworks",
    "summary",
    "report_generated_at",
    "report_mlspm_version",
    "report_database",
    "report_inputs_digest",
)


def finding_json(rf: ReportFinding) -> dict[str, Any]:
    """One finding with its triage decision and history, as the JSON report carries it."""
    f = rf.finding
    out = f.as_json()
    out["analyzer_version"] = rf.rule.version if rf.rule else None
    out["triaged_at"] = iso(f.triaged_at)
    out["triaged_by"] = f.triaged_by
    out["new_in_latest_run"] = rf.new_in_latest_run
    out["details"] = _details(f.details)
    out["triage_history"] = [
        {
            "at": iso(c.at),
            "actor": c.actor,
            "from": c.before,
            "to": c.after,
            "assignee": c.assignee,
            "note": c.note,
            "expires_at": iso(c.expires_at),
        }
        for c in rf.history
    ]
    return out


def _details(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str):
        # a CSV gets opened in terminals and editors too: no control or bidi character goes through raw
        return printable(value, newlines=True)
    return value


def to_csv(data: ReportData) -> str:
    s = data.stamp
    stamp = {
        "report_generated_at": iso(s.generated_at),
        "report_mlspm_version": s.mlspm_version,
        "report_database": s.database,
        "report_inputs_digest": s.inputs_digest,
    }
    out = io.StringIO()
    rows = []
    for rf in data.findings:
        values = finding_json(rf) | stamp
        rows.append([_cell(values.get(c)) for c in CSV_COLUMNS])
    csvsafe.write(out, CSV_COLUMNS, rows)
    return out.getvalue()


def to_json(data: ReportData) -> str:
    """The stamp, the counts and every finding."""
    doc = {
        "report": stamp_json(data),
        "summary": {
            "findings": len(data.findings),
            "need_attention": data.open_count(),
            "by_severity": data.severity_counts(),
            "by_status": data.status_counts(),
            "new_since_previous_run": [r.fingerprint for r in data.changes.new],
            "no_longer_firing_since_previous_run": [r.fingerprint for r in data.changes.no_longer_firing],
        },
        "findings": [finding_json(rf) for rf in data.findings],
    }
    return json.dumps(doc, indent=1) + "\n"
