"""The Markdown report: the HTML report's content for tickets and wikis (text bars instead of charts).

Values from the database are attacker-controlled: :func:`md` shows control characters as escapes,
turns newlines into a visible ``\\n`` (a cell never breaks its table) and backslash-escapes every
character Markdown or HTML would act on, so a value is always shown as the text it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mlspm.report import wording as w
from mlspm.report.model import SEVERITIES, STATUSES, Activity, ReportData, ReportFinding, TriageChange
from mlspm.text import printable

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&#!])")
_HEX = re.compile(r"^[0-9a-f]{1,64}$")
_BLOCKS = "▁▂▃▄▅▆▇█"


def md(value: object) -> str:
    """Untrusted text as inert Markdown text, on one line."""
    return _SPECIAL.sub(r"\\\1", printable(value))


def _fp(value: str) -> str:
    return f"`{value}`" if _HEX.match(value) else md(value)


def _or_dash(value: object) -> str:
    return md(value) if value not in (None, "") else "—"


def table(head: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A GFM table; ``align`` has one letter per column (l or r)."""
    marks = ["---:" if (align[i : i + 1] == "r") else "---" for i in range(len(head))]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(marks) + "|"]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    return [*out, ""]


def bar(n: int, biggest: int, width: int = 24) -> str:
    return "█" * round(width * n / biggest) if biggest and n else ""


def sparkline(activity: Activity) -> str:
    """Events per bin as block characters (``·`` for none); the finding's window between ``[`` and ``]``."""
    counts = activity.counts
    biggest = max((v for _, v in counts), default=0) or 1
    step = (counts[1][0] - counts[0][0]) if len(counts) > 1 else None
    w0, w1 = activity.window
    chars: list[str] = []
    inside_before = False
    for at, v in counts:
        inside = step is not None and at + step > w0 and at <= w1
        if inside and not inside_before:
            chars.append("[")
        if inside_before and not inside:
            chars.append("]")
        chars.append("·" if v == 0 else _BLOCKS[min(len(_BLOCKS) - 1, (v * len(_BLOCKS) - 1) // biggest)])
        inside_before = inside
    if inside_before:
        chars.append("]")
    return "".join(chars)


def render(data: ReportData) -> str:
    lines: list[str] = []
    lines += _header(data)
    lines += _summary(data)
    lines += _findings(data)
    lines += _appendix(data)
    s = data.stamp
    lines.append(
        f"*Generated {md(w.when(s.generated_at, seconds=True))} by mlspm {md(s.mlspm_version)} from "
        f"{md(s.database)}; inputs digest `{s.inputs_digest}`. Text from input files is escaped.*"
    )
    return "\n".join(lines).rstrip("\n") + "\n"


def _header(data: ReportData) -> list[str]:
    s = data.stamp
    return [
        f"# {md(w.TITLE)}",
        "",
        *table(
            ("", ""),
            [
                ("Generated", f"{md(w.when(s.generated_at, seconds=True))} by mlspm {md(s.mlspm_version)}"),
                ("Database", md(s.database)),
                ("Analysis", md(w.run(data.changes.latest))),
                ("Scope", md(w.scope(data))),
                (
                    "Inputs",
                    f"{md(w.plural(s.input_files, 'distinct file'))}; digest `{s.inputs_digest}` "
                    "(sha256 over the sorted sha256 of every file; each file in Appendix A)",
                ),
            ],
        ),
    ]


def _summary(data: ReportData) -> list[str]:
    urgent = [rf for rf in data.findings if rf.is_open and rf.finding.severity in ("critical", "high")]
    c = data.changes
    new = f"**{len(c.new)}** new since the previous run" if c.previous else "first analysis"
    out = [
        "## 1. Executive summary",
        "",
        f"**{len(data.findings):,}** findings in scope · **{data.open_count():,}** need attention · "
        f"**{len(urgent):,}** critical or high and open · {new} · **{data.suppressed_count():,}** accepted "
        "or suppressed",
        "",
        "### Key incidents",
        "",
    ]
    if urgent:
        for i, rf in enumerate(urgent[: w.KEY_INCIDENTS], start=1):
            f = rf.finding
            out.append(
                f"{i}. **{md(w.severity(f.severity))}** {md(f.title)} — {md(f.summary)} ({_fp(f.fingerprint)})"
            )
        out.append("")
    else:
        out += ["No open critical or high finding in scope.", ""]
    counts = data.severity_counts()
    biggest = max(counts.values(), default=0)
    out += ["### Severity mix", ""]
    out += table(
        ("severity", "findings", ""),
        [(md(w.severity(s)), str(counts.get(s, 0)), bar(counts.get(s, 0), biggest)) for s in SEVERITIES],
        "lrl",
    )
    matrix = data.matrix()
    totals = data.status_counts()
    out += ["### Severity by triage status", ""]
    out += table(
        ("severity", *(md(w.status(s)) for s in STATUSES), "total"),
        [
            (
                md(w.severity(sev)),
                *(str(matrix[sev][s] or "") for s in STATUSES),
                str(sum(matrix[sev].values())),
            )
            for sev in SEVERITIES
        ]
        + [("**total**", *(str(totals.get(s, 0)) for s in STATUSES), str(len(data.findings)))],
        "l" + "r" * (len(STATUSES) + 1),
    )
    if data.daily_activity:
        first, last = data.daily_activity[0][0], data.daily_activity[-1][0]
        peak = max(data.daily_activity, key=lambda d: d[1])
        total = sum(n for _, n in data.daily_activity)
        out += [
            "### Activity",
            "",
            f"{total:,} access events from {w.day(first)} to {w.day(last)} (peak {peak[1]:,} on {w.day(peak[0])}); "
            "the key incidents began on: "
            + (
                ", ".join(
                    f"{w.day(rf.finding.first_seen)} ({md(rf.finding.title)})"
                    for rf in urgent[: w.KEY_INCIDENTS]
                )
                or "—"
            )
            + ".",
            "",
        ]
    if data.posture:
        out += [
            "### Posture per framework",
            "",
            "Controls the analyzer pack checks, and those with open findings in this report.",
            "",
        ]
        rows = []
        for p in data.posture:
            top = ", ".join(f"{c.control_id} {c.title} ({c.open_findings})" for c in p.controls_with_open[:4])
            if len(p.controls_with_open) > 4:
                top += f", +{len(p.controls_with_open) - 4} more"
            rows.append(
                (
                    f"{md(p.name)} {md(p.version)}",
                    f"{p.controls_covered} / {p.controls_total}",
                    str(len(p.controls_with_open)),
                    str(p.open_findings),
                    _or_dash(top),
                )
            )
        out += table(
            (
                "framework",
                "controls checked",
                "controls with open findings",
                "open findings",
                "most affected",
            ),
            rows,
            "lrrrl",
        )
    out += _changes(data)
    return out


def _changes(data: ReportData) -> list[str]:
    c = data.changes
    out = ["### What changed since the previous analysis", ""]
    if c.latest is None:
        return [*out, "The database has not been analyzed yet.", ""]
    if c.previous is None:
        out += [f"This is the first analysis ({md(w.run(c.latest))}): every finding is new.", ""]
    else:
        out += [
            f"Since the previous analysis ({md(w.run(c.previous))}) to the latest ({md(w.run(c.latest))}):",
            "",
        ]
        for title, refs, empty in (
            ("New findings", c.new, "No new finding."),
            ("No longer firing", c.no_longer_firing, "Every finding still fires."),
        ):
            out += [f"#### {title} ({len(refs)})", ""]
            if refs:
                out += [
                    f"- **{md(w.severity(r.severity))}** {md(r.title)} — {md(r.summary)} ({_fp(r.fingerprint)})"
                    for r in refs
                ]
            else:
                out.append(empty)
            out.append("")
    out += [f"#### Triage changes ({len(c.triage)})", ""]
    out += _history(c.triage, with_finding=True) if c.triage else ["None.", ""]
    return out


def _history(changes: Sequence[TriageChange], *, with_finding: bool) -> list[str]:
    head = ["when", "who", "change", "assignee", "expires", "note"]
    if with_finding:
        head.insert(0, "finding")
    rows = []
    for c in changes:
        row = [
            md(w.when(c.at)),
            md(c.actor),
            f"{md(w.status(c.before))} → **{md(w.status(c.after))}**",
            _or_dash(c.assignee),
            md(w.when(c.expires_at)) if c.expires_at else "—",
            _or_dash(c.note),
        ]
        if with_finding:
            row.insert(0, _fp(c.fingerprint))
        rows.append(row)
    return table(head, rows)


def _findings(data: ReportData) -> list[str]:
    out = ["## 2. Findings", ""]
    groups = data.by_severity()
    if not data.findings:
        out += ["No finding matches the scope of this report.", ""]
    for sev in SEVERITIES:
        group = groups.get(sev) or []
        if group:
            out += [f"### {md(w.severity(sev))} ({len(group)})", ""]
            for rf in group:
                out += _finding(data, rf)
    return out


def _finding(data: ReportData, rf: ReportFinding) -> list[str]:
    f = rf.finding
    flags = [f"**{md(w.severity(f.severity))}**", md(w.status(f.status))]
    if rf.new_in_latest_run:
        flags.append("new")
    if not f.active:
        flags.append("no longer firing")
    if f.suppressed_by:
        flags.append("suppressed by config")
    rule = rf.rule
    facts = [
        ("Analyzer", md(f.analyzer_id + (f" v{rule.version}" if rule else ""))),
        ("Category", md(f.category.replace("_", " "))),
        ("Principal", _or_dash(f.principal)),
        ("Asset", _or_dash(f.asset_id)),
        ("Resource", _or_dash(f.resource)),
        ("Activity", f"{md(w.when(f.first_seen))} → {md(w.when(f.last_seen))}"),
        ("Detected", f"{md(w.when(f.first_detected_at))} first, {md(w.when(f.last_detected_at))} last"),
        ("Evidence", md(w.plural(f.evidence_count, "row"))),
    ]
    if f.suppressed_by:
        facts.append(("Suppressed by", md(f.suppressed_by)))
    out = [
        f"#### {md(f.title)}",
        "",
        " · ".join(flags) + f" · {_fp(f.fingerprint)}",
        "",
        f"> {md(f.summary)}",
        "",
        *table(("", ""), facts),
    ]
    out += _decision(rf)
    if rf.activity:
        a = rf.activity
        out += [
            f"**Activity** of {md(a.subject_kind)} {md(a.subject)} per {md(a.bin)}, {md(w.when(a.start))} to "
            f"{md(w.when(a.end))} (finding window in brackets, peak "
            f"{max((v for _, v in a.counts), default=0):,}): `{sparkline(a)}`",
            "",
        ]
    if rf.events:
        shown = len(rf.events)
        title = f"first {shown} of {f.evidence_count:,} rows" if f.evidence_count > shown else f"{shown} rows"
        out += [f"**Evidence** ({title})", ""]
        out += table(
            ("time", "principal", "action", "resource", "outcome", "source ip"),
            [
                (
                    md(w.when(e.ts, seconds=True)),
                    _or_dash(e.principal),
                    md(e.action),
                    _or_dash(e.resource),
                    md(e.outcome),
                    _or_dash(e.source_ip),
                )
                for e in rf.events
            ],
        )
    if rf.scans:
        out += ["**Scan results**", ""]
        out += table(
            ("scanned", "scanner", "file", "severity", "operator", "message"),
            [
                (
                    md(w.when(s.scanned_at)),
                    md(s.scanner),
                    md(f"{s.target} :: {s.member}" if s.member else s.target),
                    _or_dash(s.severity),
                    _or_dash(s.operator),
                    _or_dash(s.message),
                )
                for s in rf.scans
            ],
        )
    out += _asset(rf)
    if rf.history:
        out += [f"**Triage history** ({len(rf.history)})", ""]
        out += _history(rf.history, with_finding=False)
    out += _guidance(data, rf)
    out += ["---", ""]
    return out


def _decision(rf: ReportFinding) -> list[str]:
    f = rf.finding
    if f.triaged_at is None:
        return [
            f"**Triage decision:** open, not triaged yet; first detected {md(w.when(f.first_detected_at))}.",
            "",
        ]
    parts = [
        f"**Triage decision:** {md(w.status(f.status))} by {md(f.triaged_by)} on {md(w.when(f.triaged_at))}"
    ]
    if f.assignee:
        parts.append(f"assignee {md(f.assignee)}")
    if f.expires_at is not None:
        parts.append(f"expires {md(w.when(f.expires_at))}")
    out = ["; ".join(parts) + ".", ""]
    if f.note:
        out += [f"> Note: {md(f.note)}", ""]
    return out


def _asset(rf: ReportFinding) -> list[str]:
    f = rf.finding
    if not f.asset_id:
        return []
    a = rf.asset
    if a is None:
        line = f"{md(f.asset_id)} (not in the inventory)"
    else:
        line = f"{md(a.asset_id)} ({md(a.name)}) — " + " · ".join(f"{k} {md(v)}" for k, v in w.asset_facts(a))
    out = [f"**Asset and lineage:** {line}", ""]
    links, hidden = w.lineage_rows(rf.upstream, rf.downstream)
    if links:
        out += table(
            ("direction", "hops", "relation"),
            [(d, str(x.depth), f"{md(x.src)} *{md(w.relation(x.relation))}* {md(x.dst)}") for d, x in links],
            "lrl",
        )
        if hidden:
            out += [f"{w.plural(hidden, 'more link')} not shown.", ""]
    else:
        out += ["No lineage recorded for this asset.", ""]
    return out


def _guidance(data: ReportData, rf: ReportFinding) -> list[str]:
    rule = rf.rule
    tags = ", ".join(
        md(t) + (f" ({md(title)})" if (title := w.control_title(data, t)) else "")
        for t in rf.finding.frameworks
    )
    if rule is None:
        out = [f"No metadata for analyzer {md(rf.finding.analyzer_id)} in this mlspm.", ""]
        return out + ([f"**Framework tags:** {tags}", ""] if tags else [])
    out = [
        f"**About this analyzer:** {md(rule.description)}",
        "",
        f"**Why it matters:** {md(rule.risk)}",
        "",
        f"**What to do:** {md(rule.remediation)}",
        "",
    ]
    if rule.references:
        out += ["**References:**", "", *(f"- {md(r)}" for r in rule.references), ""]
    if tags:
        out += [f"**Framework tags:** {tags}", ""]
    return out


def _appendix(data: ReportData) -> list[str]:
    out = ["## Appendix A — Inputs", ""]
    loaded = sum(x.rows_loaded for x in data.inputs)
    rejected = sum(x.rows_rejected for x in data.inputs)
    out += [
        f"{md(w.plural(len(data.inputs), 'file load'))}: {loaded:,} records loaded, {rejected:,} rejected. "
        f"Inputs digest `{data.stamp.inputs_digest}`.",
        "",
    ]
    shown = data.inputs[: w.MAX_INPUT_ROWS]
    base = w.common_folder([x.path for x in shown])
    if base:
        out += [f"Files are named relative to {md(base)}.", ""]
    if shown:
        out += table(
            ("#", "file", "format", "status", "sha256", "rows", "duplicates", "rejects"),
            [
                (
                    str(i),
                    md(w.relative(x.path, base)),
                    _or_dash(x.format),
                    md(x.status),
                    _or_dash(x.sha256),
                    f"{x.rows_loaded:,}",
                    f"{x.rows_duplicate:,}" if x.rows_duplicate else "",
                    f"{x.rows_rejected:,}" if x.rows_rejected else "",
                )
                for i, x in enumerate(shown, start=1)
            ],
            "rllllrrr",
        )
    if len(data.inputs) > len(shown):
        out += [f"{len(data.inputs) - len(shown):,} more files are listed in the JSON and SARIF reports.", ""]
    out += ["## Appendix B — Rejected records", ""]
    if data.rejects:
        out += table(
            ("reason", "records", "files"),
            [(md(r.reason), f"{r.records:,}", f"{r.files:,}") for r in data.rejects],
            "lrr",
        )
    else:
        out += ["No record was rejected.", ""]
    out += ["## Appendix C — Analyzers and thresholds", "", f"{md(w.run(data.changes.latest))}.", ""]
    if data.analyzer_runs:
        rows = []
        for r in data.analyzer_runs:
            params = w.parameters(r.parameters, r.changed(), r.defaults)
            rows.append(
                (
                    md(r.analyzer_id),
                    md(r.version) if r.version is not None else "—",
                    md(r.status) + (f" ({md(r.error)})" if r.error else ""),
                    str(r.fired) if r.fired is not None and r.status == "ok" else "—",
                    "; ".join(md(p) for p in params) or "—",
                )
            )
        out += table(("analyzer", "version", "status", "fired", "thresholds used"), rows, "lrlrl")
    else:
        out += ["No analysis run recorded.", ""]
    return out
