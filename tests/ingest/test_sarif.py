"""SARIF 2.1.0: ModelAudit's and Trivy's real logs, base URIs, hashes, pass/skip kinds, bad results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from mlspm.ingest import Status
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.sarif import Sarif
from mlspm.ingest.source import take_sample

MODELAUDIT = "scanners/modelaudit/docs_usage_sarif_example_skeleton.sarif"
TRIVY = "scanners/trivy/alpine-310.sarif.golden"
COLUMNS = "scanner, scanner_version, kind, target, rule_id, severity_raw, severity, module_operator, message"


def test_modelaudit_sarif(real_samples: Path, ingest, query) -> None:
    [result] = ingest(real_samples / MODELAUDIT).files
    assert (result.status, result.format) == (Status.LOADED, "sarif"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (1, 0)
    # ModelAudit's "error" is its critical: the same severity its JSON report gives
    assert query(f"SELECT {COLUMNS} FROM scan_results") == [
        (
            "modelaudit",
            "0.2.3",
            "issue",
            "model.pkl",
            "modelaudit:MA-PICKLE-ISSUE",
            "error",
            "critical",
            None,
            "Suspicious module reference found: os.system",
        )
    ]


def test_trivy_sarif_results_are_vulnerabilities(real_samples: Path, ingest, query) -> None:
    [result] = ingest(real_samples / TRIVY).files
    assert (result.status, result.counts.loaded, result.counts.rejected) == (Status.LOADED, 5, 0)
    rows = query(f"SELECT {COLUMNS} FROM scan_results WHERE kind = 'vulnerability' ORDER BY source_pos")
    image = "testdata/fixtures/images/alpine-310.tar.gz"
    assert [r[:8] for r in rows] == [
        ("trivy", "dev", "vulnerability", image, cve, "security-severity 5.3", "medium", package)
        for cve, package in [
            ("CVE-2019-1549", "libcrypto1.1==1.1.1c-r0"),
            ("CVE-2019-1551", "libcrypto1.1==1.1.1c-r0"),
            ("CVE-2019-1549", "libssl1.1==1.1.1c-r0"),
            ("CVE-2019-1551", "libssl1.1==1.1.1c-r0"),
        ]
    ]
    assert rows[0][8].startswith("Package: libcrypto1.1\nInstalled Version: 1.1.1c-r0\n")
    # a dependency scanner's artifacts are not model files: no scanned rows; the image was audited
    assert query("SELECT kind, target, message FROM scan_results WHERE kind <> 'vulnerability'") == [
        ("audited", image, f"{image} audited: 4 known vulnerabilities")
    ]


def test_a_later_trivy_sarif_that_finds_nothing_clears_the_image(
    real_samples: Path, tmp_path: Path, store, ingest, query
) -> None:
    from analyzers.engine import analyze

    ingest(real_samples / TRIVY)
    analyze(store, only=["supply_dependency_vulnerable"])
    active = "SELECT count(*) FROM findings WHERE analyzer_id = 'supply_dependency_vulnerable' AND active"
    assert query(active) == [(2,)]  # libcrypto1.1 and libssl1.1
    clean = json.loads((real_samples / TRIVY).read_text())
    clean["runs"][0]["results"] = []  # the image rebuilt: nothing found
    (tmp_path / "rescan.sarif").write_text(json.dumps(clean))
    ingest(tmp_path / "rescan.sarif")
    assert query("SELECT count(*) FROM scan_results WHERE kind = 'audited'") == [(2,)]
    analyze(store, only=["supply_dependency_vulnerable"])
    assert query(active) == [(0,)]


def _log(tmp_path: Path, doc: object, name: str = "findings.txt") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_generic_tool_with_bases_hashes_and_kinds(tmp_path: Path, ingest, query) -> None:
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Model Guard",
                        "semanticVersion": "1.2.0",
                        "rules": [
                            {"id": "MG001", "defaultConfiguration": {"level": "error"}},
                            {"id": "MG002", "properties": {"security-severity": "9.8"}},
                        ],
                    }
                },
                "originalUriBaseIds": {"MODELS": {"uri": "file:///srv/models/"}},
                "invocations": [
                    {
                        "startTimeUtc": "2026-03-02T09:00:00.1234567Z",
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "error",
                                "message": {"text": "could not open"},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {
                                                "uri": "big%20one.gguf",
                                                "uriBaseId": "MODELS",
                                            }
                                        }
                                    }
                                ],
                            },
                            {"level": "note", "message": {"text": "progress 50%"}},
                        ],
                    }
                ],
                "artifacts": [
                    {"location": {"uri": "a.pkl", "uriBaseId": "MODELS"}, "hashes": {"sha-256": "CD" * 32}},
                    {"location": {"uri": "b.onnx", "uriBaseId": "MODELS"}},
                ],
                "results": [
                    {
                        "ruleId": "MG001",
                        "ruleIndex": 7,
                        "message": {"text": "os.system in a pickle"},
                        "properties": {"module": "os", "function": "system"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}}}],
                    },
                    {
                        "ruleId": "MG002",
                        "level": "note",
                        "message": {"text": "bad"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "a.pkl", "uriBaseId": "MODELS"}
                                }
                            }
                        ],
                    },
                    {
                        "ruleId": "MG003",
                        "kind": "notApplicable",
                        "message": {"text": "format not supported"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "b.onnx", "uriBaseId": "MODELS"}
                                }
                            }
                        ],
                    },
                    {
                        "ruleId": "MG004",
                        "level": "loud",
                        "message": {"text": "x"},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": {"uri": "file:///C:/m/c.pt"}}}
                        ],
                    },
                    {"ruleId": "MG001", "message": {"text": "nowhere"}},
                ],
            },
            {"tool": {}, "results": [{"ruleId": "X", "message": {"text": "orphan"}}]},
        ],
    }
    [result] = ingest(_log(tmp_path, doc)).files
    assert (result.status, result.format) == (Status.LOADED, "sarif"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (7, 2)
    assert "1 result(s) with unknown SARIF level 'loud' read as warning" in (result.message or "")
    rows = query(
        "SELECT scanner, kind, target, rule_id, severity_raw, severity, module_operator, sha256 "
        "FROM scan_results ORDER BY source_pos"
    )
    sha = "cd" * 32
    assert rows == [
        ("model-guard", "issue", "/srv/models/a.pkl", "model-guard:MG001", "error", "high", "os.system", sha),
        (
            "model-guard",
            "issue",
            "/srv/models/a.pkl",
            "model-guard:MG002",
            "security-severity 9.8",
            "critical",
            None,
            sha,
        ),
        ("model-guard", "skipped", "/srv/models/b.onnx", "model-guard:skipped:MG003", None, None, None, None),
        ("model-guard", "issue", "C:/m/c.pt", "model-guard:MG004", "loud", "medium", None, None),
        ("model-guard", "error", "/srv/models/big one.gguf", "model-guard:error", "error", None, None, None),
        ("model-guard", "scanned", "/srv/models/a.pkl", None, None, None, None, sha),
        ("model-guard", "scanned", "/srv/models/b.onnx", None, None, None, None, None),
    ]
    assert query("SELECT DISTINCT scanner_version, scanned_at FROM scan_results") == [
        ("1.2.0", datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC))
    ]
    assert query("SELECT reason FROM rejects ORDER BY position") == [
        ("runs[0].results[4] has no location (the file it is about)",),
        ("runs[1] names no tool (tool.driver.name): results[0] has no scanner",),
    ]


def test_other_versions_and_broken_logs_are_rejected_with_a_reason(tmp_path: Path, ingest, query) -> None:
    old = _log(
        tmp_path,
        {
            "$schema": "https://schemastore.azurewebsites.net/schemas/json/sarif-2.0.0.json",
            "version": "2.0.0",
            "runs": [],
        },
        "old.sarif",
    )
    text = json.dumps(
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": []}]}, indent=2
    )
    cut = tmp_path / "cut.sarif"
    cut.write_text(text[:-10])
    results = {f.path.name: f for f in ingest(old, cut).files}
    assert (results["old.sarif"].status, results["old.sarif"].format) == (Status.FAILED, "sarif")
    assert "SARIF version '2.0.0' is not read; only 2.1.0" in (results["old.sarif"].message or "")
    assert (results["cut.sarif"].status, results["cut.sarif"].format) == (Status.FAILED, "sarif")
    assert "not valid JSON" in (results["cut.sarif"].message or "")
    assert query("SELECT count(*) FROM rejects WHERE position_kind = 'file'") == [(2,)]


def test_detected_by_content(real_samples: Path, tmp_path: Path) -> None:
    copy = tmp_path / "trivy.json"
    copy.write_text((real_samples / TRIVY).read_text())
    detection = detect(take_sample(copy, copy.stat().st_size))
    assert detection.format is not None and detection.format.name == "sarif"
    for other in ("scanners/modelaudit", "scanners/trivy", "scanners/pip_audit", "inventory/cyclonedx_mlbom"):
        for path in sorted((real_samples / other).glob("*.json*")):
            assert Sarif().sniff(take_sample(path, path.stat().st_size)) == 0, path


def test_mlspms_own_sarif_report_is_refused(tmp_path: Path, ingest, query) -> None:
    own = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "mlspm", "version": "0.1.0"}},
                "results": [
                    {
                        "ruleId": "supply_scan_unsafe_operator",
                        "message": {"text": "modelscan found posix.system"},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": {"uri": "file:///m/evil.pkl"}}}
                        ],
                    }
                ],
            }
        ],
    }
    [result] = ingest(_log(tmp_path, own, "report.sarif")).files
    assert (result.status, result.format) == (Status.FAILED, "sarif")
    assert "mlspm's own SARIF report" in (result.message or "")
    assert query("SELECT count(*) FROM scan_results") == [(0,)]
