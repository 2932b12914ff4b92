"""SARIF 2.1.0: one run, one rule per analyzer, one result per finding (triage decisions as suppressions).

Levels and ``security-severity`` follow what code-scanning platforms read (GitHub ranks results by the
rule's ``security-severity``); the finding's fingerprint is the result's partial fingerprint, so a
platform matches a finding across reports exactly as mlspm does across analysis runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from mlspm.report import wording as w
from mlspm.report.markdown import md
from mlspm.report.model import ReportData, ReportFinding, RuleInfo
from mlspm.report.stamp import iso, stamp_json

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "mlspmFingerprint/v1"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Characters a URI may carry as they are: RFC 3986 reserved and unreserved ones and existing escapes,
# less the brackets (only an IPv6 host may hold them).
_URI_SAFE = ":/?#@!$&'()*+,;=%~-._"


def to_sarif(data: ReportData) -> str:
    return json.dumps(build(data), indent=1) + "\n"


def build(data: ReportData) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    rule_ids = sorted(set(data.rules) | {rf.finding.analyzer_id for rf in data.findings})
    index = {rid: i for i, rid in enumerate(rule_ids)}
    stamp = stamp_json(data)
    inputs = stamp.pop("inputs")
    driver: dict[str, Any] = {
        "name": "mlspm",
        "fullName": "mlspm — ML security posture management",
        "version": data.stamp.mlspm_version,
        "semanticVersion": data.stamp.mlspm_version,
        "rules": [_rule(rid, data.rules.get(rid)) for rid in rule_ids],
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": True, "endTimeUtc": iso(data.stamp.generated_at)}],
        "artifacts": _artifacts(inputs),
        "results": [_result(data, rf, index[rf.finding.analyzer_id]) for rf in data.findings],
        "properties": {"mlspmReport": stamp},
    }
    if not run["artifacts"]:
        del run["artifacts"]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule(rule_id: str, rule: RuleInfo | None) -> dict[str, Any]:
    if rule is None:
        # A finding from an analyzer this mlspm no longer ships: the rule is named, nothing more is known.
        return {"id": rule_id, "name": _pascal(rule_id), "shortDescription": {"text": rule_id}}
    tags = _unique(["security", rule.category, *rule.frameworks])
    help_text = f"{rule.risk}\n\nRemediation: {rule.remediation}"
    help_md = f"{md(rule.risk)}\n\n**Remediation:** {md(rule.remediation)}"
    if rule.references:
        help_text += "\n\nReferences:\n" + "\n".join(f"- {r}" for r in rule.references)
        help_md += "\n\n**References:**\n\n" + "\n".join(f"- {md(r)}" for r in rule.references)
    if rule.frameworks:
        help_md += "\n\n**Frameworks:** " + ", ".join(md(t) for t in rule.frameworks)
    out: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL.get(rule.severity, "warning")},
        "properties": {
            "category": rule.category,
            "tags": tags,
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.5"),
            "mlspmAnalyzerVersion": rule.version,
            "parameters": dict(rule.parameters),
        },
    }
    web = [r for r in rule.references if r.startswith("https://")]
    if web:
        out["helpUri"] = web[0]
    return out


def _result(data: ReportData, rf: ReportFinding, rule_index: int) -> dict[str, Any]:
    f = rf.finding
    result: dict[str, Any] = {
        "ruleId": f.analyzer_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL.get(f.severity, "warning"),
        "message": {"text": f.summary},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    locations = _locations(rf)
    if locations:
        result["locations"] = locations
    suppressions = _suppressions(rf)
    if suppressions:
        result["suppressions"] = suppressions
    provenance = {
        "firstDetectionTimeUtc": iso(f.first_detected_at),
        "lastDetectionTimeUtc": iso(f.last_detected_at),
    }
    provenance = {k: v for k, v in provenance.items() if v is not None}
    if provenance:
        result["provenance"] = provenance
    if data.changes.previous is not None:
        result["baselineState"] = "absent" if not f.active else "new" if rf.new_in_latest_run else "unchanged"
    props: dict[str, Any] = {
        "severity": f.severity,
        "security-severity": SECURITY_SEVERITY.get(f.severity, "5.5"),
        "category": f.category,
        "triageStatus": f.status,
        "active": f.active,
        "evidenceCount": f.evidence_count,
        "firstSeen": iso(f.first_seen),
        "lastSeen": iso(f.last_seen),
    }
    optional = {
        "principal": f.principal,
        "assetId": f.asset_id,
        "resource": f.resource,
        "assignee": f.assignee,
        "triagedBy": f.triaged_by,
        "triagedAt": iso(f.triaged_at),
        "triageNote": f.note,
        "expiresAt": iso(f.expires_at),
        "suppressedBy": f.suppressed_by,
    }
    props.update({k: v for k, v in optional.items() if v is not None})
    if f.frameworks:
        props["tags"] = _unique(list(f.frameworks))
    result["properties"] = props
    return result


def _locations(rf: ReportFinding) -> list[dict[str, Any]]:
    """Where the finding is: the model file a scanner flagged, else the resource (URI or ARN), else the asset."""
    f = rf.finding
    uri: str | None = None
    if rf.scans:
        uri = _file_uri(rf.scans[0].target)
    elif f.resource and (_SCHEME.match(f.resource) or f.resource.startswith("/")):
        uri = _file_uri(f.resource) if f.resource.startswith("/") else _uri(f.resource)
    logical: list[dict[str, Any]] = []
    if f.resource and not (_SCHEME.match(f.resource) or f.resource.startswith("/")):
        # ARNs and other identifiers are names, not places a SARIF viewer could open
        logical.append({"fullyQualifiedName": f.resource, "kind": "resource"})
    if f.asset_id and f.asset_id != f.resource:
        name = rf.asset.name if rf.asset else f.asset_id
        logical.append({"name": name, "fullyQualifiedName": f.asset_id, "kind": "resource"})
    if uri is None and not logical:
        return []
    location: dict[str, Any] = {}
    if uri is not None:
        location["physicalLocation"] = {"artifactLocation": {"uri": uri}}
    if logical:
        location["logicalLocations"] = logical
    return [location]


def _suppressions(rf: ReportFinding) -> list[dict[str, Any]]:
    f = rf.finding
    out: list[dict[str, Any]] = []
    decided = {"triagedBy": f.triaged_by, "triagedAt": iso(f.triaged_at)}
    decided = {k: v for k, v in decided.items() if v is not None}
    if f.status == "false_positive":
        out.append(
            {
                "kind": "external",
                "status": "accepted",
                "justification": f.note or "triaged as a false positive",
                "properties": {"triageStatus": f.status, **decided},
            }
        )
    elif f.status == "risk_accepted":
        until = f"risk accepted until {w.day(f.expires_at)}"
        out.append(
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{until}: {f.note}" if f.note else until,
                "properties": {"triageStatus": f.status, "expiresAt": iso(f.expires_at), **decided},
            }
        )
    if f.suppressed_by:
        out.append(
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"suppressed by configuration: {f.suppressed_by}",
                "properties": {"suppressedBy": f.suppressed_by},
            }
        )
    return out


def _artifacts(inputs: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct input file with its sha256: the SARIF way of saying what was analyzed."""
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for i in inputs:
        if not i["sha256"] or (i["path"], i["sha256"]) in seen:
            continue
        seen.add((i["path"], i["sha256"]))
        artifact: dict[str, Any] = {
            "location": {"uri": _file_uri(i["path"])},
            "hashes": {"sha-256": i["sha256"]},
            "roles": ["analysisTarget"],
            "properties": {"format": i["format"], "status": i["status"], "rowsLoaded": i["rows_loaded"]},
        }
        if i["size_bytes"] is not None:
            artifact["length"] = i["size_bytes"]
        out.append(artifact)
    return out


def _file_uri(path: str) -> str:
    p = PurePosixPath(path)
    if p.is_absolute():
        return "file://" + quote(str(p), safe="/")
    return quote(path, safe="/")


def _uri(value: str) -> str:
    return quote(value, safe=_URI_SAFE)


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("_"))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
