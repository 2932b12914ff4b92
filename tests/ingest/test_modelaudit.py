"""ModelAudit JSON reports: both real samples load with hand-checked rows; odd and broken ones are rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from mlspm.ingest import Status
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.modelaudit import ModelAuditReport
from mlspm.ingest.source import take_sample

DIR = "scanners/modelaudit"
COLUMNS = (
    "kind, target, member, sha256, rule_id, severity_raw, severity, module_operator, message, source_pos"
)
SHA = "f98e96e2a0e16ca139b0a7250f7bdae4d2340fa1386ee6bfd667ab2784b2e51e"
PKL = "tests/assets/samples/pickles/malicious_system_call.pkl"


def _rows(query):
    return query(f"SELECT {COLUMNS} FROM scan_results ORDER BY run_id, source_pos")


def test_v0_2_45_sample(real_samples: Path, ingest, query) -> None:
    [result] = ingest(real_samples / DIR / "modelaudit-scan-result.v0.2.45.example.json").files
    assert (result.status, result.format) == (Status.LOADED, "modelaudit"), result.message
    # 1 issue (the failed check duplicates it; 4 passed checks are not rows) + 1 scanned asset
    assert (result.counts.loaded, result.counts.rejected) == (2, 0)
    assert _rows(query) == [
        (
            "issue",
            PKL,
            None,
            SHA,
            "modelaudit:S201",
            "critical",
            "critical",
            "posix.system",
            "Found REDUCE opcode invoking dangerous global: posix.system",
            1,
        ),
        ("scanned", PKL, None, SHA, None, None, None, None, None, 2),
    ]
    assert query("SELECT DISTINCT scanner, scanned_at FROM scan_results") == [
        ("modelaudit", datetime.fromtimestamp(1750000000.0, UTC))
    ]
    raw = query("SELECT raw FROM scan_results WHERE kind = 'issue'")[0][0]
    assert json.loads(raw)["rule_code"] == "S201"


def test_legacy_docs_sample(real_samples: Path, ingest, query) -> None:
    [result] = ingest(real_samples / DIR / "docs_usage_json_example_legacy.json").files
    assert (result.status, result.counts.loaded, result.counts.rejected) == (Status.LOADED, 3, 0)
    assert [r[:8] for r in _rows(query)] == [
        ("issue", "evil.pickle", None, None, "modelaudit:opcode:REDUCE", "warning", "medium", None),
        (
            "issue",
            "evil.pickle",
            None,
            None,
            "modelaudit:opcode:STACK_GLOBAL",
            "critical",
            "critical",
            "posix.system",
        ),
        ("scanned", "evil.pickle", None, None, None, None, None, None),
    ]
    assert query("SELECT DISTINCT scanned_at FROM scan_results") == [
        (datetime.fromtimestamp(1750168822.481906, UTC),)
    ]


def _report(tmp_path: Path, doc: object, name: str = "scan-output.txt") -> Path:
    path = tmp_path / name  # detection is by content, not by name
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_unknown_formats_errors_members_and_unusable_records(tmp_path: Path, ingest, query) -> None:
    doc = {
        "bytes_scanned": 10,
        "files_scanned": 4,
        "start_time": 1750000000.5,
        "has_errors": True,
        "issues": [
            {"message": "Unknown or unhandled format: onnx", "severity": "debug", "location": "/m/x.onnx"},
            {"message": "Error scanning file: truncated", "severity": "warning", "location": "/m/y.pkl"},
            {
                "message": "Found GLOBAL builtins.exec",
                "severity": "SEVERE",
                "location": "/m/z.zip:../../etc/evil.pkl (pos 12)",
                "details": {"module": "builtins", "function": "exec"},
            },
            {"message": "no location", "severity": "critical"},
            "not an object",
        ],
        "assets": [
            {"path": "/m/x.onnx", "type": "unknown"},
            {"path": "/m/y.pkl", "type": "error", "scanned": False},
            {"path": "/m/z.zip", "type": "zip", "contents": [{"path": "/m/z.zip:../../etc/evil.pkl"}]},
            {"type": "pickle"},
        ],
        "file_metadata": {"/m/z.zip": {"file_hashes": {"sha256": "AB" * 32}}},
    }
    [result] = ingest(_report(tmp_path, doc)).files
    assert result.status == Status.LOADED and result.format == "modelaudit", result.message
    assert (result.counts.loaded, result.counts.rejected) == (5, 3)
    assert "1 issue(s) with unknown ModelAudit severity 'SEVERE' stored as medium" in (result.message or "")
    rows = query(
        "SELECT kind, target, member, rule_id, severity, sha256 FROM scan_results ORDER BY source_pos"
    )
    assert rows == [
        ("skipped", "/m/x.onnx", None, "modelaudit:skipped:unknown_format", None, None),
        ("error", "/m/y.pkl", None, "modelaudit:error", None, None),
        # a traversal-looking member is kept as text, never used as a path
        ("issue", "/m/z.zip", "../../etc/evil.pkl", "modelaudit:issue", "medium", "ab" * 32),
        ("scanned", "/m/z.zip", None, None, None, "ab" * 32),
        ("scanned", "/m/z.zip", "../../etc/evil.pkl", None, None, "ab" * 32),
    ]
    assert query("SELECT position, reason FROM rejects ORDER BY position") == [
        (4, "issues[3] has no location (the file it was found in)"),
        (5, "issues[4] is not an object"),
        (8, "assets[3] has no path"),
    ]


def test_malformed_report_is_one_reject_with_the_line(
    real_samples: Path, tmp_path: Path, ingest, query
) -> None:
    text = (real_samples / DIR / "modelaudit-scan-result.v0.2.45.example.json").read_text()
    bad = tmp_path / "report.json"
    bad.write_text(text[: len(text) // 2])
    [result] = ingest(bad).files
    assert (result.status, result.format) == (Status.FAILED, "modelaudit")
    [(kind, reason)] = query("SELECT position_kind, reason FROM rejects")
    assert kind == "file" and "not valid JSON" in reason and "line" in reason
    assert query("SELECT count(*) FROM scan_results") == [(0,)]


def test_detected_by_content_and_other_json_left_alone(real_samples: Path, tmp_path: Path) -> None:
    copy = tmp_path / "notes.md"
    copy.write_text((real_samples / DIR / "docs_usage_json_example_legacy.json").read_text())
    detection = detect(take_sample(copy, copy.stat().st_size))
    assert detection.format is not None and detection.format.name == "modelaudit"
    for other in ("scanners/modelscan", "scanners/trivy", "scanners/fickling", "inventory/cyclonedx_mlbom"):
        for path in sorted((real_samples / other).glob("*.json*")):
            assert ModelAuditReport().sniff(take_sample(path, path.stat().st_size)) == 0, path
