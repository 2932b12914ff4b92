"""supply_scanners_disagree: one scanner flags a file another passed; each scanner's latest scan is its word."""

from __future__ import annotations

from mlspm.ingest.linking import relink_all
from tests.analyzers.conftest import T0, days

ID = "supply_scanners_disagree"
SHA = "ab" * 32
MODEL = "model:churn@1.4.0"
FILE = "/scans/models-bucket/churn/1.4.0/model.pkl"


def _issue(estate, target, scanner, operator, severity, run_id, at=T0, **kw):
    return estate.scan(
        target,
        "issue",
        scanner=scanner,
        module_operator=operator,
        severity=severity,
        severity_raw=severity.upper(),
        rule_id=f"{scanner}:{operator}",
        run_id=run_id,
        scanned_at=at,
        **kw,
    )


def test_fires_when_one_scanner_flags_a_file_another_passed(estate):
    estate.asset(MODEL, "model", "churn", locators=(SHA,), version="1.4.0", environment="prod")
    flag = _issue(estate, "models/churn/model.pkl", "modelaudit", "posix.system", "critical", 2, sha256=SHA)
    estate.scan("models/churn/model.pkl", "scanned", scanner="modelaudit", run_id=2, sha256=SHA)
    # modelscan and picklescan give no hash: their rows take the one fickling reports for the same path
    passed = estate.scan(FILE, "scanned", scanner="modelscan", run_id=3, scanned_at=T0 + days(1))
    estate.scan(FILE, "scanned", scanner="fickling", run_id=4, sha256=SHA.upper())
    low = _issue(estate, FILE, "picklescan", "torch.nn.Module", "low", 5, member="archive/data.pkl")
    estate.flush()
    with estate.store.cursor() as cur:
        relink_all(cur)
    (f,) = estate.run(ID)
    assert f.key == f"sha256:{SHA}" and f.asset_id == MODEL and f.severity == "high"
    assert f.resource == "models/churn/model.pkl"
    assert (
        "modelaudit flags posix.system (CRITICAL), but fickling, modelscan, picklescan (at most LOW) "
        "passed it in their latest scan" in f.summary
    )
    assert "the artifact of model churn 1.4.0 (prod)" in f.summary and "(sha256 abababababab…)" in f.summary
    assert flag in f.scan_ids and passed in f.scan_ids and low in f.scan_ids
    assert f.details["passed_by"] == ["fickling", "modelscan", "picklescan"]
    assert f.details["flagged_by"][0]["scanner"] == "modelaudit"
    assert f.details["flagged_by"][0]["severity"] == "critical"


def test_a_medium_flag_is_a_medium_finding_and_the_threshold_is_a_parameter(estate):
    _issue(estate, FILE, "modelaudit", "opcode:REDUCE", "medium", 2)
    estate.scan(FILE, "scanned", scanner="modelscan", run_id=3)
    (f,) = estate.run(ID)
    assert f.severity == "medium" and f.key == f"path:{FILE}"
    assert estate.run(ID, min_severity="high") == []


def test_quiet_when_scanners_agree_or_a_pass_is_no_opinion(estate):
    # both flag it
    _issue(estate, "/m/a.pkl", "modelaudit", "posix.system", "critical", 2)
    _issue(estate, "/m/a.pkl", "modelscan", "posix.system", "critical", 3)
    # the only other scanner skipped it or failed on it: no opinion
    _issue(estate, "/m/b.pkl", "modelaudit", "builtins.exec", "critical", 2)
    estate.scan("/m/b.pkl", "skipped", scanner="modelscan", run_id=3)
    estate.scan("/m/b.pkl", "error", scanner="fickling", run_id=4)
    # one tool's JSON and SARIF reports are one scanner: its latest scan is its word
    _issue(estate, "/m/c.pkl", "modelaudit", "posix.system", "critical", 2, at=T0)
    estate.scan("/m/c.pkl", "scanned", scanner="modelaudit", run_id=5, scanned_at=T0 + days(1))
    # the scanner that passed it flags it in a later scan
    _issue(estate, "/m/d.pkl", "modelaudit", "posix.system", "critical", 2)
    estate.scan("/m/d.pkl", "scanned", scanner="modelscan", run_id=3, scanned_at=T0)
    _issue(estate, "/m/d.pkl", "modelscan", "posix.system", "critical", 6, at=T0 + days(2))
    # different bytes at different paths are different files
    _issue(estate, "/m/e.pkl", "modelaudit", "posix.system", "critical", 2, sha256="cd" * 32)
    estate.scan("/m/f.pkl", "scanned", scanner="modelscan", run_id=3, sha256="ef" * 32)
    assert estate.run(ID) == []
