"""modelscan JSON reports (current and 0.5-era schema, plain or stdout captures) into scan_results.

Both ``modelscan -r json -o FILE`` output and a captured stdout stream are read: the CLI prints
``No settings file detected at <path>. Using defaults.`` (or ``Detected settings file. Using <path>.``)
before the JSON, and those lines are skipped. Schemas (FORMATS.md §10.1):

- current (0.5.x after PR #108, 0.7, 0.8): ``summary.modelscan_version``, ``issues[]`` with a
  ``severity`` each, ``errors[]`` of objects, sources relative to ``summary.absolute_path``;
- 0.5-era: top-level ``modelscan_version``, ``issues_by_severity{SEVERITY: [issue]}``, ``errors`` as
  strings, absolute ``scanned.scanned_files``.

One ``scan_results`` row per record, numbered n = 1, 2, ... in this order: issues, errors, skipped
files, scanned files (``source_pos`` = n, ``id`` = ``(run_id << 32) + n``):

=========== =================================================================================
kind        rule_id and message
=========== =================================================================================
issue       ``modelscan:<scanner class>:<module>.<operator>``; the issue's description
error       ``modelscan:error:<CATEGORY>`` (``modelscan:error`` for a 0.5-era string error)
skipped     ``modelscan:skipped:<CATEGORY>``; why the file was skipped
scanned     no rule; one row per file (or archive member) modelscan looked at
=========== =================================================================================

``target`` is the absolute path of the file on the machine that ran the scan and ``member`` the
archive member after ``:`` (``model.pt:archive/data.pkl``). ``severity`` is mlspm's scale
(LOW→low … CRITICAL→critical, anything else → medium with a warning); ``severity_raw`` is verbatim.
A naive report timestamp is read in this machine's local zone (modelscan writes ``datetime.now()``).

``mlspm scan`` stores its results through :func:`parse_report` and :func:`write_records` too, so a
scan and an imported report give identical rows. The categories it adds for files modelscan never
finished: skipped ``TIME_LIMIT``, ``MEMORY_LIMIT``, ``NOT_A_FILE``, ``UNREADABLE``; error
``SCAN_FAILED`` (modelscan raised) and ``SCANNER_CRASHED`` (the scanner process died).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, ClassVar

from mlspm.enums import ScanResultKind, Severity
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.source import Sample

SCANNER = "modelscan"
MAX_REPORT_BYTES = 256 * 1024 * 1024
"""A report larger than this is refused rather than half-read (it is one JSON document)."""

SEVERITY_MAP = {
    "LOW": Severity.LOW,
    "MEDIUM": Severity.MEDIUM,
    "HIGH": Severity.HIGH,
    "CRITICAL": Severity.CRITICAL,
}
UNKNOWN_SEVERITY = Severity.MEDIUM

# The lines modelscan's CLI prints on stdout before the JSON (cli.py); only these may precede it.
_PREAMBLE = re.compile(
    r"[ \t]*(?:No settings file detected at |Detected settings file\b)[^\n]*\n|[ \t]*\r?\n"
)
_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")
_PATH_ERROR = re.compile(r"during scan of file (?P<path>.+?): \n", re.DOTALL)

_COLUMNS = [
    "id",
    "run_id",
    "scanner",
    "scanner_version",
    "scanned_at",
    "target",
    "member",
    "sha256",
    "kind",
    "rule_id",
    "severity_raw",
    "severity",
    "message",
    "module_operator",
    "source_pos",
    "raw",
]
_BATCH = 20_000


@dataclass
class ScanRecord:
    """One scan_results row before it gets its id, or (``reject`` set) a record that cannot be used."""

    kind: str
    target: str
    member: str | None
    raw: str
    rule_id: str | None = None
    severity_raw: str | None = None
    severity: str | None = None
    message: str | None = None
    module_operator: str | None = None
    scanner_version: str | None = None
    scanned_at: datetime | None = None
    sha256: str | None = None
    reject: str | None = None
    """Why the record could not be stored (it goes to ``rejects`` instead)."""
    scanner: str | None = None
    """The scanner that produced the record, when a report mixes several (SARIF runs); else the writer's."""
    position: int | None = None
    """Where the record is in its file (line, object number) when that is not its order: ``source_pos``."""


@dataclass
class ParsedReport:
    schema: str
    """``current`` or ``0.5``."""
    scanner_version: str | None
    scanned_at: datetime | None
    records: list[ScanRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ModelscanReport:
    """ProtectAI modelscan JSON report (current or 0.5-era schema), plain or after the settings line."""

    name: ClassVar[str] = "modelscan"
    title: ClassVar[str] = "modelscan JSON report"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        start = json_start(sample.text)
        if start is None or not sample.text.startswith("{", start):
            return NO
        head = sample.text[start:]
        if sample.complete:
            try:
                doc = json.loads(head)
            except ValueError:
                doc = None  # malformed: judge by the text so the load can say where it breaks
            if doc is not None:
                return CERTAIN if report_schema(doc) else NO
        if '"modelscan_version"' in head and any(
            key in head for key in ('"total_issues_by_severity"', '"issues_by_severity"', '"issues"')
        ):
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        doc = parse_text(ctx.whole_text(MAX_REPORT_BYTES))
        parsed = parse_report(doc)
        for warning in parsed.warnings:
            ctx.warn(warning)
        write_records(ctx, parsed.records)


def json_start(text: str) -> int | None:
    """Where the JSON starts after modelscan's optional settings lines; None if other text comes first."""
    pos = 0
    while match := _PREAMBLE.match(text, pos):
        pos = match.end()
    rest = text[pos:].lstrip(" \t\r\n")
    if not rest:
        return None
    start = len(text) - len(rest)
    return start if rest[0] in "{[" else None


def parse_text(text: str) -> Any:
    """The report's JSON value; raises ValueError naming the position (in the file) of any problem."""
    start = json_start(text)
    if start is None:
        raise ValueError("not a modelscan JSON report: no JSON document (after the optional settings line)")
    try:
        doc, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"invalid JSON at line {exc.lineno} column {exc.colno} (char {exc.pos}): {exc.msg}"
        ) from None
    trailing = text[end:]
    if trailing.strip():
        offset = end + len(trailing) - len(trailing.lstrip())
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise ValueError(
            f"unexpected text after the JSON document at line {line} column {col} (char {offset})"
        )
    return doc


def report_schema(doc: Any) -> str | None:
    """``current``, ``0.5`` or None (not a modelscan report)."""
    if not isinstance(doc, dict):
        return None
    summary = doc.get("summary")
    if isinstance(summary, dict) and "modelscan_version" in summary:
        return "current"
    if "modelscan_version" in doc and (
        "issues_by_severity" in doc or "total_issues" in doc or "issues" in doc
    ):
        return "0.5"
    return None


def parse_report(doc: Any, *, target_hint: str | None = None) -> ParsedReport:
    """Every record of a modelscan report as rows to store (raises ValueError if it is not a report).

    ``target_hint`` is the absolute path of the one file that was scanned, when known (``mlspm scan``):
    it decides where a file name ends and an archive member begins even if the name contains ``:``.
    """
    schema = report_schema(doc)
    if schema is None:
        raise ValueError(
            "not a modelscan report: no modelscan_version (expected summary.modelscan_version, or a "
            "top-level modelscan_version in the 0.5-era schema)"
        )
    reader = _Reader(doc, schema, target_hint)
    reader.read()
    return reader.parsed


class _Reader:
    def __init__(self, doc: dict[str, Any], schema: str, target_hint: str | None) -> None:
        found = doc.get("summary")
        summary: dict[str, Any] = found if isinstance(found, dict) else {}
        meta = summary if schema == "current" else doc
        self.doc = doc
        self.summary = summary
        self.schema = schema
        version = meta.get("modelscan_version")
        self.parsed = ParsedReport(
            schema=schema,
            scanner_version=None if version is None else str(version),
            scanned_at=_timestamp(meta.get("timestamp")),
        )
        input_path = _text(meta.get("input_path"))
        absolute = _text(summary.get("absolute_path")) if schema == "current" else None
        # Sources are relative to absolute_path (current) or absolute already (0.5-era).
        self.base = absolute or (_parent(input_path) if input_path and _is_abs(input_path) else "")
        self.input_target = (
            input_path if input_path and _is_abs(input_path) else (absolute or input_path or "(unknown)")
        )
        self.hints = [
            h for h in (target_hint, input_path if input_path and _is_abs(input_path) else None) if h
        ]
        self.unknown_severities: Counter[str] = Counter()

    def read(self) -> None:
        self._issues()
        self._errors()
        self._skipped()
        self._scanned()
        for raw, count in sorted(self.unknown_severities.items()):
            self.parsed.warnings.append(
                f"{count} issue(s) with unknown modelscan severity {raw!r} stored as {UNKNOWN_SEVERITY.value}"
            )

    def _add(self, record: ScanRecord) -> None:
        record.scanner_version = self.parsed.scanner_version
        record.scanned_at = self.parsed.scanned_at
        self.parsed.records.append(record)

    def _issues(self) -> None:
        items: list[tuple[Any, str | None]]
        if self.schema == "current":
            items = [(issue, None) for issue in _list(self.doc.get("issues"))]
        else:
            groups = self.doc.get("issues_by_severity")
            items = [
                (issue, str(sev))
                for sev, group in (groups.items() if isinstance(groups, dict) else [])
                for issue in _list(group)
            ]
            items += [(issue, None) for issue in _list(self.doc.get("issues"))]
        declared = (self.summary if self.schema == "current" else self.doc).get("total_issues")
        if isinstance(declared, int) and declared != len(items):
            self.parsed.warnings.append(f"the report says {declared} issues but lists {len(items)}")
        for issue, group_severity in items:
            self._issue(issue, group_severity)

    def _issue(self, issue: Any, group_severity: str | None) -> None:
        raw = _dump(issue)
        if not isinstance(issue, dict):
            self._add(ScanRecord(ScanResultKind.ISSUE, "", None, raw, reject="issue is not a JSON object"))
            return
        source = _text(issue.get("source"))
        if not source:
            self._add(
                ScanRecord(
                    ScanResultKind.ISSUE,
                    "",
                    None,
                    raw,
                    reject="issue has no source (the file it was found in)",
                )
            )
            return
        target, member = self._locate(source)
        module, operator = _text(issue.get("module")), _text(issue.get("operator"))
        module_operator = ".".join(p for p in (module, operator) if p) or None
        scanner = (_text(issue.get("scanner")) or "unknown").rsplit(".", 1)[-1]
        severity_raw = _text(issue.get("severity")) or group_severity
        severity = SEVERITY_MAP.get((severity_raw or "").strip().upper())
        if severity is None:
            self.unknown_severities[severity_raw or "(none)"] += 1
            severity = UNKNOWN_SEVERITY
        message = _text(issue.get("description")) or (
            f"Use of unsafe operator '{operator}' from module '{module}'" if module_operator else None
        )
        self._add(
            ScanRecord(
                ScanResultKind.ISSUE,
                target,
                member,
                raw,
                rule_id=f"{SCANNER}:{scanner}:{module_operator or 'unknown'}",
                severity_raw=severity_raw,
                severity=severity.value,
                message=message,
                module_operator=module_operator,
            )
        )

    def _errors(self) -> None:
        for error in _list(self.doc.get("errors")):
            raw = _dump(error)
            if isinstance(error, dict):
                category = _text(error.get("category"))
                message = _text(error.get("description")) or _text(error.get("message"))
                source = _text(error.get("source"))
            else:
                # 0.5-era errors are str(error): a PathError names its file, scanner errors do not.
                category, message = None, str(error)
                found = _PATH_ERROR.search(message)
                source = found.group("path") if found else None
            target, member = self._locate(source) if source else (self.input_target, None)
            rule = f"{SCANNER}:error:{category}" if category else f"{SCANNER}:error"
            self._add(ScanRecord(ScanResultKind.ERROR, target, member, raw, rule_id=rule, message=message))

    def _skipped(self) -> None:
        block = self.summary.get("skipped") if self.schema == "current" else self.doc.get("skipped")
        entries = block.get("skipped_files") if isinstance(block, dict) else block
        for entry in _list(entries):
            raw = _dump(entry)
            if isinstance(entry, dict):
                category = _text(entry.get("category"))
                message = _text(entry.get("description"))
                source = _text(entry.get("source"))
            else:
                category, message, source = None, None, _text(entry)
            if not source:
                self._add(
                    ScanRecord(
                        ScanResultKind.SKIPPED,
                        "",
                        None,
                        raw,
                        reject="skipped entry has no source (the file it is about)",
                    )
                )
                continue
            target, member = self._locate(source)
            rule = f"{SCANNER}:skipped:{category}" if category else f"{SCANNER}:skipped"
            self._add(ScanRecord(ScanResultKind.SKIPPED, target, member, raw, rule_id=rule, message=message))

    def _scanned(self) -> None:
        block = self.summary.get("scanned") if self.schema == "current" else self.doc.get("scanned")
        files = block.get("scanned_files") if isinstance(block, dict) else None
        for entry in _list(files):
            source = _text(entry)
            if not source:
                self._add(
                    ScanRecord(
                        ScanResultKind.SCANNED,
                        "",
                        None,
                        _dump(entry),
                        reject="scanned file entry is not a path",
                    )
                )
                continue
            target, member = self._locate(source)
            self._add(ScanRecord(ScanResultKind.SCANNED, target, member, _dump(entry)))

    def _locate(self, source: str) -> tuple[str, str | None]:
        """The absolute file and the archive member (after the first ``:`` of the file's name)."""
        relative = not _is_abs(source)
        full = _join(self.base, source) if relative and self.base else source
        for hint in self.hints:
            if full == hint:
                return hint, None
            if full.startswith(hint + ":"):
                return hint, full[len(hint) + 1 :]
        if relative and self.base:
            # A ':' in a directory of the base path is not a member separator: split the source only.
            name, sep, member = source.partition(":")
            return _join(self.base, name), (member or None) if sep else None
        cut = full.find(":", 2 if _WINDOWS_ABS.match(full) else 0)
        if cut < 0:
            return full, None
        return full[:cut], full[cut + 1 :] or None


def write_records(ctx: LoadContext, records: Iterable[ScanRecord], *, scanner: str = SCANNER) -> None:
    """Store records as scan_results rows of ``ctx.run_id`` (rejects to ``ctx.reject``), numbered from 1.

    ``scanner`` names the tool for records that do not name their own (other scanners' reports use this
    writer too); a record's ``position``, when set, is stored as ``source_pos`` instead of its number.
    """
    # DuckDB's appender, not Arrow: building a pyarrow array imports pandas (~0.5 s) just to check the
    # input is not a pandas object, and scan results are a few thousand rows. DuckDB 2 refuses new work
    # while an earlier result (the runner's nextval) is open on the cursor: finish it first.
    ctx.cur.complete()
    appender = ctx.cur.appender("scan_results", columns=_COLUMNS)
    base = ctx.run_id << 32
    pending = 0
    for n, record in enumerate(records, start=1):
        if record.reject:
            ctx.reject(record.position or n, "record", record.reject, record.raw)
            continue
        appender.append_row(
            base + n,
            ctx.run_id,
            record.scanner or scanner,
            _clean(record.scanner_version),
            record.scanned_at,
            _clean(record.target),
            _clean(record.member),
            record.sha256,
            str(record.kind),
            _clean(record.rule_id),
            _clean(record.severity_raw),
            record.severity,
            _clean(record.message),
            _clean(record.module_operator),
            record.position or n,
            _clean(record.raw),
        )
        ctx.counts.loaded += 1
        pending += 1
        if pending >= _BATCH:
            appender.flush()
            pending = 0
    appender.flush()


def _clean(value: str | None) -> str | None:
    """Text DuckDB can store: lone surrogates (undecodable file names) become U+FFFD."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value)
    return text if text.strip() else None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _is_abs(path: str) -> bool:
    return path.startswith(("/", "\\\\")) or bool(_WINDOWS_ABS.match(path))


def _join(base: str, source: str) -> str:
    if _WINDOWS_ABS.match(base):
        return str(PureWindowsPath(base) / source)
    return str(PurePosixPath(base) / source)


def _parent(path: str) -> str:
    if _WINDOWS_ABS.match(path):
        return str(PureWindowsPath(path).parent)
    return str(PurePosixPath(path).parent)


def _timestamp(value: Any) -> datetime | None:
    """modelscan writes ``datetime.now().isoformat()``: naive local time, read in this machine's zone."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC)
