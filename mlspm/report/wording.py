"""Shared wording for the human-readable reports (HTML, Markdown): times, labels, section texts."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from mlspm.report.model import AnalysisRun, AssetInfo, LineageLink, ReportData

SEVERITY_LABEL = {
    "critical": "Critical",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "info": "Informational",
}
STATUS_LABEL = {
    "open": "open",
    "investigating": "investigating",
    "confirmed": "confirmed",
    "false_positive": "false positive",
    "risk_accepted": "risk accepted",
    "resolved": "resolved",
}
RELATION_LABEL = {
    "trained_on": "trained on",
    "derived_from": "derived from",
    "deployed_as": "deployed as",
    "stored_in": "stored in",
    "depends_on": "depends on",
}
TITLE = "ML security posture — triage report"
MAX_INPUT_ROWS = 1000
"""Input files listed in the readable reports' appendix (the JSON and SARIF reports list them all)."""
KEY_INCIDENTS = 12
"""Open critical/high findings named in the summary and marked on the timeline."""
MAX_LINEAGE_ROWS = 12
"""Lineage links shown per direction (a bucket's downstream can hold the whole estate)."""


def when(value: datetime | None, *, seconds: bool = False) -> str:
    """A time as people read it in a report: UTC, to the minute (or second)."""
    if value is None:
        return "—"
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return f"{value.astimezone(UTC):{fmt}} UTC"


def day(value: datetime | None) -> str:
    return "—" if value is None else f"{value.astimezone(UTC):%Y-%m-%d}"


def status(value: str) -> str:
    return STATUS_LABEL.get(value, value)


def severity(value: str) -> str:
    return SEVERITY_LABEL.get(value, value)


def relation(value: str) -> str:
    return RELATION_LABEL.get(value, value.replace("_", " "))


def run(value: AnalysisRun | None) -> str:
    if value is None:
        return "no analysis run yet"
    until = f", data until {when(value.data_until)}" if value.data_until else ""
    return f"analysis run {value.run_id} of {when(value.started_at)}{until}"


def scope(data: ReportData) -> str:
    """The filter in one sentence."""
    s = data.stamp.scope
    parts = []
    if "min_severity" in s:
        parts.append(f"severity {s['min_severity']} and above")
    if s.get("statuses"):
        parts.append("triage status " + ", ".join(status(v) for v in s["statuses"]))
    if s.get("categories"):
        parts.append("category " + ", ".join(s["categories"]))
    if s.get("analyzers"):
        parts.append("analyzer " + ", ".join(s["analyzers"]))
    if s.get("since"):
        parts.append(f"last seen since {s['since']}")
    if s.get("fingerprints"):
        parts.append(f"{len(s['fingerprints'])} chosen findings")
    parts.append("including findings that no longer fire" if s.get("include_inactive") else "active findings")
    if not s.get("include_suppressed", True):
        parts.append("without suppressed findings")
    return "; ".join(parts)


def value(v: Any) -> str:
    """A parameter value as compact JSON (lists and strings as in the config file)."""
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)


def parameters(params: Mapping[str, Any], changed: list[str], defaults: Mapping[str, Any]) -> list[str]:
    """``name = value`` per parameter, non-defaults marked with the default they replace."""
    out = []
    for name in sorted(params):
        text = f"{name} = {value(params[name])}"
        if name in changed:
            text += f" (default {value(defaults[name])})"
        out.append(text)
    return out


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def framework_parts(tag: str) -> tuple[str, str]:
    """``ATLAS:AML.T0024.002`` -> (``ATLAS``, ``AML.T0024.002``)."""
    fw, _, control = tag.partition(":")
    return fw, control


def control_title(data: ReportData, tag: str) -> str:
    fw, control = framework_parts(tag)
    info = data.frameworks.get(fw)
    return info.controls.get(control, "") if info else ""


def common_folder(paths: Sequence[str]) -> str:
    """The deepest folder holding every (absolute) path, or ``""``: long shared prefixes are said once."""
    if not paths or not all(p.startswith("/") for p in paths):
        return ""
    base = os.path.commonpath([str(PurePosixPath(p).parent) for p in paths])
    return "" if base == "/" else base


def relative(path: str, base: str) -> str:
    return path[len(base) + 1 :] if base and path.startswith(base + "/") else path


def asset_facts(a: AssetInfo) -> list[tuple[str, str]]:
    """The inventory facts a report prints beside an asset's name, those that are set, in order."""
    facts = [
        ("kind", a.kind),
        ("version", a.version),
        ("environment", a.environment),
        ("classification", a.classification),
        ("owner", a.owner),
        ("uri", a.uri),
        ("source", a.source),
    ]
    return [(k, v) for k, v in facts if v]


def lineage_rows(
    upstream: Sequence[LineageLink], downstream: Sequence[LineageLink]
) -> tuple[list[tuple[str, LineageLink]], int]:
    """(direction, link) pairs to show, nearest first, and how many were left out."""
    shown = [("upstream", x) for x in upstream[:MAX_LINEAGE_ROWS]]
    shown += [("downstream", x) for x in downstream[:MAX_LINEAGE_ROWS]]
    return shown, len(upstream) + len(downstream) - len(shown)
