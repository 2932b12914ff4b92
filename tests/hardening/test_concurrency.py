"""Two processes on one database: the second says clearly what to do; nothing is corrupted.

DuckDB allows one writing process per file. mlspm's promise is that every other process — a second
workbench, an ingest while the workbench is open, a CLI read — gets a one-line reason and a hint,
never a traceback, and that the holder's data stays intact.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlspm.store import Store

_HOLDER = r"""
import sys, time
from pathlib import Path
from mlspm.store import Store
store = Store(Path(sys.argv[1]))
with store.transaction() as cur:
    cur.execute("INSERT INTO rejects VALUES (1, 'held', 1, 'line', 'r', 'x', 1)")
print("holding", flush=True)
time.sleep(60)
"""


@pytest.fixture
def held(tmp_path: Path):
    db = tmp_path / "mlspm.duckdb"
    with Store(db):
        pass
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    yield db
    holder.kill()
    holder.wait()


@pytest.mark.parametrize(
    "args",
    [
        [],  # a second workbench
        ["ingest", "{log}"],  # a load while the workbench is open
        ["findings"],
        ["analyze"],
        ["report", "--format", "json"],
    ],
    ids=["workbench", "ingest", "findings", "analyze", "report"],
)
def test_a_second_process_is_told_what_to_do(held, tmp_path, args):
    log = tmp_path / "x.jsonl"
    log.write_text(
        '{"event_id":"1","ts":"2026-01-01T00:00:00Z","principal":"a","action":"GetObject","resource":"s3://b/k"}\n'
    )
    clock = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mlspm", "--db", str(held), *[a.format(log=log) for a in args]],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert time.perf_counter() - clock < 30
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "in use by process" in done.stderr and "close the other mlspm" in done.stderr, done.stderr
    assert "\x1b[?1049h" not in done.stdout  # the workbench never took over the terminal


def test_the_holders_data_is_intact_afterwards(held):
    subprocess.run(
        [sys.executable, "-m", "mlspm", "--db", str(held), "ingest", "/dev/null"],
        capture_output=True,
        timeout=60,
    )
    # the holder still runs; after it stops the file opens with its committed row
    subprocess.run(["pkill", "-f", str(held)], check=False)
    time.sleep(0.5)
    with Store(held) as store, store.cursor() as cur:
        assert cur.execute("SELECT path FROM rejects").fetchall() == [("held",)]
