"""What an analyzer is: its metadata (data, from a JSON file), its parameters, and what it reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from threading import Event, Lock
from typing import Any, Protocol

from mlspm.enums import Severity
from mlspm.store import Cursor

CATEGORIES = ("supply_chain", "access_control", "model_theft", "data_poisoning", "compliance")
FAMILIES = ("supply", "inventory", "access", "usage", "poisoning")


@dataclass(frozen=True)
class Parameter:
    """A tunable threshold with its default (from metadata), overridable in the config file."""

    name: str
    default: Any
    description: str
    type: str  # int | float | str | bool | list

    def coerce(self, value: Any) -> Any:
        """``value`` as this parameter's type; raises ValueError with a message naming the parameter."""
        try:
            if self.type == "int" and not isinstance(value, bool):
                return int(value)
            if self.type == "float" and not isinstance(value, bool):
                return float(value)
            if self.type == "bool" and isinstance(value, bool):
                return value
            if self.type == "str" and isinstance(value, str):
                return value
            if self.type == "list" and isinstance(value, list):
                return [str(v) for v in value]
        except (TypeError, ValueError):
            pass
        raise ValueError(f"{self.name} must be {self.type}, not {value!r}")


@dataclass(frozen=True)
class AnalyzerMeta:
    """Everything about an analyzer except its code; read from ``<id>.json`` beside it."""

    id: str
    title: str
    category: str
    severity: Severity
    description: str
    risk: str
    remediation: str
    references: tuple[str, ...]
    frameworks: tuple[str, ...]
    parameters: Mapping[str, Parameter]
    version: int = 1
    discovers: bool = False
    """Registers discovered assets: runs before the others, which then see events linked to them."""

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.parameters.items()}


@dataclass
class Fired:
    """One finding as an analyzer reports it; the engine turns it into a stable, triageable finding."""

    key: str
    """What the finding is about (principal, asset, window...): with the analyzer id, its fingerprint."""
    summary: str
    principal: str | None = None
    asset_id: str | None = None
    resource: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    severity: Severity | None = None
    """Overrides the analyzer's default severity for this finding (e.g. production assets)."""
    details: dict[str, Any] = field(default_factory=dict)
    details_json: str | None = None
    """``details`` as the JSON text the analyzer's SQL produced: stored as is, not re-encoded."""
    event_ids: list[int] = field(default_factory=list)
    scan_ids: list[int] = field(default_factory=list)
    evidence_count: int | None = None
    """When the evidence lists are cut, the true number of rows behind the finding."""


@dataclass(frozen=True)
class DiscoveredAsset:
    """An asset seen in logs or scans but absent from every inventory; registered as discovered."""

    asset_id: str
    kind: str
    name: str
    uri: str | None = None
    locators: tuple[str, ...] = ()


class SharedQueries:
    """Query results shared by the analyzers of one run: the same SQL with the same parameters runs
    once, and an analyzer asking for it while another computes it waits for that result. So an
    analyzer can build on another's definition (write-then-train on the unusual writes) for free."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._slots: dict[tuple[str, str], _Slot] = {}

    def fetch(
        self, cur: Cursor, sql: str, params: Mapping[str, Any]
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """(column names, rows) of ``sql`` with ``params``, computed on ``cur`` unless already known."""
        key = (sql, repr(sorted(params.items())))
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None
            if slot is None:
                slot = self._slots[key] = _Slot()
        if not owner:
            slot.done.wait()
            if slot.error is not None:
                raise RuntimeError(f"the shared query failed: {slot.error}")
            return slot.names, slot.rows
        try:
            result = cur.execute(sql, dict(params))
            slot.names = [d[0] for d in result.description or []]
            slot.rows = result.fetchall()
        except Exception as exc:
            slot.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            slot.done.set()
        return slot.names, slot.rows


@dataclass
class _Slot:
    done: Event = field(default_factory=Event)
    names: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    error: str | None = None


@dataclass
class AnalyzerContext:
    """What an analyzer gets: a cursor to read through, its parameters, and the data's "now"."""

    cur: Cursor
    params: dict[str, Any]
    data_until: datetime | None
    """The latest event time in the store: baselines and "stale" windows count back from it, so
    results do not depend on when the analysis runs."""
    discovered: list[DiscoveredAsset] = field(default_factory=list)
    shared: SharedQueries = field(default_factory=SharedQueries)


class Analyzer(Protocol):
    meta: AnalyzerMeta

    def run(self, ctx: AnalyzerContext) -> Iterable[Fired]:
        """Read through ``ctx.cur`` and report what fires; raise on failure (the others still run)."""
        ...
