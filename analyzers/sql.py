"""SQL analyzers: one query per analyzer, named parameters bound from its metadata and the config."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from analyzers.model import AnalyzerContext, AnalyzerMeta, Fired
from mlspm.enums import Severity

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")

# Columns a SQL analyzer returns (extra columns are ignored; missing optional ones are None).
REQUIRED = ("key", "summary")
OPTIONAL = (
    "principal",
    "asset_id",
    "resource",
    "first_seen",
    "last_seen",
    "severity",
    "details",
    "event_ids",
    "scan_ids",
    "evidence_count",
)


class SqlAnalyzer:
    """An analyzer whose logic is the SQL file next to its metadata."""

    def __init__(self, meta: AnalyzerMeta, path: Path) -> None:
        self.meta = meta
        self.path = path
        self.sql = path.read_text(encoding="utf-8")
        self.used = sorted(set(_PARAM.findall(self.sql)))
        unknown = [p for p in self.used if p not in meta.parameters and p != "data_until"]
        if unknown:
            raise ValueError(f"{path.name} uses parameters not in its metadata: {', '.join(unknown)}")

    def run(self, ctx: AnalyzerContext) -> Iterable[Fired]:
        params: dict[str, Any] = {name: ctx.params[name] for name in self.used if name != "data_until"}
        if "data_until" in self.used:
            params["data_until"] = ctx.data_until
        names, rows = ctx.shared.fetch(ctx.cur, self.sql, params)
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise ValueError(f"{self.path.name} returns no {', '.join(missing)} column")
        for row in rows:
            record = dict(zip(names, row, strict=True))
            yield _fired(record)


def _fired(r: dict[str, Any]) -> Fired:
    details = r.get("details")
    text = details if isinstance(details, str) else None
    if text is not None:
        details = json.loads(text)
    severity = r.get("severity")
    return Fired(
        key=str(r["key"]),
        summary=str(r["summary"]),
        principal=r.get("principal"),
        asset_id=r.get("asset_id"),
        resource=r.get("resource"),
        first_seen=r.get("first_seen"),
        last_seen=r.get("last_seen"),
        severity=Severity.parse(severity) if severity else None,
        details=dict(details or {}),
        details_json=text if isinstance(details, dict) else None,
        event_ids=[int(i) for i in (r.get("event_ids") or []) if i is not None],
        scan_ids=[int(i) for i in (r.get("scan_ids") or []) if i is not None],
        evidence_count=r.get("evidence_count"),
    )
