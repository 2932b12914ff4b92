"""supply_dependency_vulnerable: one finding per vulnerable package version of an artifact, worst
severity kept; an upgrade in the artifact's next report stops it; other scan kinds stay quiet."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days

ID = "supply_dependency_vulnerable"
IMAGE = "registry.example/ml/serving:1.2"


def _vuln(estate, pin, cve, severity, run_id, at, fixed=None, target=IMAGE, member="python-pkg"):
    fix = f" (fixed in {fixed})" if fixed else " (no fixed version yet)"
    return estate.scan(
        target,
        "vulnerability",
        scanner="trivy",
        member=member,
        module_operator=pin,
        rule_id=cve,
        severity=severity,
        message=f"{cve} in {pin}: a flaw{fix}",
        run_id=run_id,
        scanned_at=at,
    )


def test_fires_per_package_with_its_advisories_worst_severity_and_fixes(estate):
    estate.asset("endpoint:serving", "endpoint", "serving", uri=IMAGE, environment="prod")
    a = _vuln(estate, "torch==2.0.0", "CVE-2024-0001", "critical", 1, T0, fixed="2.2.0")
    b = _vuln(estate, "torch==2.0.0", "CVE-2024-0002", "medium", 1, T0, fixed="2.1.0")
    c = _vuln(estate, "werkzeug==2.0.0", "GHSA-xxxx-yyyy-zzzz", "low", 1, T0)
    estate.flush()
    with estate.store.cursor() as cur:
        cur.execute("UPDATE scan_results SET asset_id = 'endpoint:serving'")
    found = {f.key: f for f in estate.run(ID)}
    torch = found[f"trivy|{IMAGE}|python-pkg|torch==2.0.0"]
    assert torch.severity == "critical" and torch.scan_ids == [a, b]
    assert "2 known vulnerabilities (CVE-2024-0001, CVE-2024-0002), 1 of them critical" in torch.summary
    assert "fixed in 2.1.0 / 2.2.0" in torch.summary and "(endpoint serving, prod)" in torch.summary
    assert torch.details["critical"] == ["CVE-2024-0001"] and torch.asset_id == "endpoint:serving"
    werkzeug = found[f"trivy|{IMAGE}|python-pkg|werkzeug==2.0.0"]
    assert (
        werkzeug.severity == "low" and werkzeug.scan_ids == [c] and "no fixed version yet" in werkzeug.summary
    )
    assert len(estate.run(ID, min_severity="high")) == 1


def test_quiet_after_an_upgrade_and_for_other_scan_kinds(estate):
    _vuln(estate, "torch==2.0.0", "CVE-2024-0001", "critical", 1, T0, fixed="2.2.0")
    _vuln(estate, "numpy==1.0", "CVE-2024-0003", "high", 1, T0)
    # the next report on the same image: torch upgraded, numpy still vulnerable
    later = _vuln(estate, "numpy==1.0", "CVE-2024-0003", "high", 2, T0 + days(7))
    estate.scan("/models/model.pkl", "issue", module_operator="posix.system", severity="critical")
    estate.scan("/models/other.pkl", "scanned")
    (f,) = estate.run(ID)
    assert f.key == f"trivy|{IMAGE}|python-pkg|numpy==1.0" and f.scan_ids == [later]


def test_a_later_report_that_finds_nothing_clears_the_artifact(estate):
    _vuln(estate, "torch==2.0.0", "CVE-2024-0001", "critical", 1, T0, fixed="2.2.0")
    estate.scan(IMAGE, "audited", scanner="trivy", member="python-pkg", run_id=1, scanned_at=T0)
    assert len(estate.run(ID)) == 1
    estate.scan(IMAGE, "audited", scanner="trivy", member="python-pkg", run_id=2, scanned_at=T0 + days(3))
    assert estate.run(ID) == []
