"""SIGKILL during analyze and right after a triage change: the database opens, committed decisions stay."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlspm.config import Config
from mlspm.enums import TriageStatus
from mlspm.ingest import ingest_paths
from mlspm.store import Store
from mlspm.triage import set_status

ENDPOINT = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"


def _estate(tmp_path: Path) -> Path:
    """A small estate whose analysis fires (a usage spike) and takes long enough to be interrupted."""
    start = datetime(2026, 3, 2, tzinfo=UTC)
    lines = []
    for d in range(20):
        for h in range(24):
            for p in range(30):
                lines.append(
                    {
                        "event_id": f"e{d}-{h}-{p}",
                        "ts": (start + timedelta(days=d, hours=h, minutes=p)).isoformat(),
                        "principal": f"arn:aws:iam::111122223333:user/u{p}",
                        "action": "InvokeEndpoint",
                        "resource": ENDPOINT,
                        "source_ip": f"198.51.100.{p}",
                    }
                )
    for i in range(400):
        lines.append(
            {
                "event_id": f"spike{i}",
                "ts": (start + timedelta(days=21, hours=3, seconds=i * 5)).isoformat(),
                "principal": "arn:aws:iam::111122223333:user/u1",
                "action": "InvokeEndpoint",
                "resource": ENDPOINT,
                "source_ip": "203.0.113.9",
            }
        )
    log = tmp_path / "gateway.jsonl"
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    db = tmp_path / "mlspm.duckdb"
    with Store(db) as store:
        ingest_paths(store, [log], Config(db_path=db))
    return db


def _mlspm(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlspm", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _state(db: Path) -> tuple[int, list[tuple[object, ...]], list[tuple[object, ...]]]:
    with Store(db) as store, store.cursor() as cur:
        findings = int(cur.execute("SELECT count(*) FROM findings").fetchall()[0][0])
        triage = cur.execute("SELECT fingerprint, status, note FROM triage ORDER BY 1").fetchall()
        history = cur.execute(
            "SELECT fingerprint, from_status, to_status, note FROM triage_history ORDER BY 1, changed_at"
        ).fetchall()
    return findings, triage, history


@pytest.mark.parametrize("fraction", [0.3, 0.45, 0.6])
def test_sigkill_during_analyze_keeps_triage_and_a_usable_database(tmp_path, fraction):
    db = _estate(tmp_path)
    clock = time.perf_counter()
    first = _mlspm(db, "analyze")
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    took = time.perf_counter() - clock  # kill the next run at this fraction of a whole run
    with Store(db) as store, store.cursor() as cur:
        fps = [r[0] for r in cur.execute("SELECT fingerprint FROM findings ORDER BY 1").fetchall()]
    assert fps, "the estate must produce findings"
    with Store(db) as store:
        set_status(store, fps[:1], TriageStatus.CONFIRMED, note="seen it", actor="tester")
    before = _state(db)

    child = _mlspm(db, "analyze")
    time.sleep(took * fraction)
    assert child.poll() is None, "analyze finished before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait()

    findings, triage, history = _state(db)  # opens (replays the WAL) and reads
    assert triage == before[1] and history == before[2]
    assert findings == before[0]  # the same data: the same findings, none lost, none doubled
    again = _mlspm(db, "analyze")  # and the database is fully usable afterwards
    assert again.wait(timeout=120) == 0
    assert _state(db)[:2] == (before[0], before[1])


_TRIAGE_THEN_DIE = r"""
import os, signal, sys
from pathlib import Path
from mlspm.enums import TriageStatus
from mlspm.store import Store
from mlspm.triage import set_status

store = Store(Path(sys.argv[1]))
set_status(store, [sys.argv[2]], TriageStatus.FALSE_POSITIVE, note="benign batch job", actor="analyst")
print("committed", flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint: only the WAL holds the change
"""


def test_sigkill_right_after_a_triage_change_keeps_it_and_its_history(tmp_path):
    db = _estate(tmp_path)
    assert _mlspm(db, "analyze").wait(timeout=120) == 0
    with Store(db) as store, store.cursor() as cur:
        fp = cur.execute("SELECT fingerprint FROM findings ORDER BY 1 LIMIT 1").fetchall()[0][0]
    child = subprocess.run(
        [sys.executable, "-c", _TRIAGE_THEN_DIE, str(db), fp], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -signal.SIGKILL and "committed" in child.stdout
    _, triage, history = _state(db)
    assert triage == [(fp, "false_positive", "benign batch job")]
    assert history == [(fp, "open", "false_positive", "benign batch job")]
