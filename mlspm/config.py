"""Typed settings for one mlspm run: where the database lives and the limits ingest and scan obey."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlspm.errors import ConfigError

DB_ENV_VAR = "MLSPM_DB"
"""Environment variable naming the database file (overridden by ``--db``)."""
CONFIG_ENV_VAR = "MLSPM_CONFIG"
"""Environment variable naming the settings file (overridden by ``--config``)."""


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/mlspm/config.toml`` (``~/.config/mlspm/config.toml``); optional."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mlspm" / "config.toml"


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

    settings_path: Path | None = None
    """The TOML settings file: analyzer thresholds and suppressions (optional)."""

    @classmethod
    def from_env(
        cls,
        db: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        settings: str | os.PathLike[str] | None = None,
    ) -> Config:
        """Build the config: ``--db``/``--config`` win over the environment, which wins over defaults."""
        env = os.environ if env is None else env
        chosen = db if db is not None else env.get(DB_ENV_VAR)
        if chosen is not None and str(chosen).strip() == "":
            raise ConfigError("the database path is empty", hint=f"pass --db FILE or set {DB_ENV_VAR}")
        path = Path(chosen).expanduser() if chosen is not None else default_db_path(env)
        if settings is not None:
            settings_path: Path | None = Path(settings).expanduser()
            if not Path(settings).expanduser().is_file():
                raise ConfigError(f"the settings file {settings_path} does not exist", hint="check --config")
        elif env.get(CONFIG_ENV_VAR):
            settings_path = Path(env[CONFIG_ENV_VAR]).expanduser()
        else:
            settings_path = default_config_path(env)
        return cls(db_path=path, settings_path=settings_path)

    def with_(self, **changes: object) -> Config:
        """A copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]
