"""Bounded memory: one 5 GB log file ingested by `mlspm ingest` in its own process, peak RSS measured.

The baseline is DuckDB itself reading the same file into a table (``read_json`` with explicit
columns, its default memory limit) in another process: the ratio shows what mlspm's bound costs or
saves. The goal is an absolute one: peak resident set under 2 GB whatever the file's size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.data import OUT

TARGET_BYTES = 5 * 1024**3
_ROW = """
SELECT 'e' || i AS event_id, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i % 2592000) AS ts,
       'arn:aws:iam::123456789012:user/u' || (i % 500) AS principal, 'GetObject' AS action,
       's3://bucket-' || (i % 40) || '/models/m' || (i % 400) || '/part-' || i || '.bin' AS resource,
       '10.0.' || (i % 200) || '.' || (i % 250) AS source_ip,
       'boto3/1.34.2 md/Botocore#1.34.2 ua/2.0 os/linux#6.1 lang/python#3.11.7' AS user_agent,
       (i * 7919) % 1000000 AS bytes_out
FROM range($n) t(i)
"""
_BYTES_PER_ROW = 311  # measured for the row above as JSON lines


def big_log(target: int = TARGET_BYTES) -> Path:
    """A generic JSON-lines log of about ``target`` bytes (built once with DuckDB's writer, then reused)."""
    rows = target // _BYTES_PER_ROW
    path = OUT / f"big_{rows}.jsonl"
    if path.exists():
        return path
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute(f"COPY ({_ROW.replace('$n', str(rows))}) TO '{tmp}' (FORMAT json)")
    con.close()
    tmp.rename(path)
    return path


_BASELINE = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute(
    "CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited', columns={'event_id': 'VARCHAR', "
    "'ts': 'TIMESTAMPTZ', 'principal': 'VARCHAR', 'action': 'VARCHAR', 'resource': 'VARCHAR', "
    "'source_ip': 'VARCHAR', 'user_agent': 'VARCHAR', 'bytes_out': 'BIGINT'})",
    [sys.argv[1]],
)
"""


def _child(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` in a fresh process; its wall time and peak RSS in MB (via a wrapper that reports it)."""
    wrapper = (
        "import resource, subprocess, sys, json; "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "sys.stderr.write(r.stderr[-2000:]); "
        "print(json.dumps([r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    )
    clock = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - clock
    code, peak_kb = json.loads(done.stdout.strip().splitlines()[-1])
    if code != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {done.stderr}")
    return seconds, peak_kb / 1024


def run() -> dict[str, object]:
    log = big_log()
    size_gb = log.stat().st_size / 1024**3
    work = OUT / "memory"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.duckdb*"):
        old.unlink()
    mlspm = [
        str(Path(sys.executable).with_name("mlspm")),
        "--db",
        str(work / "mlspm.duckdb"),
        "ingest",
        str(log),
    ]
    seconds, peak = _child(mlspm)
    base_seconds, base_peak = _child([sys.executable, "-c", _BASELINE, str(log), str(work / "duckdb.duckdb")])
    print(
        f"  one {size_gb:.1f} GB JSON-lines log: mlspm ingest {seconds:.0f} s, peak RSS {peak:,.0f} MB "
        f"(goal < 2,048 MB) · DuckDB read_json into a table: {base_seconds:.0f} s, peak RSS {base_peak:,.0f} MB "
        f"({peak / base_peak:.2f}x)"
    )
    return {
        "file_gb": round(size_gb, 2),
        "mlspm_s": round(seconds, 1),
        "mlspm_peak_mb": round(peak),
        "duckdb_s": round(base_seconds, 1),
        "duckdb_peak_mb": round(base_peak),
        "peak_ratio": round(peak / base_peak, 2),
    }
