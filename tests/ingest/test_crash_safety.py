"""A load killed with SIGKILL in the middle of a file leaves none of that file's rows behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlspm.config import Config
from mlspm.store import Store

_CHILD = r"""
import sys
from pathlib import Path
from mlspm.config import Config
from mlspm.ingest import ingest_paths
from mlspm.store import Store

def progress(stage, path, result):
    print(stage, path.name, flush=True)

cfg = Config(db_path=Path(sys.argv[1]))
with Store(cfg.db_path) as store:
    ingest_paths(store, [Path(p) for p in sys.argv[2:]], cfg, progress=progress)
print("finished", flush=True)
"""


def _events(path: Path, n: int, prefix: str, *, bad_last: bool = False) -> Path:
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "event_id": f"{prefix}{i}",
                        "ts": "2026-01-01T00:00:00Z",
                        "principal": f"user{i % 97}",
                        "action": "GetObject",
                        "resource": f"s3://bucket/key/{i}",
                    }
                )
                + "\n"
            )
        if bad_last:  # forces a second, exact pass over the file: more time to be killed in
            fh.write("not json\n")
    return path


def test_sigkill_mid_file_leaves_no_partial_rows(tmp_path):
    db = tmp_path / "mlspm.duckdb"
    small = _events(tmp_path / "a-small.jsonl", 50, "a")
    big = _events(tmp_path / "b-big.jsonl", 400_000, "b", bad_last=True)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db), str(small), str(big)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "start b-big.jsonl":
            break
    time.sleep(1.0)
    assert child.poll() is None, "the load finished before it could be killed: make the file bigger"
    child.send_signal(signal.SIGKILL)
    child.wait()

    with Store(db) as store, store.cursor() as cur:
        events = cur.execute(
            "SELECT count(*) FILTER (WHERE event_id LIKE 'a%'), "
            "count(*) FILTER (WHERE event_id LIKE 'b%') FROM access_events"
        ).fetchall()
        runs = cur.execute("SELECT path, status, rows_loaded FROM ingest_runs").fetchall()
        rejects = cur.execute("SELECT count(*) FROM rejects").fetchall()
    assert events == [(50, 0)]
    assert runs == [(str(small), "loaded", 50)]
    assert rejects == [(0,)]

    # loading again picks up exactly the killed file
    from mlspm.ingest import ingest_paths

    cfg = Config(db_path=db)
    with Store(db) as store:
        report = ingest_paths(store, [small, big], cfg)
    assert [f.status for f in report.files] == ["already_loaded", "loaded"]
    assert report.files[1].counts.loaded == 400_000
