"""A small fixed estate for the TUI tests: a usage spike, a hostile user agent, an inventory, findings."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from analyzers.engine import analyze
from mlspm.config import Config
from mlspm.ingest import ingest_paths
from mlspm.query import QueryService
from mlspm.store import Store
from tui.app import MlspmApp

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
PARTNER = "arn:aws:sts::111122223333:assumed-role/partner/session"
EVIL_AGENT = "[bold red]x[/] \x1b[2J\x1b]0;pwned\x07 [link=https://evil.example]y[/link]"
ENDPOINT = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"


def _build(root: Path) -> Path:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    events, n = [], 0
    for d in range(12):
        for h in range(8, 16):
            for principal in (PARTNER, "arn:aws:iam::111122223333:user/alice"):
                n += 1
                events.append(
                    {
                        "event_id": f"e{n}",
                        "ts": (start + timedelta(days=d, hours=h)).isoformat(),
                        "principal": principal,
                        "action": "InvokeEndpoint",
                        "resource": ENDPOINT,
                        "source_ip": "198.51.100.7",
                        "user_agent": "boto3/1.34",
                    }
                )
    for i in range(300):
        n += 1
        events.append(
            {
                "event_id": f"e{n}",
                "ts": (start + timedelta(days=14, hours=3, seconds=i * 11)).isoformat(),
                "principal": PARTNER,
                "action": "InvokeEndpoint",
                "resource": ENDPOINT,
                "source_ip": "203.0.113.66",
                "user_agent": EVIL_AGENT,
            }
        )
    logs = root / "gateway.jsonl"
    logs.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    inventory = root / "assets.csv"
    inventory.write_text(
        "kind,name,uri,owner,environment,public,encrypted\n"
        f"endpoint,fraud,{ENDPOINT},risk-ml,prod,false,true\n"
        "bucket,open-models,s3://open-models/,,prod,true,false\n"
        "dataset,transactions,s3://data/transactions/,data-eng,,false,true\n"
    )
    db = root / "tui.duckdb"
    cfg = Config(db_path=db)
    with Store(db) as store:
        ingest_paths(store, [logs, inventory], cfg)
        analyze(store, now=NOW)
    return db


async def settle(pilot: Any, timeout: float = 20.0) -> None:
    """Wait until the screen has shown every answer it asked for (workers done, results on screen)."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.02)
        screens = [pilot.app.screen, *[w.screen for w in pilot.app.query("PagedEvents")]]
        if all(getattr(s, "pending", 0) == 0 for s in screens) and not pilot.app.workers._workers:
            await pilot.pause(0.05)
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the screen kept loading")


@pytest.fixture(scope="session")
def tui_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("tui-estate"))


@pytest.fixture
def tui_db(tui_db_template: Path, tmp_path: Path) -> Path:
    """A fresh copy per test (tests triage and so write)."""
    db = tmp_path / "tui.duckdb"
    shutil.copy(tui_db_template, db)
    return db


@pytest.fixture
def tui_app(tui_db: Path) -> Iterator[MlspmApp]:
    store = Store(tui_db)
    service = QueryService(store)
    service.lock_down()  # as `mlspm` does: no file system through DuckDB in the workbench
    try:
        yield MlspmApp(service, actor="tester")
    finally:
        store.close()
