"""Typed settings for one mlspm run: where the database lives and the limits ingest and scan obey."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlspm.errors import ConfigError

DB_ENV_VAR = "MLSPM_DB"
"""Environment variable naming the database file (overridden by ``--db``)."""


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    """The embedded default location: ``$XDG_DATA_HOME/mlspm/mlspm.duckdb`` (``~/.local/share/...``)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mlspm" / "mlspm.duckdb"


@dataclass(frozen=True)
class Config:
    """Settings passed explicitly to every part of mlspm (never a global)."""

    db_path: Path = field(default_factory=default_db_path)
    """The DuckDB file holding everything mlspm knows."""

    max_record_bytes: int = 16 * 1024 * 1024
    """A single input record (JSON object or log line) larger than this is rejected, not loaded."""

    max_document_bytes: int = 1024 * 1024 * 1024
    """A JSON document read whole (a CloudTrail Records file, an inventory, a report) may be this big."""

    reject_raw_bytes: int = 64 * 1024
    """How much of a rejected record's raw text is kept in ``rejects.raw`` (the rest is cut, and said so)."""

    scan_max_seconds: float = 60.0
    """Per-file time cap for ``mlspm scan``; a file that takes longer is reported as skipped."""

    scan_max_memory_mb: int = 2048
    """Per-file memory cap (resident set of the scanner process) for ``mlspm scan``."""

    @classmethod
    def from_env(
        cls, db: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
    ) -> Config:
        """Build the config: ``db`` (from ``--db``) wins over ``$MLSPM_DB``, which wins over the default."""
        env = os.environ if env is None else env
        chosen = db if db is not None else env.get(DB_ENV_VAR)
        if chosen is not None and str(chosen).strip() == "":
            raise ConfigError("the database path is empty", hint=f"pass --db FILE or set {DB_ENV_VAR}")
        path = Path(chosen).expanduser() if chosen is not None else default_db_path(env)
        return cls(db_path=path)

    def with_(self, **changes: object) -> Config:
        """A copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]
