"""The engine: stable findings, inactive not deleted, triage untouched, failures isolated, settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from analyzers import registry
from analyzers.engine import analyze, fingerprint
from analyzers.settings import AnalyzerSettings, Suppression, load
from mlspm.enums import TriageStatus
from mlspm.errors import ConfigError
from mlspm.triage import TriageError, set_status
from tests.analyzers.conftest import T0, days, hours

PARTNER = "arn:aws:sts::111122223333:assumed-role/partner/session"
ENDPOINT = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"
SPIKE = "usage_inference_volume_spike"


def _spiky(estate):
    for d in range(10):
        for h in range(8):
            estate.events(3, T0 + days(d) + hours(h), hours(1) / 3, PARTNER, "InvokeEndpoint", ENDPOINT)
    estate.events(500, T0 + days(11), hours(2) / 500, PARTNER, "InvokeEndpoint", ENDPOINT)
    estate.flush()


def _findings(store):
    with store.cursor() as cur:
        return cur.execute("SELECT fingerprint, active, last_run_id FROM findings ORDER BY 1").fetchall()


def test_running_twice_gives_the_same_fingerprints_and_no_duplicates(estate, store):
    _spiky(estate)
    first = analyze(store, only=[SPIKE])
    second = analyze(store, only=[SPIKE])
    assert (first.new, second.new, second.still_active) == (1, 0, 1)
    rows = _findings(store)
    assert len(rows) == 1 and rows[0][1] is True and rows[0][2] == second.run_id
    with store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM finding_evidence").fetchall() == [(500,)]


def test_triage_survives_reanalysis_and_a_finding_that_stops_firing_goes_inactive(estate, store):
    _spiky(estate)
    analyze(store, only=[SPIKE])
    (fp, _, _) = _findings(store)[0]
    set_status(store, [fp[:8]], TriageStatus.CONFIRMED, note="partner confirmed scraping", actor="ana")
    analyze(store, only=[SPIKE])
    with store.cursor() as cur:
        assert cur.execute("SELECT status, note FROM triage").fetchall() == [
            ("confirmed", "partner confirmed scraping")
        ]
    # raise the threshold in the settings: the finding stops firing, and is kept, inactive
    settings = AnalyzerSettings(overrides={SPIKE: {"min_per_hour": 100_000}})
    report = analyze(store, settings, only=[SPIKE])
    assert report.no_longer_firing == 1
    assert _findings(store)[0][1] is False
    with store.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM triage_history").fetchall() == [(1,)]


def test_one_failing_analyzer_is_recorded_and_the_others_still_run(estate, store, monkeypatch):
    _spiky(estate)
    broken = registry.by_id()[SPIKE]

    class Broken:
        meta = registry.by_id()["usage_inference_volume_spike"].meta.__class__(
            **{**broken.meta.__dict__, "id": "usage_test_broken"}
        )

        def run(self, ctx):
            raise RuntimeError("boom")

    monkeypatch.setattr(registry, "analyzers", lambda: (Broken(), broken))
    monkeypatch.setattr("analyzers.engine.registered", lambda: (Broken(), broken))
    report = analyze(store)
    statuses = {r.id: (r.status, r.error) for r in report.results}
    assert statuses["usage_test_broken"] == ("error", "RuntimeError: boom")
    assert statuses[SPIKE][0] == "ok"
    assert report.new == 1
    with store.cursor() as cur:
        assert cur.execute("SELECT analyzer_id, status FROM analyzer_runs ORDER BY 1").fetchall() == [
            ("usage_inference_volume_spike", "ok"),
            ("usage_test_broken", "error"),
        ]


def test_suppressions_mark_but_never_delete(estate, store):
    _spiky(estate)
    rule = Suppression(
        analyzer="usage_*",
        principal="*:assumed-role/partner/*",
        asset="*",
        reason="partner load test",
        expires=None,
    )
    analyze(store, AnalyzerSettings(suppressions=[rule]), only=[SPIKE])
    with store.cursor() as cur:
        (suppressed,) = cur.execute("SELECT suppressed_by FROM findings").fetchall()[0]
    assert "partner load test" in suppressed
    expired = Suppression(
        analyzer="*", principal="*", asset="*", reason="old", expires=datetime(2020, 1, 1).date()
    )
    analyze(store, AnalyzerSettings(suppressions=[expired]), only=[SPIKE])
    with store.cursor() as cur:
        assert cur.execute("SELECT suppressed_by FROM findings").fetchall() == [(None,)]


def test_accepted_risks_need_reason_and_expiry_and_reopen_when_expired(estate, store):
    _spiky(estate)
    analyze(store, only=[SPIKE])
    (fp, _, _) = _findings(store)[0]
    with pytest.raises(TriageError, match="reason"):
        set_status(
            store, [fp], TriageStatus.RISK_ACCEPTED, actor="ana", expires_at=datetime.now(UTC) + days(1)
        )
    with pytest.raises(TriageError, match="expiry"):
        set_status(store, [fp], TriageStatus.RISK_ACCEPTED, actor="ana", note="ok for now")
    soon = datetime.now(UTC) + timedelta(days=2)
    set_status(
        store, [fp], TriageStatus.RISK_ACCEPTED, actor="ana", note="contract allows it", expires_at=soon
    )
    later = soon + timedelta(days=1)
    report = analyze(store, only=[SPIKE], now=later)
    assert report.reopened == 1
    with store.cursor() as cur:
        assert cur.execute("SELECT status FROM triage").fetchall() == [("open",)]
        history = cur.execute(
            "SELECT actor, from_status, to_status FROM triage_history ORDER BY changed_at"
        ).fetchall()
    assert history == [("ana", "open", "risk_accepted"), ("mlspm", "risk_accepted", "open")]


def test_unknown_or_ambiguous_fingerprints_are_refused(store):
    with pytest.raises(TriageError, match="no finding"):
        set_status(store, ["deadbeef"], TriageStatus.RESOLVED, actor="ana")
    with pytest.raises(TriageError, match="too short"):
        set_status(store, ["de"], TriageStatus.RESOLVED, actor="ana")


def test_fingerprints_depend_only_on_analyzer_and_key():
    assert fingerprint("a_b_c", "k") == fingerprint("a_b_c", "k")
    assert fingerprint("a_b_c", "k") != fingerprint("a_b_c", "k2")
    assert len(fingerprint("a_b_c", "k")) == 20


def test_settings_file_overrides_and_validation(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        "[analyzers.usage_inference_volume_spike]\nmin_per_hour = 250\nenabled = true\n"
        '[[suppress]]\nanalyzer = "usage_*"\nreason = "lab"\nexpires = "2030-01-01"\n'
    )
    meta = registry.by_id()[SPIKE].meta
    settings = load(path, set(registry.by_id()))
    assert settings.params(meta)["min_per_hour"] == 250
    assert settings.suppressions[0].expires.isoformat() == "2030-01-01"
    path.write_text("[analyzers.usage_inference_volume_spike]\nmin_per_hour = 'lots'\n")
    with pytest.raises(ConfigError, match="min_per_hour must be int"):
        load(path, set(registry.by_id())).params(meta)
    path.write_text("[analyzers.no_such_analyzer]\nx = 1\n")
    with pytest.raises(ConfigError, match="unknown analyzer"):
        load(path, set(registry.by_id()))
    path.write_text("[[suppress]]\nanalyzer = '*'\n")
    with pytest.raises(ConfigError, match="needs a reason"):
        load(path, set(registry.by_id()))


def test_the_registry_validates_metadata(tmp_path, monkeypatch):
    assert registry.analyzers()  # the shipped pack is valid
    bad = tmp_path / "checks" / "usage"
    bad.mkdir(parents=True)
    (bad / "Usage-Bad.json").write_text(json.dumps({"id": "Usage-Bad"}))
    monkeypatch.setattr(registry, "CHECKS", tmp_path / "checks")
    registry.analyzers.cache_clear()
    try:
        with pytest.raises(registry.RegistryError, match="lacks"):
            registry.analyzers()
    finally:
        registry.analyzers.cache_clear()


def test_a_query_two_analyzers_share_runs_once_per_analysis(estate, store, monkeypatch):
    from analyzers.model import SharedQueries

    estate.event(T0, principal="p", action="PutObject", resource="s3://b/k")
    estate.flush()
    calls: list[str] = []
    made: list[SharedQueries] = []
    real_fetch, real_init = SharedQueries.fetch, SharedQueries.__init__

    def fetch(self, cur, sql, params):
        calls.append(sql)
        return real_fetch(self, cur, sql, params)

    def init(self):
        real_init(self)
        made.append(self)

    monkeypatch.setattr(SharedQueries, "fetch", fetch)
    monkeypatch.setattr(SharedQueries, "__init__", init)
    analyze(store, only=["poisoning_dataset_unusual_writer", "poisoning_write_then_train"])
    writer_sql = registry.by_id()["poisoning_dataset_unusual_writer"].sql  # type: ignore[attr-defined]
    assert calls.count(writer_sql) == 2  # asked for by both analyzers, with the same parameters ...
    assert len(made) == 1 and sum(k[0] == writer_sql for k in made[0]._slots) == 1  # ... and run once


def test_shared_queries_compute_once_and_share_errors():
    import threading

    from analyzers.model import SharedQueries

    class Cursor:
        def __init__(self) -> None:
            self.executed = 0
            self.description = [("n",)]

        def execute(self, sql, params):
            self.executed += 1
            if "boom" in sql:
                raise ValueError("no such table")
            threading.Event().wait(0.05)  # long enough for the other thread to ask meanwhile
            return self

        def fetchall(self):
            return [(1,)]

    shared, cur = SharedQueries(), Cursor()
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(shared.fetch(cur, "SELECT 1", {"a": 1})))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cur.executed == 1 and results == [(["n"], [(1,)])] * 3
    assert shared.fetch(cur, "SELECT 1", {"a": 2}) == (["n"], [(1,)]) and cur.executed == 2  # other params
    with pytest.raises(ValueError):
        shared.fetch(cur, "boom", {})
    with pytest.raises(RuntimeError, match="no such table"):
        shared.fetch(cur, "boom", {})  # the second asker gets the same failure, without running it again
    assert cur.executed == 3
