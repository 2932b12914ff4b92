"""SARIF 2.1.0 logs from any scanner (ModelAudit ``--format sarif``, Trivy, others) into scan_results.

Each run's ``tool.driver.name`` is the scanner (lower-cased: ``ModelAudit`` → ``modelaudit``, the same
name its JSON report gets, so both shapes of one tool never count as two opinions); its
``semanticVersion`` or ``version`` the scanner version; the first invocation's start (else end) time
the scan time. Rows, in file order (FORMATS.md §10.5; ``source_pos`` = the row's number):

============= ==========================================================================================
kind          from
============= ==========================================================================================
issue         each result (``kind`` fail/open/review/informational or absent); rule
              ``<scanner>:<ruleId>``; ``module_operator`` from the result's properties (ModelAudit puts
              its issue details there: ``import_reference``, ``module``/``function``)
vulnerability a result about a known vulnerability — ruleId a CVE/GHSA/PYSEC/OSV… id or the rule tagged
              ``vulnerability`` (Trivy): rule = the bare id, ``module_operator`` = ``package==version``
              when the message says (Trivy's ``Package:`` / ``Installed Version:`` lines)
scanned       a result of kind ``pass``; each ``artifacts[]`` entry of a run that reports no
              vulnerabilities (a dependency scanner's lockfiles and images are not model files)
skipped       a result of kind ``notApplicable``
error         ``invocations[].toolExecutionNotifications`` at level error or warning
============= ==========================================================================================

mlspm's own SARIF report (driver ``mlspm``) is refused: its findings are already in the database.

The file of a result is its first location's ``artifactLocation.uri`` (or the ``artifacts[index]`` it
points to), resolved against ``originalUriBaseIds`` when the run defines the base; ``file://`` URIs
become paths and ``%xx`` escapes are decoded. The text is stored, never opened. A result without a
location is a reject. ``artifacts[].hashes["sha-256"]`` gives the file's sha256. Rule metadata is looked
up by id (``ruleIndex`` is not trusted: ModelAudit writes the result's own index there).

Severity: ``properties["security-severity"]`` of the result or its rule when present (GitHub's CVSS
bands: ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium, > 0 low, 0 info); else the level — the result's, else
the rule's ``defaultConfiguration.level``, else ``warning``: error → high, warning → medium, note → low,
none → info. ModelAudit writes its own four levels as error/warning/note/none, so for it error →
critical and note → info, exactly as its JSON report maps.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import unquote, urljoin, urlparse

from mlspm.enums import ScanResultKind, Severity
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.formats.modelaudit import operator_from
from mlspm.ingest.formats.modelscan_report import ScanRecord, write_records
from mlspm.ingest.scans import (
    as_dict,
    as_list,
    dump,
    iso_time,
    read_json,
    scanner_name,
    sha256_of,
    split_member,
    text,
)
from mlspm.ingest.source import Sample

VERSION = "2.1.0"
SELF = "mlspm"
_SELF_REASON = "its findings come from mlspm's analyzers, not from a scanner (loading it would echo them)"
LEVELS = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.INFO,
}
# ModelAudit's sarif_formatter writes critical/warning/info/debug as error/warning/note/none.
LEVELS_BY_SCANNER = {
    "modelaudit": {**LEVELS, "error": Severity.CRITICAL, "note": Severity.INFO},
}
DEFAULT_LEVEL = "warning"

_VULNERABILITY_ID = re.compile(
    r"^(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+|OSV-\d{4}-\d+|RUSTSEC-\d{4}-\d+"
    r"|GO-\d{4}-\d+|GMS-\d{4}-\d+|MAL-\d{4}-\d+)$",
    re.IGNORECASE,
)
_PACKAGE = re.compile(r"^\s*Package:\s*(?P<name>\S+)\s*$", re.MULTILINE)
_INSTALLED = re.compile(r"^\s*Installed Version:\s*(?P<version>\S+)\s*$", re.MULTILINE)
_SCHEMA_HEAD = re.compile(r'"version"\s*:\s*"2\.1\.0"')


class Sarif:
    """A SARIF 2.1.0 log: one row per result, the driver name as the scanner."""

    name: ClassVar[str] = "sarif"
    title: ClassVar[str] = "SARIF 2.1.0 log (any scanner)"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        if not sample.stripped.startswith("{"):
            return NO
        doc = sample.document
        if doc is not None:
            if is_sarif(doc):
                return CERTAIN
            # Another SARIF version: claimed, so the load can say which versions are read.
            return LIKELY if _looks_like_sarif(doc) else NO
        head = sample.text[:65536]
        if '"runs"' in head and (_SCHEMA_HEAD.search(head) or "sarif-schema" in head.lower()):
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        doc = read_json(ctx)
        if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
            raise ValueError('not a SARIF log (expected an object with "version" and "runs")')
        if doc.get("version") != VERSION:
            raise ValueError(f"SARIF version {doc.get('version')!r} is not read; only {VERSION}")
        tools = {scanner_name(name) for run in doc["runs"] if (name := _driver_name(run))}
        if tools == {SELF}:
            raise ValueError(f"this is mlspm's own SARIF report: {_SELF_REASON}")
        records: list[ScanRecord] = []
        unknown: Counter[str] = Counter()
        for ri, run in enumerate(doc["runs"]):
            if not isinstance(run, dict):
                records.append(
                    ScanRecord(
                        ScanResultKind.ISSUE, "", None, dump(run), reject=f"runs[{ri}] is not an object"
                    )
                )
                continue
            _Run(ri, run, records, unknown, ctx).read()
        for level, count in sorted(unknown.items()):
            ctx.warn(f"{count} result(s) with unknown SARIF level {level!r} read as {DEFAULT_LEVEL}")
        write_records(ctx, records, scanner="sarif")


def is_sarif(doc: Any) -> bool:
    """SARIF 2.1.0 with at least one run naming its tool."""
    return (
        isinstance(doc, dict)
        and doc.get("version") == VERSION
        and isinstance(doc.get("runs"), list)
        and any(_driver_name(run) for run in doc["runs"])
    )


def _looks_like_sarif(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        return False
    schema = str(doc.get("$schema", "")).lower()
    return "sarif" in schema or any(_driver_name(run) for run in doc["runs"])


def _driver_name(run: Any) -> str | None:
    return text(as_dict(as_dict(as_dict(run).get("tool")).get("driver")).get("name"))


class _Run:
    def __init__(
        self, index: int, run: dict[str, Any], out: list[ScanRecord], unknown: Counter[str], ctx: LoadContext
    ) -> None:
        self.index = index
        self.run = run
        self.out = out
        self.unknown = unknown
        self.ctx = ctx
        driver = as_dict(as_dict(run.get("tool")).get("driver"))
        name = text(driver.get("name"))
        self.scanner = scanner_name(name) if name else None
        self.version = text(driver.get("semanticVersion")) or text(driver.get("version"))
        self.levels = LEVELS_BY_SCANNER.get(self.scanner or "", LEVELS)
        self.rules = {
            rid: rule
            for rule in as_list(driver.get("rules"))
            if (rid := text(as_dict(rule).get("id"))) is not None
        }
        invocations = [as_dict(i) for i in as_list(run.get("invocations"))]
        first = invocations[0] if invocations else {}
        self.scanned_at: datetime | None = iso_time(first.get("startTimeUtc")) or iso_time(
            first.get("endTimeUtc")
        )
        self.invocations = invocations
        self.bases = as_dict(run.get("originalUriBaseIds"))
        self.artifacts = [as_dict(a) for a in as_list(run.get("artifacts"))]
        self.artifact_paths = [self._artifact_path(a) for a in self.artifacts]
        self.known = {p for p in self.artifact_paths if p}
        self.hashes = {
            path: digest
            for path, artifact in zip(self.artifact_paths, self.artifacts, strict=True)
            if path and (digest := sha256_of(as_dict(artifact.get("hashes")).get("sha-256")))
        }

    def read(self) -> None:
        results = as_list(self.run.get("results"))
        if self.scanner is None or self.scanner == SELF:
            for i, result in enumerate(results):
                why = (
                    f"runs[{self.index}] is mlspm's own report: {_SELF_REASON}"
                    if self.scanner
                    else f"runs[{self.index}] names no tool (tool.driver.name): results[{i}] has no scanner"
                )
                self._add(ScanRecord(ScanResultKind.ISSUE, "", None, dump(result), reject=why))
            return
        vulnerable = False
        first = len(self.out)
        for i, result in enumerate(results):
            vulnerable |= self._result(i, result)
        self._audited(first)
        self._notifications()
        if not vulnerable:
            self._artifacts()
        if self.invocations and all(i.get("executionSuccessful") is False for i in self.invocations):
            self.ctx.warn(f"runs[{self.index}] ({self.scanner}): the tool reports that its run failed")

    def _audited(self, first: int) -> None:
        """One 'audited' row per artifact this run checked for vulnerable dependencies, as for
        Trivy's JSON: a later report that finds nothing in it then clears its earlier findings.
        Those are the artifacts with vulnerabilities here, and the image a Trivy run names."""
        found = Counter(
            r.target
            for r in self.out[first:]
            if r.kind == ScanResultKind.VULNERABILITY and r.target and not r.reject
        )
        image = text(as_dict(self.run.get("properties")).get("imageName"))
        if image:
            found.setdefault(image, 0)
        for target, count in found.items():
            self._add(
                ScanRecord(
                    ScanResultKind.AUDITED,
                    target,
                    None,
                    dump({"run": self.index, "target": target}),
                    message=f"{target} audited: {count} known vulnerabilities",
                )
            )

    def _add(self, record: ScanRecord) -> None:
        record.scanner = self.scanner or "sarif"
        record.scanner_version = self.version
        record.scanned_at = self.scanned_at
        if record.sha256 is None and not record.reject:
            record.sha256 = self.hashes.get(record.target)
        self.out.append(record)

    def _result(self, i: int, result: Any) -> bool:
        """Adds the result's row; True when it is a vulnerability."""
        where = f"runs[{self.index}].results[{i}]"
        raw = dump(result)
        if not isinstance(result, dict):
            self._add(ScanRecord(ScanResultKind.ISSUE, "", None, raw, reject=f"{where} is not an object"))
            return False
        rule_id = text(result.get("ruleId")) or text(as_dict(result.get("rule")).get("id"))
        rule = self._rule(rule_id, result)
        rule_id = rule_id or text(rule.get("id"))
        location = self._location(result)
        if location is None:
            self._add(
                ScanRecord(
                    ScanResultKind.ISSUE,
                    "",
                    None,
                    raw,
                    reject=f"{where} has no location (the file it is about)",
                )
            )
            return False
        target, member = split_member(location, self.known)
        message = _message(result, rule)
        outcome = (text(result.get("kind")) or "fail").strip().lower()
        if outcome == "pass":
            self._add(ScanRecord(ScanResultKind.SCANNED, target, member, raw))
            return False
        if outcome == "notapplicable":
            self._add(
                ScanRecord(
                    ScanResultKind.SKIPPED,
                    target,
                    member,
                    raw,
                    rule_id=f"{self.scanner}:skipped:{rule_id or 'not_applicable'}",
                    message=message,
                )
            )
            return False
        severity_raw, severity = self._severity(result, rule)
        properties = as_dict(result.get("properties"))
        if _is_vulnerability(rule_id, rule):
            self._add(
                ScanRecord(
                    ScanResultKind.VULNERABILITY,
                    target,
                    member,
                    raw,
                    rule_id=rule_id,
                    severity_raw=severity_raw,
                    severity=severity.value,
                    message=message,
                    module_operator=_package(message),
                )
            )
            return True
        self._add(
            ScanRecord(
                ScanResultKind.ISSUE,
                target,
                member,
                raw,
                rule_id=f"{self.scanner}:{rule_id or 'result'}",
                severity_raw=severity_raw,
                severity=severity.value,
                message=message,
                module_operator=operator_from(properties),
            )
        )
        return False

    def _rule(self, rule_id: str | None, result: dict[str, Any]) -> dict[str, Any]:
        """The rule's metadata by id; ``ruleIndex`` only when the result has no id at all."""
        if rule_id is not None:
            return as_dict(self.rules.get(rule_id))
        index = result.get("ruleIndex")
        rules = list(self.rules.values())
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rules):
            return as_dict(rules[index])
        return {}

    def _severity(self, result: dict[str, Any], rule: dict[str, Any]) -> tuple[str, Severity]:
        for holder in (result, rule):
            score = _number(as_dict(holder.get("properties")).get("security-severity"))
            if score is not None:
                return f"security-severity {score:g}", _cvss_band(score)
        level = text(result.get("level")) or text(as_dict(rule.get("defaultConfiguration")).get("level"))
        key = (level or DEFAULT_LEVEL).strip().lower()
        severity = self.levels.get(key)
        if severity is None:
            self.unknown[level or ""] += 1
            severity = self.levels[DEFAULT_LEVEL]
        return level or DEFAULT_LEVEL, severity

    def _location(self, result: dict[str, Any]) -> str | None:
        for location in as_list(result.get("locations")):
            physical = as_dict(as_dict(location).get("physicalLocation"))
            found = self._uri(as_dict(physical.get("artifactLocation")))
            if found:
                return found
        return None

    def _uri(self, artifact_location: dict[str, Any]) -> str | None:
        uri = text(artifact_location.get("uri"))
        index = artifact_location.get("index")
        if uri is None and isinstance(index, int) and not isinstance(index, bool):
            if 0 <= index < len(self.artifact_paths):
                return self.artifact_paths[index]
            return None
        if uri is None:
            return None
        return _resolve(uri, text(artifact_location.get("uriBaseId")), self.bases)

    def _artifact_path(self, artifact: dict[str, Any]) -> str | None:
        location = as_dict(artifact.get("location"))
        uri = text(location.get("uri"))
        return _resolve(uri, text(location.get("uriBaseId")), self.bases) if uri else None

    def _artifacts(self) -> None:
        for i, (artifact, path) in enumerate(zip(self.artifacts, self.artifact_paths, strict=True)):
            if path is None:
                self._add(
                    ScanRecord(
                        ScanResultKind.SCANNED,
                        "",
                        None,
                        dump(artifact),
                        reject=f"runs[{self.index}].artifacts[{i}] has no location uri",
                    )
                )
                continue
            target, member = split_member(path, self.known, whole=False)
            self._add(ScanRecord(ScanResultKind.SCANNED, target, member, dump(artifact)))

    def _notifications(self) -> None:
        for invocation in self.invocations:
            for note in as_list(invocation.get("toolExecutionNotifications")):
                note = as_dict(note)
                level = (text(note.get("level")) or DEFAULT_LEVEL).lower()
                if level not in ("error", "warning"):
                    continue  # notes are the tool's progress chatter, not results
                target = None
                for location in as_list(note.get("locations")):
                    physical = as_dict(as_dict(location).get("physicalLocation"))
                    target = self._uri(as_dict(physical.get("artifactLocation")))
                    if target:
                        break
                file, member = split_member(target, self.known) if target else ("", None)
                descriptor = text(as_dict(note.get("descriptor")).get("id"))
                self._add(
                    ScanRecord(
                        ScanResultKind.ERROR,
                        file,
                        member,
                        dump(note),
                        rule_id=f"{self.scanner}:error" + (f":{descriptor}" if descriptor else ""),
                        severity_raw=level,
                        message=text(as_dict(note.get("message")).get("text")),
                    )
                )


def _resolve(uri: str, base_id: str | None, bases: dict[str, Any], depth: int = 0) -> str:
    """A result's file as text: the URI against its base when the log defines it; file:// as a path."""
    full = uri
    if base_id and depth < 5:
        base = as_dict(bases.get(base_id))
        base_uri = text(base.get("uri"))
        if base_uri:
            base_uri = _resolve(base_uri, text(base.get("uriBaseId")), bases, depth + 1)
            full = urljoin(base_uri if base_uri.endswith("/") else base_uri + "/", uri)
    parsed = urlparse(full)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
        # file:///C:/models/x.pkl → C:/models/x.pkl
        return path[1:] if re.match(r"^/[A-Za-z]:/", path) else path
    if parsed.scheme in ("http", "https"):
        return full
    return unquote(full)


def _message(result: dict[str, Any], rule: dict[str, Any]) -> str | None:
    found = text(as_dict(result.get("message")).get("text"))
    if found:
        return found
    for key in ("shortDescription", "fullDescription"):
        found = text(as_dict(rule.get(key)).get("text"))
        if found:
            return found
    return text(as_dict(result.get("message")).get("id"))


def _is_vulnerability(rule_id: str | None, rule: dict[str, Any]) -> bool:
    if rule_id and _VULNERABILITY_ID.match(rule_id):
        return True
    tags = as_list(as_dict(rule.get("properties")).get("tags"))
    return any(isinstance(t, str) and t.strip().lower() == "vulnerability" for t in tags)


def _package(message: str | None) -> str | None:
    """``package==version`` from Trivy's message lines (``Package: x`` / ``Installed Version: y``)."""
    if not message:
        return None
    name = _PACKAGE.search(message)
    if name is None:
        return None
    version = _INSTALLED.search(message)
    return f"{name.group('name')}=={version.group('version')}" if version else name.group("name")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0.0 <= number <= 10.0 else None


def _cvss_band(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO
