"""`python -m sample_data --out DIR [--seed N] [--days N]`: write the demo estate and summarize it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sample_data.estate import MAX_DAYS, MIN_DAYS
from sample_data.generate import DEFAULT_DAYS, DEFAULT_SEED, generate, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data",
        description="Write mlspm's demo ML estate (CloudTrail, S3 access logs, inference gateway log, "
        "CycloneDX "
        "ML-BOM, asset list, modelscan report, model files) with planted incidents listed in labels.json. "
        "The same seed and days always give the same bytes.",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="directory to write into (created if missing)"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        help=f"length of the period, ending 2025-03-24 ({MIN_DAYS}-{MAX_DAYS}, default {DEFAULT_DAYS})",
    )
    args = parser.parse_args(argv)
    try:
        result = generate(args.out, seed=args.seed, days=args.days)
    except ValueError as exc:
        parser.error(str(exc))
    print(summary(result, args.out / "labels.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
