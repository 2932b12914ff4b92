"""Vulnerable dependencies of ML services: Trivy JSON (SchemaVersion 2) and pip-audit JSON reports.

Both land in ``scan_results`` as kind ``vulnerability`` (never ``issue``: a CVE in a library is not an
unsafe operator in a model file) with ``rule_id`` = the advisory id (CVE/GHSA/PYSEC…),
``module_operator`` = ``package==installed version``, the fix in the message and the raw record kept
(FORMATS.md §10.6). Packages without a known vulnerability are the audited inventory, not results:
they are not rows; one ``audited`` row per Trivy result (lockfile or OS layer) and per pip-audit report
records that the audit happened, so a later report that finds nothing still supersedes older ones.

**Trivy** (``trivy image|fs|repo --format json``): ``target`` = ``ArtifactName`` — the image reference,
repository or directory Trivy was pointed at — and ``member`` = ``Results[].Target`` (the lockfile or
OS layer inside it). An inventory asset whose uri or locator is that image or path (case-insensitive;
a ``scheme://…/`` prefix locator covers what is under it) links the findings, as for model files.
``scanned_at`` = ``CreatedAt``; ``scanner_version`` = ``Trivy.Version``. Severity: CRITICAL, HIGH,
MEDIUM, LOW → the same; UNKNOWN (not rated yet) and anything else → medium. Misconfigurations, secrets
and licence findings are rejects with that reason (mlspm reads the vulnerabilities).

**pip-audit** (``pip-audit -f json``): the legacy top-level array (README) and the current
``{"dependencies": [...], "fixes": [...]}``. A dependency pip-audit could not audit (``skip_reason``)
is a ``skipped`` row. The report names neither the environment nor the requirements file it audited,
so rows are stored under this report's absolute path (the load says so). pip-audit gives no severity:
severity = medium (a known, unrated vulnerability), ``severity_raw`` empty. A ``fixes`` entry for the
package (``pip-audit --fix``) is added to the message.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mlspm.enums import ScanResultKind, Severity
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.formats.modelscan_report import ScanRecord, write_records
from mlspm.ingest.scans import as_dict, as_list, dump, iso_time, read_json, text
from mlspm.ingest.source import Sample

TRIVY = "trivy"
PIP_AUDIT = "pip-audit"
TRIVY_SEVERITY = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
UNRATED = Severity.MEDIUM
_OTHER_FINDINGS = {
    "Misconfigurations": "misconfiguration",
    "Secrets": "secret",
    "Licenses": "licence",
}


class TrivyReport:
    """Trivy ``--format json`` report (SchemaVersion 2): vulnerabilities of an image, repo or directory."""

    name: ClassVar[str] = "trivy"
    title: ClassVar[str] = "Trivy JSON report"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        if not sample.stripped.startswith("{"):
            return NO
        doc = sample.document
        if doc is not None:
            if not is_trivy(doc):
                return NO
            return CERTAIN if doc.get("SchemaVersion") == 2 else LIKELY
        head = sample.text[:65536]
        if '"SchemaVersion"' in head and ('"ArtifactName"' in head or '"Results"' in head):
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        doc = read_json(ctx)
        if not is_trivy(doc):
            raise ValueError("not a Trivy JSON report (expected SchemaVersion with ArtifactName or Results)")
        if doc.get("SchemaVersion") != 2:
            ctx.warn(f"Trivy SchemaVersion {doc.get('SchemaVersion')!r} read as version 2")
        artifact = text(doc.get("ArtifactName"))
        scanned_at = iso_time(doc.get("CreatedAt"))
        version = text(as_dict(doc.get("Trivy")).get("Version"))
        records: list[ScanRecord] = []
        for ri, result in enumerate(as_list(doc.get("Results"))):
            if not isinstance(result, dict):
                records.append(
                    ScanRecord(
                        ScanResultKind.VULNERABILITY,
                        "",
                        None,
                        dump(result),
                        reject=f"Results[{ri}] is not an object",
                    )
                )
                continue
            inner = text(result.get("Target"))
            target, member = (artifact, inner) if artifact else (inner or "", None)
            found = as_list(result.get("Vulnerabilities"))
            for vi, vuln in enumerate(found):
                records.append(_trivy_row(f"Results[{ri}].Vulnerabilities[{vi}]", vuln, target, member))
            if target:
                # This lockfile or layer was audited, even with nothing found: a later report on the same
                # artifact then says its earlier vulnerabilities are gone.
                records.append(
                    ScanRecord(
                        ScanResultKind.AUDITED,
                        target,
                        member,
                        dump({k: result.get(k) for k in ("Target", "Class", "Type") if k in result}),
                        message=f"{inner or target} audited: {len(found)} known vulnerabilities",
                    )
                )
            for key, label in _OTHER_FINDINGS.items():
                for i, item in enumerate(as_list(result.get(key))):
                    records.append(
                        ScanRecord(
                            ScanResultKind.ISSUE,
                            "",
                            None,
                            dump(item),
                            reject=f"Results[{ri}].{key}[{i}]: a Trivy {label} finding (mlspm reads "
                            "vulnerabilities only)",
                        )
                    )
        for record in records:
            record.scanned_at = scanned_at
            record.scanner_version = version
        write_records(ctx, records, scanner=TRIVY)


def is_trivy(doc: Any) -> bool:
    return isinstance(doc, dict) and "SchemaVersion" in doc and ("Results" in doc or "ArtifactName" in doc)


def _trivy_row(where: str, vuln: Any, target: str, member: str | None) -> ScanRecord:
    raw = dump(vuln)
    if not isinstance(vuln, dict) or not text(vuln.get("VulnerabilityID")):
        return ScanRecord(
            ScanResultKind.VULNERABILITY, "", None, raw, reject=f"{where} has no VulnerabilityID"
        )
    if not target:
        return ScanRecord(
            ScanResultKind.VULNERABILITY,
            "",
            None,
            raw,
            reject=f"{where}: the report names no artifact or target it is about",
        )
    package = text(vuln.get("PkgName"))
    installed = text(vuln.get("InstalledVersion"))
    fixed = text(vuln.get("FixedVersion"))
    severity_raw = text(vuln.get("Severity"))
    severity = TRIVY_SEVERITY.get((severity_raw or "").strip().upper(), UNRATED)
    title = text(vuln.get("Title")) or text(vuln.get("Description"))
    # The advisory id leads: views that show a row's message but not its rule still name the CVE.
    message = f"{vuln['VulnerabilityID']} in {package or 'a package'} {installed or ''}".rstrip()
    message += f": {title or 'known vulnerability'}"
    message += f" (fixed in {fixed})" if fixed else " (no fixed version yet)"
    return ScanRecord(
        ScanResultKind.VULNERABILITY,
        target,
        member,
        raw,
        rule_id=text(vuln.get("VulnerabilityID")),
        severity_raw=severity_raw,
        severity=severity.value,
        message=message,
        module_operator=_pin(package, installed),
    )


class PipAuditReport:
    """pip-audit ``-f json`` report: legacy top-level array or ``{"dependencies", "fixes"}``."""

    name: ClassVar[str] = "pip_audit"
    title: ClassVar[str] = "pip-audit JSON report"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        if not sample.stripped.startswith(("[", "{")):
            return NO
        doc = sample.document
        if doc is not None:
            return CERTAIN if _dependencies(doc) is not None else NO
        head = sample.text[:65536]
        if '"vulns"' in head and '"name"' in head and ('"fix_versions"' in head or '"version"' in head):
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        doc = read_json(ctx)
        dependencies = _dependencies(doc)
        if dependencies is None:
            raise ValueError(
                'not a pip-audit JSON report (expected a list of {"name", "version", "vulns"} or an '
                'object with "dependencies")'
            )
        fixes = _fixes(doc)
        target = str(ctx.path.resolve())
        records: list[ScanRecord] = []
        for di, dependency in enumerate(dependencies):
            records.extend(_pip_rows(f"dependencies[{di}]", dependency, target, fixes))
        # The audit itself, even when it found nothing: the report's latest version is the current state.
        records.append(
            ScanRecord(
                ScanResultKind.AUDITED,
                target,
                None,
                dump({"dependencies": len(dependencies)}),
                message=f"{len(dependencies)} dependencies audited",
            )
        )
        ctx.warn(
            "pip-audit reports do not name the environment or requirements file they audited: "
            "results are stored under this report's path"
        )
        write_records(ctx, records, scanner=PIP_AUDIT)


def _dependencies(doc: Any) -> list[Any] | None:
    """The dependency list of a pip-audit report, or None when ``doc`` is not one."""
    if isinstance(doc, dict):
        found = doc.get("dependencies")
        if not isinstance(found, list):
            return None
        if not found:
            return found if "fixes" in doc else None  # an audit that found no dependency at all
    elif isinstance(doc, list) and doc:
        found = doc
    else:
        return None
    # Every entry has pip-audit's verdict (vulns or skip_reason); a nameless one is a reject when loaded.
    head = found[:20]
    if all(_is_dependency(d) for d in head) and any("name" in d for d in head):
        return found
    return None


def _is_dependency(value: Any) -> bool:
    return isinstance(value, dict) and ("vulns" in value or "skip_reason" in value)


def _fixes(doc: Any) -> dict[str, str]:
    """What ``pip-audit --fix`` did per package name: upgraded (old → new) or why it did not."""
    found: dict[str, str] = {}
    for fix in as_list(as_dict(doc).get("fixes")):
        fix = as_dict(fix)
        name = text(fix.get("name"))
        if not name:
            continue
        if text(fix.get("skip_reason")):
            found[name.lower()] = f"pip-audit --fix skipped it: {fix['skip_reason']}"
        elif text(fix.get("new_version")):
            found[name.lower()] = f"pip-audit --fix upgraded it to {fix['new_version']}"
    return found


def _pip_rows(where: str, dependency: Any, target: str, fixes: dict[str, str]) -> list[ScanRecord]:
    raw = dump(dependency)
    name = text(dependency.get("name")) if isinstance(dependency, dict) else None
    if not isinstance(dependency, dict) or name is None:
        return [ScanRecord(ScanResultKind.VULNERABILITY, "", None, raw, reject=f"{where} has no name")]
    version = text(dependency.get("version"))
    pin = _pin(name, version)
    skip = text(dependency.get("skip_reason"))
    if skip:
        return [
            ScanRecord(
                ScanResultKind.SKIPPED,
                target,
                None,
                raw,
                rule_id=f"{PIP_AUDIT}:skipped",
                message=f"{pin}: {skip}",
                module_operator=pin,
            )
        ]
    rows: list[ScanRecord] = []
    fix = fixes.get(name.lower())
    for vi, vuln in enumerate(as_list(dependency.get("vulns"))):
        vraw = dump(vuln)
        ident = text(vuln.get("id")) if isinstance(vuln, dict) else None
        if not isinstance(vuln, dict) or ident is None:
            rows.append(
                ScanRecord(
                    ScanResultKind.VULNERABILITY, "", None, vraw, reject=f"{where}.vulns[{vi}] has no id"
                )
            )
            continue
        aliases = [a for a in (text(x) for x in as_list(vuln.get("aliases"))) if a]
        fixed = [f for f in (text(x) for x in as_list(vuln.get("fix_versions"))) if f]
        parts = [f"{pin}: {ident}" + (f" ({', '.join(aliases)})" if aliases else "")]
        parts.append(f"fixed in {', '.join(fixed)}" if fixed else "no fixed version")
        if fix:
            parts.append(fix)
        description = text(vuln.get("description"))
        if description:
            parts.append(description)
        rows.append(
            ScanRecord(
                ScanResultKind.VULNERABILITY,
                target,
                None,
                # The row keeps its package beside the advisory: the vulnerability alone does not say.
                dump({"name": name, "version": version, "vuln": vuln}),
                rule_id=ident,
                severity=UNRATED.value,
                message="; ".join(parts),
                module_operator=pin,
            )
        )
    return rows


def _pin(package: str | None, version: str | None) -> str | None:
    if package and version:
        return f"{package}=={version}"
    return package
