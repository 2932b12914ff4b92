"""promptfoo ModelAudit JSON reports (``modelaudit --format json``, ``promptfoo scan-model``) into scan_results.

Schema (FORMATS.md §10.2): ``bytes_scanned``, ``files_scanned``, ``start_time`` (epoch seconds),
``issues[]`` (``message``, ``severity``, ``location`` = ``path (pos N)``, ``details``, ``rule_code``,
``type``), ``checks[]``, ``assets[]`` (the files looked at), ``file_metadata{path: {file_hashes}}``.
Older output (the legacy docs example) has no checks, file_metadata or rule_code; unknown keys are
expected (the producer allows extra fields everywhere).

Rows, numbered in this order (``source_pos`` = the number):

=========== ============================================================================================
kind        from
=========== ============================================================================================
issue       each ``issues[]`` entry; rule ``modelaudit:<rule_code | type | opcode:OP | issue>``,
            ``module_operator`` from details (``import_reference``, ``associated_global`` or
            ``module.function``)
skipped     an issue "Unknown or unhandled format: …" (ModelAudit had no scanner for the file);
            rule ``modelaudit:skipped:unknown_format``
error       an issue saying the scan itself failed ("Error scanning file: …"), never a critical one;
            rule ``modelaudit:error``
scanned     each ``assets[]`` entry (and zip ``contents``) and each ``file_metadata`` file, unless the
            asset is marked as an error or its only rows are skipped/error ones
=========== ============================================================================================

``checks[]`` are not rows: a failed check is the same finding as its issue (ModelAudit adds both), a
passed one is the audit trail of a file already recorded as scanned. The "File Integrity Hash" check
and ``file_metadata`` give each file's sha256, which links it to inventory assets and to other
scanners' results for the same bytes.

Severity: critical → critical, error → high, warning → medium, info and debug → info (ModelAudit has
only four levels; info/debug are not security findings); anything else → medium with a warning.
Paths stay as ModelAudit printed them (relative to where it ran when it was given a relative path).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any, ClassVar

from mlspm.enums import ScanResultKind, Severity
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.formats.modelscan_report import ScanRecord, write_records
from mlspm.ingest.scans import (
    as_dict,
    as_list,
    dump,
    epoch_time,
    read_json,
    sha256_of,
    split_member,
    text,
)
from mlspm.ingest.source import Sample

SCANNER = "modelaudit"
SEVERITY_MAP = {
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.INFO,
    "debug": Severity.INFO,
}
UNKNOWN_SEVERITY = Severity.MEDIUM

_POSITION = re.compile(r"\s*\(pos(?:ition)? \d+\)\s*$")
_UNKNOWN_FORMAT = re.compile(r"^\s*unknown or unhandled format\b", re.IGNORECASE)
_SCAN_FAILED = re.compile(
    r"^\s*(?:error|failed|exception)\b.*\bscan|\bscan(?:ning)? (?:timed out|timeout)", re.IGNORECASE
)
_NOT_SCANNED_TYPES = {"error", "unknown", "skipped"}
# Keys that, beside "bytes_scanned", mark the head of a ModelAudit report too big or broken to parse.
_HEAD_KEYS = ('"files_scanned"', '"scanner_names"', '"has_errors"', '"issues"', '"checks"', '"file_metadata"')


class ModelAuditReport:
    """promptfoo ModelAudit ``--format json`` report (current and legacy shapes)."""

    name: ClassVar[str] = "modelaudit"
    title: ClassVar[str] = "ModelAudit JSON report"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        if not sample.stripped.startswith("{"):
            return NO
        doc = sample.document
        if doc is not None:
            return CERTAIN if is_report(doc) else NO
        # Malformed or larger than the sample: judge by the head, so a broken report is named as one.
        head = sample.text[:65536]
        if '"bytes_scanned"' in head and any(key in head for key in _HEAD_KEYS):
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        doc = read_json(ctx)
        if not is_report(doc):
            raise ValueError(
                "not a ModelAudit JSON report (expected an object with bytes_scanned and files_scanned)"
            )
        reader = _Reader(doc)
        records = reader.read()
        for raw, count in sorted(reader.unknown_severities.items()):
            ctx.warn(
                f"{count} issue(s) with unknown ModelAudit severity {raw!r} stored as {UNKNOWN_SEVERITY.value}"
            )
        write_records(ctx, records, scanner=SCANNER)


def is_report(doc: Any) -> bool:
    """A ModelAudit result object: byte and file counts beside its issues or scanner names."""
    return (
        isinstance(doc, dict)
        and "bytes_scanned" in doc
        and "files_scanned" in doc
        and any(key in doc for key in ("issues", "has_errors", "scanner_names", "assets"))
    )


class _Reader:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.scanned_at: datetime | None = epoch_time(doc.get("start_time"))
        self.version = text(doc.get("modelaudit_version")) or text(doc.get("version"))
        self.metadata = as_dict(doc.get("file_metadata"))
        self.assets = as_list(doc.get("assets"))
        self.known = {p for p in (_asset_path(a) for a in self.assets) if p} | {
            k for k in self.metadata if isinstance(k, str) and k
        }
        self.hashes = self._hashes()
        self.unknown_severities: Counter[str] = Counter()
        self.records: list[ScanRecord] = []

    def read(self) -> list[ScanRecord]:
        for i, issue in enumerate(as_list(self.doc.get("issues"))):
            self._issue(i, issue)
        self._scanned()
        return self.records

    def _add(self, record: ScanRecord) -> None:
        record.scanned_at = self.scanned_at
        record.scanner_version = self.version
        if record.sha256 is None and not record.reject:
            record.sha256 = self.hashes.get(record.target)
        self.records.append(record)

    def _hashes(self) -> dict[str, str]:
        """Each file's sha256: from file_metadata, else from its "File Integrity Hash" check."""
        found: dict[str, str] = {}
        for check in as_list(self.doc.get("checks")):
            check = as_dict(check)
            location = text(check.get("location"))
            digest = sha256_of(as_dict(check.get("details")).get("sha256"))
            if location and digest and check.get("name") == "File Integrity Hash":
                found[_POSITION.sub("", location)] = digest
        for path, meta in self.metadata.items():
            digest = sha256_of(as_dict(as_dict(meta).get("file_hashes")).get("sha256"))
            if isinstance(path, str) and digest:
                found[path] = digest
        return found

    def _issue(self, i: int, issue: Any) -> None:
        raw = dump(issue)
        if not isinstance(issue, dict):
            self._add(ScanRecord(ScanResultKind.ISSUE, "", None, raw, reject=f"issues[{i}] is not an object"))
            return
        details = as_dict(issue.get("details"))
        location = self._location(issue, details)
        if location is None:
            self._add(
                ScanRecord(
                    ScanResultKind.ISSUE,
                    "",
                    None,
                    raw,
                    reject=f"issues[{i}] has no location (the file it was found in)",
                )
            )
            return
        target, member = split_member(location, self.known)
        message = text(issue.get("message"))
        severity_raw = text(issue.get("severity"))
        severity = SEVERITY_MAP.get((severity_raw or "").strip().lower())
        if message and _UNKNOWN_FORMAT.match(message):
            self._add(
                ScanRecord(
                    ScanResultKind.SKIPPED,
                    target,
                    member,
                    raw,
                    rule_id=f"{SCANNER}:skipped:unknown_format",
                    severity_raw=severity_raw,
                    message=message,
                )
            )
            return
        # A failed scan is an error row, but never at the cost of hiding a critical finding.
        if message and _SCAN_FAILED.search(message) and severity is not Severity.CRITICAL:
            self._add(
                ScanRecord(
                    ScanResultKind.ERROR,
                    target,
                    member,
                    raw,
                    rule_id=f"{SCANNER}:error",
                    severity_raw=severity_raw,
                    message=message,
                )
            )
            return
        if severity is None:
            self.unknown_severities[severity_raw or "(none)"] += 1
            severity = UNKNOWN_SEVERITY
        rule = (
            text(issue.get("rule_code"))
            or text(issue.get("type"))
            or (f"opcode:{op}" if (op := text(details.get("opcode"))) else None)
            or "issue"
        )
        self._add(
            ScanRecord(
                ScanResultKind.ISSUE,
                target,
                member,
                raw,
                rule_id=f"{SCANNER}:{rule}",
                severity_raw=severity_raw,
                severity=severity.value,
                message=message,
                module_operator=operator_from(details),
            )
        )

    def _location(self, issue: dict[str, Any], details: dict[str, Any]) -> str | None:
        """The file an issue is about: its location without `` (pos N)``, else a path in its details."""
        for value in (
            issue.get("location"),
            details.get("path"),
            details.get("file_path"),
            details.get("pickle_source"),
        ):
            found = text(value)
            if found:
                return _POSITION.sub("", found) or None
        # A report about exactly one file: an issue without a location can only be about that file.
        return next(iter(self.known)) if len(self.known) == 1 else None

    def _scanned(self) -> None:
        kinds: dict[str, set[str]] = {}
        for record in self.records:
            if not record.reject:
                kinds.setdefault(record.target, set()).add(str(record.kind))
        seen: set[tuple[str, str | None]] = set()

        def scanned(path: str, raw: str) -> None:
            target, member = split_member(path, self.known)
            found = kinds.get(target, set())
            # A file ModelAudit could not read or had no scanner for was listed, not scanned.
            if found and ScanResultKind.ISSUE not in found:
                return
            if (target, member) in seen:
                return
            seen.add((target, member))
            self._add(ScanRecord(ScanResultKind.SCANNED, target, member, raw))

        for i, asset in enumerate(self.assets):
            path = _asset_path(asset)
            if path is None:
                self._add(
                    ScanRecord(
                        ScanResultKind.SCANNED,
                        "",
                        None,
                        dump(asset),
                        reject=f"assets[{i}] has no path",
                    )
                )
                continue
            entry = as_dict(asset)
            if str(entry.get("type", "")).lower() in _NOT_SCANNED_TYPES or entry.get("scanned") is False:
                continue
            scanned(path, dump(asset))
            for content in as_list(entry.get("contents")):
                inner = _asset_path(content)
                if inner:
                    scanned(inner if inner.startswith(path + ":") else f"{path}:{inner}", dump(content))
        # file_metadata adds the files no asset entry names (an asset marked as not scanned stays so).
        listed = {path for path in (_asset_path(a) for a in self.assets) if path}
        for path in self.metadata:
            if isinstance(path, str) and path and path not in listed:
                scanned(path, dump({"file_metadata": path}))


def _asset_path(asset: Any) -> str | None:
    return text(asset.get("path")) if isinstance(asset, dict) else None


def operator_from(details: dict[str, Any]) -> str | None:
    """The global a ModelAudit issue names (``posix.system``), from its details (SARIF: properties)."""
    for key in ("import_reference", "associated_global"):
        found = text(details.get(key))
        if found:
            return found
    module = text(details.get("module"))
    name = text(details.get("function")) or text(details.get("name"))
    if module and name:
        return f"{module}.{name}"
    return module
