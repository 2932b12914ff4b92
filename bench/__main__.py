"""``make bench``: every benchmark, each beside its named baseline; figures saved to bench/out/latest.json."""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import bench_analyzers, bench_ingest, bench_memory, bench_scan, bench_tui


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (medians are reported)")
    parser.add_argument(
        "--only", choices=["ingest", "scan", "analyzers", "tui", "memory"], help="run one benchmark"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    figures: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} · {platform.python_version()} · {_cores()} cores",
    }
    if args.only in (None, "ingest"):
        figures["ingest"] = bench_ingest.run(repeats=args.repeats)
        print(bench_ingest.report(figures["ingest"]))  # type: ignore[arg-type]
    if args.only in (None, "scan"):
        figures["scan"] = bench_scan.run()
    if args.only in (None, "analyzers"):
        print("analyzers over 10M access events (median of runs; bare = the same SQL run straight on DuckDB)")
        figures["analyzers"] = bench_analyzers.run(repeats=args.repeats)
    if args.only in (None, "tui"):
        print(
            "workbench (Pilot, 160x48) beside a bare anchor app reading a 200-row window of the same database"
        )
        figures["tui"] = bench_tui.run(repeats=args.repeats)
    if args.only in (None, "memory"):
        print("bounded memory: one 5 GB log file, peak resident set of the whole `mlspm ingest` process")
        figures["memory"] = bench_memory.run()
    out = Path(__file__).resolve().parent / "out" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=1))
    print(f"figures saved to {out} ({time.perf_counter() - started:.0f} s)")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
