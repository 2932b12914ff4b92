"""Tiny in-memory estates for analyzer tests: add events, assets, scans, then run one analyzer."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from analyzers.engine import MACROS
from analyzers.model import AnalyzerContext, Fired
from analyzers.registry import by_id
from mlspm.ingest.bulk import RowBuffer
from mlspm.ingest.rules import action_class, outcome_from_status
from mlspm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC


class Estate:
    """Rows written straight into the store's tables (no files), for fast, exact analyzer tests."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ids = itertools.count(1)
        self._pending: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = {}

    def event(
        self, ts: datetime, principal: str | None, action: str, resource: str | None = None, **kw: Any
    ) -> int:
        """One access event; ``action_class``/``outcome`` are derived like ingest does unless given."""
        eid = next(self._ids)
        row = {
            "id": eid,
            "event_id": kw.pop("event_id", f"ev-{eid}"),
            "ts": ts,
            "principal": principal,
            "principal_type": kw.pop(
                "principal_type",
                "IAMUser"
                if principal and ":user/" in principal
                else "AssumedRole"
                if principal and "assumed-role" in principal
                else None,
            ),
            "action": action,
            "action_class": kw.pop("action_class", action_class(action).value),
            "resource": resource,
            "outcome": kw.pop("outcome", None),
            "source_format": kw.pop("source_format", "test"),
            "run_id": 1,
            "raw": json.dumps(kw.pop("raw")) if "raw" in kw else None,
        }
        status = kw.pop("status_code", None)
        row["status_code"] = status
        row["outcome"] = (
            row["outcome"] or outcome_from_status(status) if status else row["outcome"] or "success"
        )
        row.update(kw)
        self._insert("access_events", row)
        return eid

    def events(
        self,
        n: int,
        start: datetime,
        every: timedelta,
        principal: str,
        action: str,
        resource: str | None = None,
        **kw: Any,
    ) -> list[int]:
        return [self.event(start + every * i, principal, action, resource, **kw) for i in range(n)]

    def asset(
        self, asset_id: str, kind: str, name: str | None = None, locators: tuple[str, ...] = (), **kw: Any
    ) -> None:
        row = {
            "asset_id": asset_id,
            "kind": kind,
            "name": name or asset_id.split(":", 1)[-1],
            "source": kw.pop("source", "test"),
            "updated_at": T0,
            **kw,
        }
        self._insert("assets", row)
        for locator in locators:
            kind_ = (
                "sha256"
                if len(locator) == 64 and ":" not in locator
                else "prefix"
                if locator.endswith("/")
                else "exact"
            )
            self._insert("asset_locators", {"asset_id": asset_id, "locator": locator.lower(), "kind": kind_})

    def lineage(self, src: str, relation: str, dst: str) -> None:
        self._insert("lineage", {"src_asset": src, "relation": relation, "dst_asset": dst, "source": "test"})

    def permission(self, principal: str, asset_id: str, privilege: str) -> None:
        self._insert(
            "permissions",
            {"principal": principal, "asset_id": asset_id, "privilege": privilege, "source": "test"},
        )

    def scan(self, target: str, kind: str = "issue", **kw: Any) -> int:
        sid = next(self._ids)
        row = {
            "id": sid,
            "run_id": 1,
            "scanner": kw.pop("scanner", "modelscan"),
            "target": target,
            "kind": kind,
            "scanned_at": kw.pop("scanned_at", T0),
            **kw,
        }
        self._insert("scan_results", row)
        return sid

    def flush(self) -> None:
        """Write the buffered rows (rows are appended in bulk: tests add thousands of events)."""
        with self.store.cursor() as cur:
            for (table, cols), rows in self._pending.items():
                buffer = RowBuffer(cur, table, cols)
                for row in rows:
                    buffer.append(row)
                buffer.flush()
        self._pending.clear()

    def run(self, analyzer_id: str, **params: Any) -> list[Fired]:
        """Run one analyzer (metadata defaults overridden by ``params``) and return what fired."""
        self.flush()
        analyzer = by_id()[analyzer_id]
        values = analyzer.meta.defaults() | params
        with self.store.cursor() as cur:
            cur.execute(MACROS)
            until = cur.execute("SELECT max(ts) FROM access_events").fetchall()[0][0]
            ctx = AnalyzerContext(cur=cur, params=values, data_until=until)
            fired = list(analyzer.run(ctx))
        self.discovered = ctx.discovered
        return fired

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        self._pending.setdefault((table, tuple(row)), []).append(list(row.values()))


@pytest.fixture
def estate(store: Store) -> Iterator[Estate]:
    yield Estate(store)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)
