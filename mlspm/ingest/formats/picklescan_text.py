"""picklescan's text output (it has no JSON mode) into scan_results, one row per result line.

Lines (FORMATS.md §10.3; ``source_pos`` = the line number):

==================================================================== =====================================
line                                                                 row
==================================================================== =====================================
``<file_id>: <safety> import '<module> <name>' FOUND`` [`` (promoted  issue, rule ``picklescan:<safety>``,
by --strict)``]; the 2022 wording has safety ``global``              ``module_operator`` = module.name
``ERROR: parsing pickle in <file_id>: <exc>``,                       error, rule ``picklescan:error``
``WARNING: could not parse <file_id> as pickle: <exc>``
``Scanning file <path>`` / ``Scanning file <m> in zip archive <f>``  scanned (``-l DEBUG`` output only)
``----------- SCAN SUMMARY -----------`` and its counts, ``-g``      not rows: the counts are checked
globals list, other DEBUG lines                                      against the findings
==================================================================== =====================================

Any other non-blank line is a reject with its line number. ``file_id`` is a path or URL, with
``:<member>`` for a pickle inside a zip (``…/pytorch_model.bin:archive/data.pkl``); the finding regex
is anchored on `` import '`` from the right, so a ``:`` inside the file id (``C:\\…``) is kept.

picklescan names only the files it flagged (plus, at DEBUG level, every file it opened): without
``-l DEBUG`` the files it passed are not known, so it can flag files but not vouch for them.

Severity: dangerous (and the 2022 ``global``) → critical — picklescan's denylist is the code-execution
and network modules (os, posix, subprocess, builtins eval/exec, socket, webbrowser …);
``dangerous (promoted by --strict)`` → high (an import off picklescan's allow-list that only the
user's strict policy made dangerous); suspicious → low (not on either list; picklescan does not count
it as an infection); any other word → medium with a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import ClassVar

from mlspm.enums import ScanResultKind, Severity
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.formats.modelscan_report import ScanRecord, write_records
from mlspm.ingest.scans import split_member
from mlspm.ingest.source import Sample

SCANNER = "picklescan"
STRICT = " (promoted by --strict)"
SEVERITY_MAP = {
    "dangerous": Severity.CRITICAL,
    "global": Severity.CRITICAL,
    "suspicious": Severity.LOW,
}
STRICT_SEVERITY = Severity.HIGH
UNKNOWN_SEVERITY = Severity.MEDIUM
MAX_LINE = 64 * 1024
"""Longer lines are rejected without matching (a file id plus a finding is far shorter)."""

_FINDING = re.compile(
    r"^(?P<file>.+): (?P<what>(?P<safety>[A-Za-z]+) import '(?P<module>[^' ]+) (?P<name>[^']+)' FOUND)"
    r"(?P<strict> \(promoted by --strict\))?\s*$"
)
# Wrappers (AUTOMATIC1111, SD.Next) print the finding without quotes.
_FINDING_BARE = re.compile(
    r"^(?P<file>.+): (?P<what>(?P<safety>dangerous|suspicious|global) import (?P<module>\S+) "
    r"(?P<name>\S.*?) FOUND)(?P<strict> \(promoted by --strict\))?\s*$"
)
_ERRORS = (
    re.compile(r"^ERROR: parsing pickle in (?P<file>.+?): (?P<message>.*)$"),
    re.compile(r"^WARNING: could not parse (?P<file>.+?) as pickle: (?P<message>.*)$"),
)
_SCANNING_MEMBER = re.compile(r"^Scanning file (?P<member>.+) in zip archive (?P<file>.+)$")
_SCANNING = re.compile(r"^Scanning file (?P<file>.+)$")
_SUMMARY = re.compile(r"^-{3,} SCAN SUMMARY -{3,}\s*$")
_COUNT = re.compile(
    r"^(?P<label>Scanned files|Infected files|Suspicious globals|Dangerous globals): (?P<n>\d+)\s*$"
)
# Lines that are picklescan's but carry no result: the -g globals list and DEBUG chatter.
_NOISE = re.compile(
    r"^(?:\s*\* \S+ - \w+|Global imports in .+: .*|Files in archive .+: .*|Request: .*|Response: .*)\s*$"
)


class PicklescanText:
    """picklescan CLI output (captured stdout), current and 2022 wordings."""

    name: ClassVar[str] = "picklescan"
    title: ClassVar[str] = "picklescan text output"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        lines = sample.lines[:200]
        if not lines or sample.stripped.startswith(("{", "[")):
            return NO
        summary = any(_SUMMARY.match(line) for line in lines)
        findings = sum(1 for line in lines if _FINDING.match(line) or _FINDING_BARE.match(line))
        ours = sum(1 for line in lines if _is_picklescan_line(line))
        if summary and ours >= len(lines) // 2:
            return CERTAIN
        if findings and ours * 2 >= len(lines):
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        parsed = list(ctx.lines())
        reader = _Reader(ctx)
        records = reader.read(parsed)
        if not records and not reader.counts:
            raise ValueError("no picklescan result or summary line in the file")
        write_records(ctx, records, scanner=SCANNER)


class _Reader:
    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.counts: dict[str, int] = {}
        self.unknown: Counter[str] = Counter()

    def read(self, lines: list[tuple[int, str]]) -> list[ScanRecord]:
        # DEBUG "Scanning file" lines name the files opened: they decide where a file id's member starts.
        known = {
            m.group("file")
            for _, text in lines
            if (m := _SCANNING_MEMBER.match(text) or _SCANNING.match(text))
        }
        records: list[ScanRecord] = []
        flagged: set[tuple[str, str | None]] = set()
        dangerous = 0
        for number, text in lines:
            record = self._line(number, text, known)
            if record is None:
                continue
            if record.reject:
                self.ctx.reject(number, "line", record.reject, text)
                continue
            records.append(record)
            if record.kind == ScanResultKind.ISSUE and record.severity in ("critical", "high"):
                flagged.add((record.target, record.member))
                dangerous += 1
        for raw, count in sorted(self.unknown.items()):
            self.ctx.warn(
                f"{count} finding(s) with unknown picklescan safety {raw!r} stored as {UNKNOWN_SEVERITY.value}"
            )
        self._check_summary(len(flagged), dangerous)
        return records

    def _line(self, number: int, text: str, known: set[str]) -> ScanRecord | None:
        if len(text) > MAX_LINE:
            # No picklescan line is this long; skipping the patterns keeps a hostile line cheap.
            return ScanRecord(
                ScanResultKind.ISSUE, "", None, text, reject=f"line longer than {MAX_LINE} characters"
            )
        found = _FINDING.match(text) or _FINDING_BARE.match(text)
        if found:
            return self._finding(number, text, found, known)
        for pattern in _ERRORS:
            error = pattern.match(text)
            if error:
                target, member = split_member(error.group("file"), known)
                return ScanRecord(
                    ScanResultKind.ERROR,
                    target,
                    member,
                    text,
                    rule_id=f"{SCANNER}:error",
                    message=error.group("message").strip() or text,
                    position=number,
                )
        scanning = _SCANNING_MEMBER.match(text)
        if scanning:
            return ScanRecord(
                ScanResultKind.SCANNED,
                scanning.group("file"),
                scanning.group("member"),
                text,
                position=number,
            )
        scanning = _SCANNING.match(text)
        if scanning:
            return ScanRecord(ScanResultKind.SCANNED, scanning.group("file"), None, text, position=number)
        count = _COUNT.match(text)
        if count:
            self.counts[count.group("label")] = int(count.group("n"))
            return None
        if _SUMMARY.match(text) or _NOISE.match(text):
            return None
        return ScanRecord(
            ScanResultKind.ISSUE, "", None, text, reject="not a picklescan result, error or summary line"
        )

    def _finding(self, number: int, text: str, found: re.Match[str], known: set[str]) -> ScanRecord:
        safety = found.group("safety")
        strict = bool(found.group("strict"))
        severity = STRICT_SEVERITY if strict else SEVERITY_MAP.get(safety.lower())
        if severity is None:
            self.unknown[safety] += 1
            severity = UNKNOWN_SEVERITY
        target, member = split_member(found.group("file"), known)
        return ScanRecord(
            ScanResultKind.ISSUE,
            target,
            member,
            text,
            rule_id=f"{SCANNER}:{safety.lower()}",
            severity_raw=safety + (STRICT if strict else ""),
            severity=severity.value,
            message=found.group("what") + (STRICT if strict else ""),
            module_operator=f"{found.group('module')}.{found.group('name').strip()}",
            position=number,
        )

    def _check_summary(self, infected: int, dangerous: int) -> None:
        """The summary's counts against the lines read: a mismatch means lines are missing."""
        said = self.counts.get("Infected files")
        if said is not None and said != infected:
            self.ctx.warn(f"the summary says {said} infected file(s) but {infected} are listed")
        said = self.counts.get("Dangerous globals")
        if said is not None and said != dangerous:
            self.ctx.warn(f"the summary says {said} dangerous global(s) but {dangerous} are listed")


def _is_picklescan_line(line: str) -> bool:
    return bool(
        _FINDING.match(line)
        or _FINDING_BARE.match(line)
        or _SUMMARY.match(line)
        or _COUNT.match(line)
        or any(p.match(line) for p in _ERRORS)
        or _SCANNING.match(line)
        or _NOISE.match(line)
    )
