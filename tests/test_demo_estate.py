"""The whole pipeline on the demo estate: every planted incident found, few false alarms, stable findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzers.engine import analyze
from mlspm.config import Config
from mlspm.findings import FindingFilter, query
from mlspm.ingest import ingest_paths
from mlspm.scan.runner import scan_paths
from mlspm.store import Store
from sample_data.evaluate import evaluate
from sample_data.generate import generate


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo")
    estate = root / "estate"
    generate(estate)
    db = root / "demo.duckdb"
    cfg = Config(db_path=db)
    with Store(db) as store:
        report = ingest_paths(store, [estate / "logs", estate / "inventory", estate / "reports"], cfg)
        assert not report.failed and report.total("rejected") == 0
        scan_paths(store, [estate / "models"], cfg)
        analyze(store)
    return db, json.loads((estate / "labels.json").read_text())


def test_every_planted_incident_is_found_with_few_false_alarms(demo):
    db, labels = demo
    with Store(db) as store, store.cursor() as cur:
        findings = query(cur, FindingFilter())
    incidents, posture, false_alarms = evaluate(findings, labels)
    missed = [o.label["id"] for o in incidents if not o.found]
    assert not missed, missed
    assert len(false_alarms) <= 2, [f.summary for f in false_alarms]
    assert all(o.best is not None for o in posture), [o.label["id"] for o in posture if o.best is None]


def test_analyzing_again_changes_nothing(demo):
    db, _ = demo
    with Store(db) as store:
        with store.cursor() as cur:
            before = sorted(r[0] for r in cur.execute("SELECT fingerprint FROM findings").fetchall())
        report = analyze(store)
        with store.cursor() as cur:
            after = sorted(r[0] for r in cur.execute("SELECT fingerprint FROM findings").fetchall())
    assert report.new == 0 and report.no_longer_firing == 0 and not report.errors
    assert before == after
