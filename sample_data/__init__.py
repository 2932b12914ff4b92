"""Deterministic generator of mlspm's demo estate: logs, inventory, scan report, model files, labels."""

from sample_data.generate import DEFAULT_DAYS, DEFAULT_SEED, generate

__all__ = ["DEFAULT_DAYS", "DEFAULT_SEED", "generate"]
