"""``make eval``: how well the analyzers find the planted incidents of the demo estate, and false alarms.

An incident counts as found when an active finding of the same family (category) is about the same
principal or asset (the incident's asset or one of its related assets) — and, when both have times,
its evidence overlaps the incident's window (a day of slack) — at severity medium or above. A
high/critical finding of a usage (model theft) or poisoning analyzer that matches no incident is a
false alarm. Matching uses the labels only; the analyzers never see them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mlspm.findings import Finding, FindingFilter, query
from mlspm.store import Store

_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_SLACK = timedelta(hours=24)
FALSE_ALARM_FAMILIES = ("usage_", "poisoning_")


@dataclass
class Outcome:
    label: dict[str, Any]
    best: Finding | None

    @property
    def found(self) -> bool:
        return self.best is not None and _RANK[self.best.severity] >= _RANK["medium"]

    @property
    def meets_expected(self) -> bool:
        expected = self.label.get("expected_min_severity", "medium")
        return self.best is not None and _RANK[self.best.severity] >= _RANK[expected]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC) if value else None


def matches(label: dict[str, Any], f: Finding) -> bool:
    if f.category != label["family"]:
        return False
    assets = {a for a in [label.get("asset_id"), *label.get("related_assets", [])] if a}
    who = label.get("principal")
    same_principal = bool(who) and f.principal == who
    same_asset = bool(f.asset_id) and f.asset_id in assets
    same_resource = bool(label.get("resource")) and f.resource == label.get("resource")
    if not (same_principal or same_asset or same_resource):
        return False
    start, end = _time(label.get("start")), _time(label.get("end"))
    if start and f.first_seen and f.last_seen and label["family"] not in ("supply_chain", "compliance"):
        return f.first_seen <= (end or start) + _SLACK and f.last_seen >= start - _SLACK
    return True


def evaluate(
    findings: list[Finding], labels: dict[str, Any]
) -> tuple[list[Outcome], list[Outcome], list[Finding]]:
    def best(label: dict[str, Any]) -> Outcome:
        hits = [f for f in findings if matches(label, f)]
        hits.sort(key=lambda f: _RANK[f.severity], reverse=True)
        return Outcome(label, hits[0] if hits else None)

    incidents = [best(i) for i in labels["incidents"]]
    posture = [best(p) for p in labels.get("posture", [])]
    every = labels["incidents"] + labels.get("posture", [])
    false_alarms = [
        f
        for f in findings
        if f.analyzer_id.startswith(FALSE_ALARM_FAMILIES)
        and _RANK[f.severity] >= _RANK["high"]
        and not any(matches(label, f) for label in every)
    ]
    return incidents, posture, false_alarms


def report(incidents: list[Outcome], posture: list[Outcome], false_alarms: list[Finding]) -> str:
    lines = ["planted incidents (found = a matching finding at severity ≥ medium):"]
    for o in incidents:
        label = o.label
        got = f"{o.best.severity:8s} {o.best.analyzer_id}" if o.best else "—"
        mark = "found " if o.found else "MISSED"
        lines.append(
            f"  {mark} {label['id']:7s} {label['family']:15s} {label['kind']:32s} {got}"
            + ("" if o.meets_expected or not o.found else f"  (expected {label['expected_min_severity']})")
        )
    families = sorted({o.label["family"] for o in incidents})
    lines.append("recall per family:")
    for fam in families:
        rows = [o for o in incidents if o.label["family"] == fam]
        lines.append(f"  {fam:15s} {sum(o.found for o in rows)}/{len(rows)}")
    total = sum(o.found for o in incidents)
    lines.append(f"  {'all':15s} {total}/{len(incidents)}")
    if posture:
        lines.append("posture gaps (expected at low or above):")
        for o in posture:
            got = f"{o.best.severity:8s} {o.best.analyzer_id}" if o.best else "—"
            lines.append(
                f"  {'found ' if o.best else 'MISSED'} {o.label['id']:7s} {o.label['kind']:32s} {got}"
            )
    lines.append(
        f"high/critical false alarms from usage and poisoning analyzers: {len(false_alarms)} (goal ≤ 2)"
    )
    for f in false_alarms:
        lines.append(f"  {f.severity:8s} {f.analyzer_id}: {f.summary[:150]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_data.evaluate", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("build/demo/mlspm.duckdb"))
    parser.add_argument("--labels", type=Path, default=Path("build/demo/estate/labels.json"))
    args = parser.parse_args(argv)
    labels = json.loads(args.labels.read_text())
    with Store(args.db, create=False) as store, store.cursor() as cur:
        findings = query(cur, FindingFilter(include_inactive=False))
    incidents, posture, false_alarms = evaluate(findings, labels)
    print(report(incidents, posture, false_alarms))
    ok = all(o.found for o in incidents) and len(false_alarms) <= 2
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
