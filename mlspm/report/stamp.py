"""The report stamp as JSON (tool version, database, time, scope, inputs with sha256) for machine formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mlspm.report.model import AnalysisRun, ReportData


def iso(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z`` (what SARIF and most SIEMs expect)."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def run_json(run: AnalysisRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "run_id": run.run_id,
        "started_at": iso(run.started_at),
        "data_until": iso(run.data_until),
        "mlspm_version": run.mlspm_version,
    }


def stamp_json(data: ReportData) -> dict[str, Any]:
    s = data.stamp
    return {
        "tool": "mlspm",
        "mlspm_version": s.mlspm_version,
        "database": s.database,
        "generated_at": iso(s.generated_at),
        "scope": dict(s.scope),
        "analysis_run": run_json(data.changes.latest),
        "previous_analysis_run": run_json(data.changes.previous),
        "inputs_digest": s.inputs_digest,
        "inputs": [
            {
                "path": i.path,
                "format": i.format,
                "status": i.status,
                "sha256": i.sha256,
                "size_bytes": i.size_bytes,
                "rows_loaded": i.rows_loaded,
                "rows_duplicate": i.rows_duplicate,
                "rows_rejected": i.rows_rejected,
            }
            for i in data.inputs
        ],
    }
