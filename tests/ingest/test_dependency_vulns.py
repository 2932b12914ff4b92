"""Trivy and pip-audit JSON: real samples load as vulnerabilities; linking, odd records, broken files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlspm.ingest import Status
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.dependency_vulns import PipAuditReport, TrivyReport
from mlspm.ingest.source import take_sample

TRIVY = "scanners/trivy"
PIP_AUDIT = "scanners/pip_audit/readme_json_example_legacy_toplevel_array.json"
COLUMNS = "kind, target, member, rule_id, severity_raw, severity, module_operator"

# Counted by hand from the four golden files: (lockfile, [(CVE, severity, package==version)]).
REAL_TRIVY = {
    "pip.json.golden": (
        "testdata/fixtures/repo/pip",
        "requirements.txt",
        [("CVE-2019-14806", "HIGH", "Werkzeug==0.11"), ("CVE-2020-28724", "MEDIUM", "Werkzeug==0.11")],
    ),
    "pipenv.json.golden": (
        "testdata/fixtures/repo/pipenv",
        "Pipfile.lock",
        [("CVE-2019-14806", "HIGH", "werkzeug==0.11.1"), ("CVE-2020-28724", "MEDIUM", "werkzeug==0.11.1")],
    ),
    "poetry.json.golden": (
        "testdata/fixtures/repo/poetry",
        "poetry.lock",
        [("CVE-2019-14806", "HIGH", "werkzeug==0.14")],
    ),
    "uv.json.golden": (
        "testdata/fixtures/repo/uv",
        "uv.lock",
        [("CVE-2019-14806", "HIGH", "werkzeug==0.11.1"), ("CVE-2020-28724", "MEDIUM", "werkzeug==0.11.1")],
    ),
}


@pytest.mark.parametrize("name", sorted(REAL_TRIVY))
def test_real_trivy_reports(real_samples: Path, ingest, query, name: str) -> None:
    artifact, lockfile, vulns = REAL_TRIVY[name]
    [result] = ingest(real_samples / TRIVY / name).files
    assert (result.status, result.format) == (Status.LOADED, "trivy"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (len(vulns) + 1, 0)  # + the lockfile's audit
    assert query(f"SELECT {COLUMNS} FROM scan_results WHERE kind = 'vulnerability' ORDER BY source_pos") == [
        ("vulnerability", artifact, lockfile, cve, sev, sev.lower(), pin) for cve, sev, pin in vulns
    ]
    assert query("SELECT kind, target, member, message FROM scan_results WHERE kind = 'audited'") == [
        ("audited", artifact, lockfile, f"{lockfile} audited: {len(vulns)} known vulnerabilities")
    ]
    assert query("SELECT DISTINCT scanner, scanner_version, scanned_at FROM scan_results") == [
        ("trivy", "dev", datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC))
    ]
    message = query("SELECT message FROM scan_results WHERE rule_id = 'CVE-2019-14806'")[0][0]
    assert message.endswith("insufficient debugger PIN randomness vulnerability (fixed in 0.15.3)")


def test_real_pip_audit_legacy_array(real_samples: Path, ingest, query) -> None:
    path = real_samples / PIP_AUDIT
    [result] = ingest(path).files
    assert (result.status, result.format) == (Status.LOADED, "pip_audit"), result.message
    # 6 dependencies, 1 vulnerable with 2 advisories; the 5 clean ones are the audited inventory, not rows
    assert (result.counts.loaded, result.counts.rejected) == (3, 0)  # 2 advisories + the audit itself
    assert "do not name the environment" in (result.message or "")
    target = str(path.resolve())
    assert query(f"SELECT {COLUMNS} FROM scan_results ORDER BY source_pos") == [
        ("vulnerability", target, None, "PYSEC-2019-179", None, "medium", "flask==0.5"),
        ("vulnerability", target, None, "PYSEC-2018-66", None, "medium", "flask==0.5"),
        ("audited", target, None, None, None, None, None),
    ]
    message = query("SELECT message FROM scan_results ORDER BY source_pos")[0][0]
    assert message.startswith(
        "flask==0.5: PYSEC-2019-179 (CVE-2019-1010083, GHSA-5wv5-4vpf-pj6m); fixed in 1.0; "
    )
    assert query("SELECT DISTINCT scanner FROM scan_results") == [("pip-audit",)]


def test_current_pip_audit_with_skips_fixes_and_bad_records(tmp_path: Path, ingest, query) -> None:
    doc = {
        "dependencies": [
            {
                "name": "torch",
                "version": "1.13.0",
                "vulns": [
                    {
                        "id": "GHSA-47fc-vmwq-366v",
                        "fix_versions": ["2.6.0"],
                        "aliases": ["CVE-2025-32434"],
                        "description": "torch.load weights_only RCE",
                    },
                    {"fix_versions": []},
                ],
            },
            {"name": "internal-lib", "skip_reason": "Dependency not found on PyPI and could not be audited"},
            {"version": "1.0", "vulns": []},
            {"name": "numpy", "version": "1.26.4", "vulns": []},
        ],
        "fixes": [{"name": "torch", "old_version": "1.13.0", "new_version": "2.6.0"}],
    }
    path = tmp_path / "audit.csv"  # misleading name: detected by content
    path.write_text(json.dumps(doc))
    [result] = ingest(path).files
    assert (result.status, result.format) == (Status.LOADED, "pip_audit"), result.message
    assert (result.counts.loaded, result.counts.rejected) == (3, 2)
    rows = query("SELECT kind, rule_id, module_operator, message FROM scan_results ORDER BY source_pos")
    assert rows == [
        (
            "vulnerability",
            "GHSA-47fc-vmwq-366v",
            "torch==1.13.0",
            "torch==1.13.0: GHSA-47fc-vmwq-366v (CVE-2025-32434); fixed in 2.6.0; "
            "pip-audit --fix upgraded it to 2.6.0; torch.load weights_only RCE",
        ),
        (
            "skipped",
            "pip-audit:skipped",
            "internal-lib",
            "internal-lib: Dependency not found on PyPI and could not be audited",
        ),
        ("audited", None, None, "4 dependencies audited"),
    ]
    assert query("SELECT reason FROM rejects ORDER BY position") == [
        ("dependencies[0].vulns[1] has no id",),
        ("dependencies[2] has no name",),
    ]


def test_trivy_image_links_to_the_asset_whose_uri_is_the_image(tmp_path: Path, ingest, query) -> None:
    inventory = tmp_path / "assets.csv"
    inventory.write_text(
        "asset_id,kind,name,uri\nendpoint:churn,endpoint,churn-serving,ghcr.io/acme/churn-serving:1.4\n"
    )
    report = {
        "SchemaVersion": 2,
        "CreatedAt": "2026-03-01T10:00:00Z",
        "ArtifactName": "ghcr.io/acme/churn-serving:1.4",
        "ArtifactType": "container_image",
        "Results": [
            {
                "Target": "usr/local/lib/python3.11/site-packages/torch-2.0.0.dist-info/METADATA",
                "Class": "lang-pkgs",
                "Vulnerabilities": [
                    {
                        "VulnerabilityID": "CVE-2025-32434",
                        "PkgName": "torch",
                        "InstalledVersion": "2.0.0",
                        "FixedVersion": "2.6.0",
                        "Severity": "CRITICAL",
                        "Title": "torch.load RCE",
                    },
                    {
                        "VulnerabilityID": "CVE-2099-0001",
                        "PkgName": "x",
                        "InstalledVersion": "1",
                        "Severity": "UNKNOWN",
                    },
                    {"PkgName": "no-id"},
                ],
                "Secrets": [{"RuleID": "aws-access-key-id", "Match": "AKIA****"}],
            }
        ],
    }
    path = tmp_path / "scan.log"
    path.write_text(json.dumps(report))
    results = ingest(inventory, path).files
    assert [r.status for r in results] == [Status.LOADED, Status.LOADED], [r.message for r in results]
    assert (results[1].counts.loaded, results[1].counts.rejected) == (3, 2)  # 2 advisories + the audit
    assert query(
        "SELECT rule_id, severity, asset_id, message FROM scan_results WHERE kind = 'vulnerability' "
        "ORDER BY source_pos"
    ) == [
        (
            "CVE-2025-32434",
            "critical",
            "endpoint:churn",
            "CVE-2025-32434 in torch 2.0.0: torch.load RCE (fixed in 2.6.0)",
        ),
        (
            "CVE-2099-0001",
            "medium",
            "endpoint:churn",
            "CVE-2099-0001 in x 1: known vulnerability (no fixed version yet)",
        ),
    ]
    assert query("SELECT reason FROM rejects ORDER BY position") == [
        ("Results[0].Vulnerabilities[2] has no VulnerabilityID",),
        ("Results[0].Secrets[0]: a Trivy secret finding (mlspm reads vulnerabilities only)",),
    ]


def test_broken_reports_are_rejected_whole(real_samples: Path, tmp_path: Path, ingest, query) -> None:
    trivy = tmp_path / "trivy.json"
    trivy.write_text((real_samples / TRIVY / "pip.json.golden").read_text()[:3000])
    audit = tmp_path / "audit.json"
    audit.write_text((real_samples / PIP_AUDIT).read_text()[:400])
    results = {f.path.name: f for f in ingest(trivy, audit).files}
    for name, fmt in (("trivy.json", "trivy"), ("audit.json", "pip_audit")):
        assert (results[name].status, results[name].format) == (Status.FAILED, fmt)
        assert "not valid JSON" in (results[name].message or "")
    assert query("SELECT count(*) FROM scan_results") == [(0,)]


def test_detection_by_content(real_samples: Path) -> None:
    for path in sorted((real_samples / "scanners").rglob("*")):
        if not path.is_file():
            continue
        sample = take_sample(path, path.stat().st_size)
        trivy = path.parent.name == "trivy" and path.name.endswith(".json.golden")
        pip = path.parent.name == "pip_audit"
        assert (TrivyReport().sniff(sample) > 0) is trivy, path
        assert (PipAuditReport().sniff(sample) > 0) is pip, path
        if trivy or pip:
            found = detect(sample).format
            assert found is not None and found.name == ("trivy" if trivy else "pip_audit"), path
