"""Trail of Bits fickling safety reports (``fickling --check-safety --json-output FILE``) into scan_results.

Each analysed pickle is one JSON object (FORMATS.md §10.4)::

    {"severity": "OVERTLY_MALICIOUS", "analysis": "<one line per finding>",
     "detailed_results": {"AnalysisResult": {"OvertlyBadEval": "eval(...)", "UnusedVariables": [...]}}}

fickling opens the output file in append mode and writes ``json.dump(..., indent=4)`` per pickle, so
stacked pickles and repeated runs give several objects back to back with no separator (``}{``): they
are read one after another (``raw_decode``). Text between objects that is not one is a reject with
its line and column; the objects around it still load.

The objects do not say which file was analysed. Rows are stored under this report's own absolute
path (``member`` = ``pickle N`` when the report holds several objects), and the load says so: the
result can be linked to an asset only through that path.

Rows per object, in file order (``source_pos`` = the object's number):

- ``scanned``: fickling analysed this pickle (every object);
- ``issue``: one per ``detailed_results.AnalysisResult`` entry unless the object is LIKELY_SAFE —
  rule ``fickling:<AnalysisName>``, ``module_operator`` = the trigger (the code fragment fickling
  flagged), message = the analysis line naming it; an unsafe object without details gives one issue
  ``fickling:<SEVERITY>`` with the analysis text.

Severity (fickling rates the pickle, not each finding, so every issue of an object carries the
object's rating): OVERTLY_MALICIOUS and LIKELY_OVERTLY_MALICIOUS → critical, LIKELY_UNSAFE → high,
SUSPICIOUS → medium, POSSIBLY_UNSAFE → low, LIKELY_SAFE → no issue; any other → medium with a warning.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from mlspm.enums import ScanResultKind, Severity
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.formats.modelscan_report import ScanRecord, write_records
from mlspm.ingest.scans import as_dict, dump, text
from mlspm.ingest.source import Sample

SCANNER = "fickling"
SAFE = "LIKELY_SAFE"
SEVERITY_MAP = {
    "OVERTLY_MALICIOUS": Severity.CRITICAL,
    "LIKELY_OVERTLY_MALICIOUS": Severity.CRITICAL,
    "LIKELY_UNSAFE": Severity.HIGH,
    "SUSPICIOUS": Severity.MEDIUM,
    "POSSIBLY_UNSAFE": Severity.LOW,
}
KNOWN = {SAFE, *SEVERITY_MAP}
UNKNOWN_SEVERITY = Severity.MEDIUM

# Where a fickling object begins: resynchronising after garbage looks for the next one of these.
_OBJECT_START = re.compile(r'\{\s*"severity"\s*:')
_HEAD = re.compile(r'\A\s*\{\s*"severity"\s*:\s*"([A-Z_]+)"')


@dataclass
class _Object:
    number: int
    line: int
    value: Any
    raw: str


class FicklingReport:
    """fickling ``--check-safety --json-output`` file: one or more result objects back to back."""

    name: ClassVar[str] = "fickling"
    title: ClassVar[str] = "fickling safety report (JSON)"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        if not sample.stripped.startswith("{"):
            return NO
        start = len(sample.text) - len(sample.stripped)
        try:
            first, _ = json.JSONDecoder().raw_decode(sample.text, start)
        except ValueError:
            first = None  # malformed or cut by the sample: judge by the head
        if first is not None:
            return CERTAIN if is_result(first) else NO
        head = _HEAD.match(sample.text)
        if head and head.group(1) in KNOWN and '"analysis"' in sample.text[:65536]:
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        content = ctx.whole_text()
        objects, problems = _split(content)
        if not any(is_result(o.value) for o in objects):
            first = problems[0][1] if problems else "no JSON object in the file"
            raise ValueError(f"no fickling result object in the file ({first})")
        for line, reason, raw in problems:
            ctx.reject(line, "line", reason, raw)
        target = str(ctx.path.resolve())
        several = len(objects) > 1
        unknown: Counter[str] = Counter()
        records: list[ScanRecord] = []
        for obj in objects:
            member = f"pickle {obj.number}" if several else None
            records.extend(_rows(obj, target, member, unknown))
        for raw_severity, count in sorted(unknown.items()):
            ctx.warn(
                f"{count} object(s) with unknown fickling severity {raw_severity!r} stored as "
                f"{UNKNOWN_SEVERITY.value}"
            )
        ctx.warn(
            "fickling reports do not name the file they analysed: results are stored under this report's path"
        )
        write_records(ctx, records, scanner=SCANNER)


def is_result(value: Any) -> bool:
    """A fickling ``AnalysisResults.to_dict()`` object."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("severity"), str)
        and "analysis" in value
        and (value["severity"] in KNOWN or "detailed_results" in value)
    )


def _split(content: str) -> tuple[list[_Object], list[tuple[int, str, str]]]:
    """The JSON values back to back in ``content``, and (line, reason, text) for text that is not one."""
    decoder = json.JSONDecoder()
    objects: list[_Object] = []
    problems: list[tuple[int, str, str]] = []
    pos, size = 0, len(content)
    line, counted = 1, 0  # the line of ``pos``, counted incrementally (a report may hold many objects)
    while True:
        while pos < size and content[pos] in " \t\r\n":
            pos += 1
        if pos >= size:
            break
        line += content.count("\n", counted, pos)
        counted = pos
        try:
            value, end = decoder.raw_decode(content, pos)
        except json.JSONDecodeError as exc:
            resume = _OBJECT_START.search(content, pos + 1)
            stop = resume.start() if resume else size
            column = pos - (content.rfind("\n", 0, pos) + 1) + 1
            problems.append(
                (
                    line,
                    f"not a fickling result object at line {line} column {column}: invalid JSON "
                    f"({exc.msg} at line {exc.lineno} column {exc.colno})",
                    content[pos:stop],
                )
            )
            pos = stop
            continue
        objects.append(_Object(len(objects) + 1, line, value, content[pos:end]))
        pos = end
    return objects, problems


def _rows(obj: _Object, target: str, member: str | None, unknown: Counter[str]) -> list[ScanRecord]:
    value = obj.value
    if not is_result(value):
        return [
            ScanRecord(
                ScanResultKind.ISSUE,
                "",
                None,
                obj.raw,
                reject=f"JSON value {obj.number} (line {obj.line}) is not a fickling result "
                "(no severity and analysis)",
                position=obj.number,
            )
        ]
    raw = dump(value)
    rows = [ScanRecord(ScanResultKind.SCANNED, target, member, raw, position=obj.number)]
    severity_raw = str(value["severity"])
    if severity_raw == SAFE:
        return rows
    severity = SEVERITY_MAP.get(severity_raw)
    if severity is None:
        unknown[severity_raw] += 1
        severity = UNKNOWN_SEVERITY
    analysis = text(value.get("analysis")) or ""
    found = as_dict(as_dict(value.get("detailed_results")).get("AnalysisResult"))
    if not found:
        found = {severity_raw: None}
    for name, trigger in found.items():
        fragment = _trigger(trigger)
        rows.append(
            ScanRecord(
                ScanResultKind.ISSUE,
                target,
                member,
                raw,
                rule_id=f"{SCANNER}:{name}",
                severity_raw=severity_raw,
                severity=severity.value,
                message=_line_about(analysis, fragment) or None,
                module_operator=fragment,
                position=obj.number,
            )
        )
    return rows


def _trigger(value: Any) -> str | None:
    """The flagged code fragment: a string, or ``var = code`` for UnusedVariables' ``[var, code]``."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return f"{value[0]} = {value[1]}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    return text(value)


def _line_about(analysis: str, fragment: str | None) -> str:
    """The analysis line that names ``fragment`` (fickling writes one line per finding), else all of it."""
    lines = [line.strip() for line in analysis.splitlines() if line.strip()]
    if fragment:
        for line in lines:
            if fragment in line or fragment.split(" = ", 1)[-1] in line:
                return line
    return " ".join(lines)
