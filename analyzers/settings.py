"""Analyzer settings from the config file: thresholds per analyzer, enabled flags, and suppressions.

.. code-block:: toml

    [analyzers.usage_inference_volume_spike]
    min_per_hour = 100        # any parameter in the analyzer's metadata
    enabled = true

    [[suppress]]
    analyzer = "usage_human_off_hours"              # an id, or a glob such as "usage_*"
    principal = "arn:aws:sts::*:assumed-role/oncall/*"
    asset = "*"
    reason = "on-call engineers work nights"
    expires = "2027-01-31"                          # optional; after it the rule no longer applies
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from analyzers.model import AnalyzerMeta
from mlspm.errors import ConfigError


@dataclass(frozen=True)
class Suppression:
    """Marks matching findings suppressed (they stay, with the reason) until it expires."""

    analyzer: str
    principal: str
    asset: str
    reason: str
    expires: date | None

    def matches(self, analyzer_id: str, principal: str | None, asset: str | None, today: date) -> bool:
        if self.expires is not None and today > self.expires:
            return False
        return (
            fnmatch.fnmatchcase(analyzer_id, self.analyzer)
            and fnmatch.fnmatchcase(principal or "", self.principal)
            and fnmatch.fnmatchcase(asset or "", self.asset)
        )

    @property
    def label(self) -> str:
        until = f" until {self.expires.isoformat()}" if self.expires else ""
        return f"{self.reason} (rule: {self.analyzer} / {self.principal} / {self.asset}{until})"


@dataclass
class AnalyzerSettings:
    """Overrides from the config file; empty means "metadata defaults, everything enabled"."""

    source: Path | None = None
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    suppressions: list[Suppression] = field(default_factory=list)
    workers: int = 2
    """Analyzers run at once (each on its own cursor; the discovering ones always run first, alone)."""

    def enabled(self, meta: AnalyzerMeta) -> bool:
        return bool(self.overrides.get(meta.id, {}).get("enabled", True))

    def params(self, meta: AnalyzerMeta) -> dict[str, Any]:
        """The analyzer's parameters: metadata defaults, then the config file; raises ConfigError."""
        values = meta.defaults()
        for name, value in self.overrides.get(meta.id, {}).items():
            if name == "enabled":
                continue
            if name not in meta.parameters:
                known = ", ".join(meta.parameters) or "none"
                raise ConfigError(
                    f"{self.source}: {meta.id} has no parameter {name!r}",
                    hint=f"its parameters are: {known} (see `mlspm analyzers`)",
                )
            try:
                values[name] = meta.parameters[name].coerce(value)
            except ValueError as exc:
                raise ConfigError(f"{self.source}: {meta.id}: {exc}") from None
        return values

    def suppression_for(
        self, analyzer_id: str, principal: str | None, asset: str | None, today: date | None = None
    ) -> Suppression | None:
        day = today or datetime.now(UTC).date()
        for rule in self.suppressions:
            if rule.matches(analyzer_id, principal, asset, day):
                return rule
        return None


def load(path: Path | None, known_ids: set[str]) -> AnalyzerSettings:
    """Read ``path`` (TOML); None or a missing default file means defaults. Raises ConfigError."""
    if path is None or not path.exists():
        return AnalyzerSettings(source=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}", hint="it must be TOML") from None
    overrides = data.get("analyzers", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{path}: [analyzers] must be a table of analyzer ids")
    for ident, values in overrides.items():
        if ident not in known_ids:
            raise ConfigError(f"{path}: unknown analyzer {ident!r}", hint="`mlspm analyzers` lists them")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [analyzers.{ident}] must be a table")
    rules = []
    for n, raw in enumerate(data.get("suppress", []), start=1):
        if not isinstance(raw, dict) or not str(raw.get("reason", "")).strip():
            raise ConfigError(f"{path}: suppression #{n} needs a reason")
        expires = raw.get("expires")
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                raise ConfigError(f"{path}: suppression #{n}: expires {expires!r} is not a date") from None
        elif isinstance(expires, datetime):
            expires = expires.date()
        rules.append(
            Suppression(
                analyzer=str(raw.get("analyzer", "*")),
                principal=str(raw.get("principal", "*")),
                asset=str(raw.get("asset", "*")),
                reason=str(raw["reason"]),
                expires=expires,
            )
        )
    return AnalyzerSettings(source=path, overrides=overrides, suppressions=rules)
