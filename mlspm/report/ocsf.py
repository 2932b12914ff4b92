"""OCSF 1.3.0 Detection Finding (class 2004) events as JSON lines, one per finding, for SIEMs and data lakes.

Mapping notes: ``time`` is when mlspm first detected the finding and ``start_time``/``end_time`` span its
evidence; the triage state becomes ``status_id`` (and a configuration suppression counts as Suppressed);
ATLAS tags become ``finding_info.attacks`` (OCSF's attack object with ATLAS technique ids); the
principal and addresses of the evidence go in ``evidences`` (Detection Finding has no top-level actor);
what OCSF has no place for (triage assignee, other framework tags) goes in ``unmapped``.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from mlspm.report.model import FrameworkInfo, ReportData, ReportFinding
from mlspm.report.stamp import epoch_ms, iso

OCSF_VERSION = "1.3.0"
CLASS_UID = 2004
CLASS_NAME = "Detection Finding"
CATEGORY_UID = 2
CATEGORY_NAME = "Findings"
ACTIVITY_CREATE = 1
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAME = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
STATUS_NAME = {1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved"}
_STATUS_ID = {
    "open": 1,
    "investigating": 2,
    "confirmed": 2,
    "false_positive": 3,
    "risk_accepted": 3,
    "resolved": 4,
}


def type_uid(class_uid: int, activity_id: int) -> int:
    """OCSF's rule: type_uid = class_uid * 100 + activity_id."""
    return class_uid * 100 + activity_id


def status_id(rf: ReportFinding) -> int:
    if rf.finding.suppressed_by and rf.finding.status in ("open", "investigating", "confirmed"):
        return 3
    return _STATUS_ID.get(rf.finding.status, 1)


def to_ocsf(data: ReportData) -> str:
    return "".join(json.dumps(event(data, rf), sort_keys=False) + "\n" for rf in data.findings)


def event(data: ReportData, rf: ReportFinding) -> dict[str, Any]:
    f = rf.finding
    sev = SEVERITY_ID.get(f.severity, 0)
    status = status_id(rf)
    detected = f.first_detected_at or data.stamp.generated_at
    analytic: dict[str, Any] = {"uid": f.analyzer_id, "name": rf.rule.title if rf.rule else f.title}
    analytic |= {"type_id": 1, "type": "Rule"}
    if rf.rule:
        analytic["version"] = str(rf.rule.version)
    info: dict[str, Any] = {
        "uid": f.fingerprint,
        "title": f.title,
        "desc": f.summary,
        "types": [f.category],
        "analytic": analytic,
        "created_time": epoch_ms(f.first_detected_at),
        "modified_time": epoch_ms(f.last_detected_at),
        "first_seen_time": epoch_ms(f.first_seen),
        "last_seen_time": epoch_ms(f.last_seen),
        "product_uid": "mlspm",
    }
    attacks = _attacks(f.frameworks, data.frameworks.get("ATLAS"))
    if attacks:
        info["attacks"] = attacks
    out: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": type_uid(CLASS_UID, ACTIVITY_CREATE),
        "type_name": f"{CLASS_NAME}: Create",
        "time": epoch_ms(detected),
        "start_time": epoch_ms(f.first_seen),
        "end_time": epoch_ms(f.last_seen),
        "severity_id": sev,
        "severity": SEVERITY_NAME.get(sev, "Unknown"),
        "status_id": status,
        "status": STATUS_NAME[status],
        "message": f.summary,
        "finding_info": info,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "mlspm", "vendor_name": "mlspm", "version": data.stamp.mlspm_version},
            "uid": f.fingerprint,
            "processed_time": epoch_ms(data.stamp.generated_at),
        },
        "is_alert": rf.is_open,
    }
    if f.status != "open" and f.note:
        out["comment"] = f.note
    if rf.rule and rf.rule.remediation:
        out["remediation"] = {"desc": rf.rule.remediation, "references": list(rf.rule.references)}
    resources = _resources(rf)
    if resources:
        out["resources"] = resources
    evidences = _evidences(rf)
    if evidences:
        out["evidences"] = evidences
    out["unmapped"] = _unmapped(data, rf)
    return {k: v for k, v in out.items() if v is not None}


def _attacks(tags: list[str], atlas: FrameworkInfo | None) -> list[dict[str, Any]]:
    titles = dict(atlas.controls) if atlas else {}
    out: list[dict[str, Any]] = []
    for tag in tags:
        fw, _, control = tag.partition(":")
        if fw != "ATLAS" or not control.startswith("AML.T") or control.startswith("AML.TA"):
            continue  # other frameworks, and ATLAS tactics (AML.TA...), are not techniques
        parent, _, sub = control.partition(".")[2].partition(".")
        technique_id = f"AML.{parent}"
        attack: dict[str, Any] = {"technique": _named(technique_id, titles.get(technique_id))}
        if sub:
            attack["sub_technique"] = _named(control, titles.get(control))
        if atlas and atlas.version:
            attack["version"] = atlas.version
        out.append(attack)
    return out


def _named(uid: str, name: str | None) -> dict[str, Any]:
    return {"uid": uid, "name": name} if name else {"uid": uid}


def _resources(rf: ReportFinding) -> list[dict[str, Any]]:
    f = rf.finding
    out: list[dict[str, Any]] = []
    if f.asset_id:
        res: dict[str, Any] = {"uid": f.asset_id, "type": rf.asset.kind if rf.asset else "asset"}
        if rf.asset:
            res["name"] = rf.asset.name
            labels = [x for x in (rf.asset.environment, rf.asset.classification) if x]
            if labels:
                res["labels"] = labels
            if rf.asset.owner:
                res["owner"] = {"name": rf.asset.owner}
        out.append(res)
    if f.resource and f.resource != f.asset_id:
        out.append({"uid": f.resource, "type": "file" if rf.scans else "resource"})
    return out


def _evidences(rf: ReportFinding) -> list[dict[str, Any]]:
    """Who and from where: the finding's principal and the addresses its first evidence events came from."""
    f = rf.finding
    ips = sorted({e.source_ip for e in rf.events if e.source_ip})
    out: list[dict[str, Any]] = []
    rest = ips
    if f.principal:
        ev: dict[str, Any] = {"actor": {"user": {"name": f.principal, "uid": f.principal}}}
        if ips:
            ev["src_endpoint"] = _endpoint(ips[0])
            rest = ips[1:]
        out.append(ev)
    out.extend({"src_endpoint": _endpoint(ip)} for ip in rest)
    for scan in rf.scans[:1]:
        out.append({"file": {"name": scan.target.rsplit("/", 1)[-1], "path": scan.target, "type_id": 1}})
    return out


def _endpoint(value: str) -> dict[str, str]:
    """An address as OCSF's ``ip`` when it is one; a source's placeholder ("AWS Internal") as a name."""
    try:
        return {"ip": str(ipaddress.ip_address(value))}
    except ValueError:
        return {"name": value}


def _unmapped(data: ReportData, rf: ReportFinding) -> dict[str, Any]:
    f = rf.finding
    triage = {
        "status": f.status,
        "assignee": f.assignee,
        "note": f.note,
        "expires_at": iso(f.expires_at),
        "triaged_at": iso(f.triaged_at),
        "triaged_by": f.triaged_by,
    }
    return {
        "mlspm": {
            "severity": f.severity,
            "active": f.active,
            "evidence_count": f.evidence_count,
            "frameworks": list(f.frameworks),
            "suppressed_by": f.suppressed_by,
            "triage": {k: v for k, v in triage.items() if v is not None},
            "database": data.stamp.database,
            "inputs_digest": data.stamp.inputs_digest,
            "report_generated_at": iso(data.stamp.generated_at),
        }
    }
