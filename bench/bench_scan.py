"""``mlspm scan`` throughput on 1,000 small pickles beside ModelScan().scan() in-process on the same files.

mlspm's figure is the whole machinery: walking, starting the worker process, one request per file over
the pipe with the caps enforced, hashing every file, and storing every row in DuckDB. The baseline is
modelscan alone, one ``scan()`` call per file in this process (already imported, no storage). Goal:
1,000 files in at most 1 s. Run standalone: ``python -m bench.bench_scan``.
"""

from __future__ import annotations

import statistics
import struct
import tempfile
import time
from pathlib import Path

FILES = 1000
RUNS = 3
GOAL_SECONDS = 1.0


def _pickle(i: int) -> bytes:
    """Opcode bytes written by hand (never pickled from objects): every 10th file calls os.system."""
    if i % 10 == 0:
        arg = f"echo {i}".encode()
        return b"\x80\x02cposix\nsystem\nX" + struct.pack("<I", len(arg)) + arg + b"\x85R."
    return b"\x80\x04]\x94(K\x01K\x02" + b"K" + bytes([i % 256]) + b"e."


def make_files(root: Path, count: int = FILES) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = root / f"model_{i:04d}.pkl"
        path.write_bytes(_pickle(i))
        paths.append(path)
    return paths


def _time_mlspm(root: Path, db: Path) -> tuple[float, int, int]:
    from mlspm.config import Config
    from mlspm.scan.runner import scan_paths
    from mlspm.store import Store

    config = Config(db_path=db)
    with Store(db) as store:
        started = time.perf_counter()
        run = scan_paths(store, [root], config)
        seconds = time.perf_counter() - started
    return seconds, run.count("scanned"), len(run.rows("issue"))


def _time_worker_start() -> float:
    """The fixed cost inside mlspm's figure: one worker process up to its ready message."""
    from mlspm.scan.client import ScanWorker

    with ScanWorker(60.0, 2048) as worker:
        started = time.perf_counter()
        worker.start()
        return time.perf_counter() - started


def _time_modelscan(paths: list[Path]) -> tuple[float, int]:
    from modelscan.modelscan import ModelScan

    scanner = ModelScan()
    issues = 0
    started = time.perf_counter()
    for path in paths:
        issues += scanner.scan(str(path))["summary"]["total_issues"]
    return time.perf_counter() - started, issues


def run() -> dict[str, object]:
    """Median of RUNS alternating measurements; prints files/s and the ratio to the in-process baseline."""
    with tempfile.TemporaryDirectory(prefix="mlspm-bench-scan-") as tmp:
        root = Path(tmp) / "models"
        paths = make_files(root)
        mlspm_s: list[float] = []
        base_s: list[float] = []
        start_s: list[float] = []
        scanned = issues = base_issues = 0
        for i in range(RUNS):
            seconds, scanned, issues = _time_mlspm(root, Path(tmp) / f"bench_{i}.duckdb")
            mlspm_s.append(seconds)
            seconds, base_issues = _time_modelscan(paths)
            base_s.append(seconds)
            start_s.append(_time_worker_start())
    mlspm_median = statistics.median(mlspm_s)
    base_median = statistics.median(base_s)
    result: dict[str, object] = {
        "files": FILES,
        "runs": RUNS,
        "mlspm_scan_seconds": round(mlspm_median, 3),
        "mlspm_scan_files_per_s": round(FILES / mlspm_median),
        "modelscan_in_process_seconds": round(base_median, 3),
        "modelscan_in_process_files_per_s": round(FILES / base_median),
        "ratio_mlspm_to_in_process": round(mlspm_median / base_median, 2),
        "worker_start_seconds": round(statistics.median(start_s), 3),
        "goal_seconds": GOAL_SECONDS,
        "meets_goal": mlspm_median <= GOAL_SECONDS,
        "all_runs_mlspm": [round(s, 3) for s in mlspm_s],
        "all_runs_in_process": [round(s, 3) for s in base_s],
        "files_scanned": scanned,
        "issues": issues,
        "issues_in_process": base_issues,
    }
    print(
        f"mlspm scan (worker + caps + sha256 + DuckDB): {FILES} files in {mlspm_median:.3f} s "
        f"= {FILES / mlspm_median:,.0f} files/s (goal ≤ {GOAL_SECONDS:g} s: "
        f"{'met' if result['meets_goal'] else 'NOT met'})"
    )
    print(
        f"ModelScan().scan() in-process:               {FILES} files in {base_median:.3f} s "
        f"= {FILES / base_median:,.0f} files/s"
    )
    print(
        f"ratio mlspm / in-process: {mlspm_median / base_median:.2f}x  (median of {RUNS}; "
        f"issues {issues} vs {base_issues})"
    )
    print(f"of which starting the worker process: {result['worker_start_seconds']:.3f} s (once per scan)")
    return result


if __name__ == "__main__":
    run()
