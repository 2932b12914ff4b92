"""`mlspm scan` on hostile inputs: a zip bomb, a 10 GB sparse file, a directory of 100k files.

Bounded time and memory, a clear skip or error row per bad file, and nothing is ever loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest


def _scan(db: Path, *args: str, timeout: float = 180) -> tuple[int, dict[str, object], float]:
    clock = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mlspm", "--db", str(db), "scan", "--json", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), time.perf_counter() - clock


def _rows(db: Path) -> list[tuple[object, ...]]:
    from mlspm.store import Store

    with Store(db) as store, store.cursor() as cur:
        return cur.execute("SELECT target, kind, rule_id FROM scan_results ORDER BY target, kind").fetchall()


def test_zip_bomb_is_capped_and_the_scan_goes_on(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    bomb = models / "bomb.pt"
    # 300 MB of MARK opcodes: a tiny file on disk that a scanner must walk opcode by opcode
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("archive/data.pkl", "w", force_zip64=True) as member,
    ):
        block = b"(" * (1 << 20)
        for _ in range(300):
            member.write(block)
    assert bomb.stat().st_size < 5 * 1024 * 1024
    (models / "fine.pkl").write_bytes(b"\x80\x04K\x01.")  # pickle of the int 1
    code, _report, seconds = _scan(
        tmp_path / "db.duckdb", "--max-seconds", "4", "--max-memory-mb", "600", str(models)
    )
    assert seconds < 90
    rows = _rows(tmp_path / "db.duckdb")
    by_file = {Path(str(t)).name: (k, r) for t, k, r in rows}
    assert by_file["fine.pkl"][0] == "scanned"
    kind, _rule = by_file["bomb.pt"]
    assert kind in ("skipped", "error"), rows
    assert code in (0, 1)


def test_a_10_gb_sparse_file_is_bounded(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    huge = models / "huge.bin"
    with open(huge, "wb") as fh:
        fh.truncate(10 * 1024**3)  # sparse: no disk used
    code, _report, seconds = _scan(tmp_path / "db.duckdb", "--max-seconds", "5", str(models))
    assert seconds < 15, f"took {seconds:.0f} s"  # not read: hashing 10 GB alone takes ~15 s here
    from mlspm.store import Store

    with Store(tmp_path / "db.duckdb") as store, store.cursor() as cur:
        rows = cur.execute("SELECT kind, message FROM scan_results").fetchall()
    assert len(rows) == 1 and rows[0][0] == "skipped" and "sparse file" in str(rows[0][1]), rows
    assert code == 1  # nothing could be scanned


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_a_directory_of_100k_files(tmp_path):
    models = tmp_path / "many"
    for d in range(100):
        sub = models / f"d{d:03d}"
        sub.mkdir(parents=True)
        for i in range(1000):
            (sub / f"f{i:04d}.txt").write_bytes(b"x")
    _code, _report, seconds = _scan(tmp_path / "db.duckdb", str(models), timeout=1200)
    assert seconds < 600
    from mlspm.store import Store

    with Store(tmp_path / "db.duckdb") as store, store.cursor() as cur:
        assert cur.execute("SELECT count(DISTINCT target) FROM scan_results").fetchall() == [(100_000,)]
