"""supply_scan_unsafe_operator: one finding per flagged file, scanner severity kept; clean rescans clear."""

from __future__ import annotations

from mlspm.ingest.linking import relink_all
from tests.analyzers.conftest import T0, days

ID = "supply_scan_unsafe_operator"
SHA = "ab" * 32
MODEL = "model:churn@1.4.0"
OBJECT = "s3://models-bucket/churn/1.4.0/model.pkl"
FILE = "/scans/models-bucket/churn/1.4.0/model.pkl"


def _inventory(estate, sha=SHA):
    estate.asset(MODEL, "model", "churn", locators=(OBJECT, sha), version="1.4.0", environment="staging")


def _link(estate):
    estate.flush()
    with estate.store.cursor() as cur:
        relink_all(cur)


def _issue(estate, target, operator, severity, run_id, at, **kw):
    return estate.scan(
        target,
        "issue",
        module_operator=operator,
        severity=severity,
        severity_raw=severity.upper(),
        rule_id=f"modelscan:PickleUnsafeOpScan:{operator}",
        run_id=run_id,
        scanned_at=at,
        **kw,
    )


def test_fires_once_per_file_naming_every_operator_with_the_scanners_severity(estate):
    _inventory(estate)
    ids = [
        _issue(estate, FILE, "posix.system", "critical", 7, T0, sha256=SHA),
        _issue(estate, FILE, "builtins.exec", "critical", 7, T0, sha256=SHA),
    ]
    estate.scan(FILE, "scanned", run_id=7, scanned_at=T0, sha256=SHA)
    _link(estate)
    (f,) = estate.run(ID)
    assert f.severity == "critical" and f.asset_id == MODEL and f.resource == FILE
    assert sorted(f.scan_ids) == sorted(ids)
    assert "modelscan found builtins.exec (CRITICAL), posix.system (CRITICAL) in " + FILE in f.summary
    assert "the artifact of model churn 1.4.0 (staging)" in f.summary
    assert f.details["operators"] == ["builtins.exec", "posix.system"]


def test_severity_is_the_scanners_and_low_ones_can_be_filtered_out(estate):
    high = _issue(estate, "/x/a.pkl", "webbrowser.open", "high", 3, T0)
    _issue(estate, "/x/b.pkl", "some.module", "low", 3, T0)
    fired = {f.resource: f for f in estate.run(ID)}
    assert fired["/x/a.pkl"].severity == "high" and fired["/x/a.pkl"].scan_ids == [high]
    assert fired["/x/b.pkl"].severity == "low"
    assert "(no inventory asset)" in fired["/x/a.pkl"].summary
    assert [f.resource for f in estate.run(ID, min_severity="medium")] == ["/x/a.pkl"]


def test_archive_members_are_separate_findings(estate):
    _issue(estate, "/x/model.pt", "posix.system", "critical", 3, T0, member="archive/data.pkl")
    _issue(estate, "/x/model.pt", "builtins.eval", "critical", 3, T0, member="archive/extra.pkl")
    fired = sorted(estate.run(ID), key=lambda f: f.key)
    assert [f.key for f in fired] == ["/x/model.pt|archive/data.pkl", "/x/model.pt|archive/extra.pkl"]
    assert "in member archive/data.pkl of /x/model.pt" in fired[0].summary


def test_quiet_when_the_same_file_was_rescanned_clean_later(estate):
    _issue(estate, FILE, "posix.system", "critical", 3, T0)
    estate.scan(FILE, "scanned", run_id=3, scanned_at=T0)
    estate.scan(FILE, "scanned", run_id=9, scanned_at=T0 + days(2))  # replaced, clean now
    assert estate.run(ID) == []


def test_a_skipped_rescan_does_not_clear_it_and_a_new_flag_after_a_clean_scan_fires_alone(estate):
    _issue(estate, FILE, "posix.system", "critical", 3, T0)
    estate.scan(FILE, "skipped", run_id=4, scanned_at=T0 + days(1))
    assert len(estate.run(ID)) == 1
    estate.scan(FILE, "scanned", run_id=5, scanned_at=T0 + days(2))
    again = _issue(estate, FILE, "builtins.exec", "critical", 6, T0 + days(3))
    (f,) = estate.run(ID)
    assert f.scan_ids == [again] and "builtins.exec" in f.summary and "posix.system" not in f.summary


def test_a_file_whose_hash_changed_is_tied_to_its_asset_by_location(estate):
    _inventory(estate)
    _issue(
        estate,
        "/mnt/copy/MODELS-BUCKET/churn/1.4.0/model.pkl",
        "posix.system",
        "critical",
        3,
        T0,
        sha256="cd" * 32,
    )
    _link(estate)
    (f,) = estate.run(ID)
    assert f.asset_id == MODEL  # linked by location (by ingest linking or the analyzer fallback)
