"""The HTML report: one self-contained page (inline CSS and SVG, no script, no external resource).

Every value from the database is attacker-controlled text (it came from input files): it goes through
:func:`_e` — control characters made visible, then HTML-escaped — and nowhere else. A Content-Security-
Policy meta tag forbids scripts and every network load, should anything slip through anyway.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC

from mlspm.report import charts
from mlspm.report import wording as w
from mlspm.report.model import (
    SEVERITIES,
    STATUSES,
    FindingRef,
    LineageLink,
    ReportData,
    ReportFinding,
    TriageChange,
)
from mlspm.text import printable

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _e(value: object) -> str:
    """Untrusted text as HTML text: control characters shown as escapes, then entity-escaped."""
    return html.escape(printable(value, newlines=True), quote=True)


def _code(value: object) -> str:
    return f"<code>{_e(value)}</code>" if value not in (None, "") else "—"


def _anchor(fingerprint: str) -> str:
    # fingerprints are hex from the engine; escaped anyway, as everything from the database is
    return "f-" + _e(fingerprint)


def render(data: ReportData) -> str:
    """The whole report as an HTML document."""
    key = _key_incidents(data)
    body = [
        _cover(data),
        _toc(data),
        _summary(data, key),
        _findings(data),
        _appendix(data),
        _footer(data),
    ]
    title = f"{w.TITLE} — {w.when(data.stamp.generated_at)}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="mlspm {_e(data.stamp.mlspm_version)}">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


# -- cover and contents ------------------------------------------------------------------------------


def _cover(data: ReportData) -> str:
    s = data.stamp
    total = len(data.findings)
    return f"""<header class="cover">
<div class="brand">mlspm · ML security posture management</div>
<h1>{_e(w.TITLE)}</h1>
<p class="lede">{_e(w.plural(total, "finding"))} in scope · {_e(w.plural(data.open_count(), "needs", "need"))} \
attention · generated {_e(w.when(s.generated_at, seconds=True))}</p>
<dl class="stamp">
<dt>Generated</dt><dd>{_e(w.when(s.generated_at, seconds=True))} by mlspm {_e(s.mlspm_version)}</dd>
<dt>Database</dt><dd>{_code(s.database)}</dd>
<dt>Analysis</dt><dd>{_e(w.run(data.changes.latest))}</dd>
<dt>Scope</dt><dd>{_e(w.scope(data))}</dd>
<dt>Inputs</dt><dd>{_e(w.plural(s.input_files, "distinct file"))}; digest {_code(s.inputs_digest)} \
(sha256 over the sorted sha256 of every file; each file in <a href="#inputs">Appendix A</a>)</dd>
</dl>
</header>"""


def _toc(data: ReportData) -> str:
    groups = data.by_severity()
    items = [
        f'<li><a href="#sev-{_e(sev)}">{_e(w.severity(sev))}</a> <span class="muted">({len(groups[sev])})</span></li>'
        for sev in SEVERITIES
        if groups.get(sev)
    ]
    return f"""<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>
<li><a href="#summary">Executive summary</a></li>
<li><a href="#findings">Findings</a><ol>{"".join(items)}</ol></li>
</ol><ul class="appendices">
<li><a href="#inputs">Appendix A — Inputs</a></li>
<li><a href="#rejects">Appendix B — Rejected records</a></li>
<li><a href="#analyzers">Appendix C — Analyzers and thresholds</a></li>
</ul></nav>"""


# -- executive summary -------------------------------------------------------------------------------


def _key_incidents(data: ReportData) -> list[ReportFinding]:
    chosen = [rf for rf in data.findings if rf.is_open and rf.finding.severity in ("critical", "high")]
    return chosen[: w.KEY_INCIDENTS]


def _summary(data: ReportData, key: list[ReportFinding]) -> str:
    counts = data.severity_counts()
    urgent = sum(1 for rf in data.findings if rf.is_open and rf.finding.severity in ("critical", "high"))
    tiles = [
        ("Findings in scope", len(data.findings), ""),
        ("Need attention", data.open_count(), "open, investigating or confirmed; still firing"),
        ("Critical or high, open", urgent, ""),
        ("New since previous run", len(data.changes.new), "" if data.changes.previous else "first analysis"),
        ("Accepted or suppressed", data.suppressed_count(), "false positive, risk accepted, or by config"),
    ]
    tile_html = "".join(
        f'<div class="tile"><div class="num">{n:,}</div><div class="lbl">{_e(label)}</div>'
        + (f'<div class="sub">{_e(sub)}</div>' if sub else "")
        + "</div>"
        for label, n, sub in tiles
    )
    severity_chart = charts.hbars(
        "Findings by severity",
        [(w.severity(s), counts.get(s, 0), charts.SEVERITY_COLOR[s]) for s in SEVERITIES],
    )
    status_counts = data.status_counts()
    status_chart = charts.hbars(
        "Findings by triage status",
        [(w.status(s), status_counts.get(s, 0), charts.STATUS_COLOR[s]) for s in STATUSES],
    )
    parts = [
        '<section id="summary"><h2>1. Executive summary</h2>',
        f'<div class="tiles">{tile_html}</div>',
        _key_list(key),
        '<div class="cols"><figure><figcaption>Severity mix</figcaption>',
        severity_chart,
        "</figure><figure><figcaption>Triage status</figcaption>",
        status_chart,
        "</figure></div>",
        _matrix(data),
        _timeline(data, key),
        _posture(data),
        _changes(data),
        "</section>",
    ]
    return "\n".join(parts)


def _key_list(key: list[ReportFinding]) -> str:
    if not key:
        return '<p class="ok">No open critical or high finding in scope.</p>'
    rows = "".join(
        f'<li><span class="badge sev-{_e(rf.finding.severity)}">{_e(w.severity(rf.finding.severity))}</span> '
        f'<a href="#{_anchor(rf.finding.fingerprint)}">{_e(rf.finding.title)}</a> — '
        f"{_e(rf.finding.summary)}</li>"
        for rf in key
    )
    return f'<h3>Key incidents</h3><ol class="key">{rows}</ol>'


def _matrix(data: ReportData) -> str:
    table = data.matrix()
    head = "".join(f"<th class='num'>{_e(w.status(s))}</th>" for s in STATUSES)
    rows = []
    for sev in SEVERITIES:
        cells = "".join(f"<td class='num'>{table[sev][s] or ''}</td>" for s in STATUSES)
        total = sum(table[sev].values())
        rows.append(
            f'<tr><th><span class="badge sev-{sev}">{_e(w.severity(sev))}</span></th>{cells}'
            f"<td class='num total'>{total}</td></tr>"
        )
    totals = data.status_counts()
    foot = "".join(f"<td class='num total'>{totals.get(s, 0)}</td>" for s in STATUSES)
    return (
        '<h3>Severity by triage status</h3><table class="matrix"><thead><tr><th>severity</th>'
        f"{head}<th class='num'>total</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        f"<tfoot><tr><th>total</th>{foot}<td class='num total'>{len(data.findings)}</td></tr></tfoot></table>"
    )


def _timeline(data: ReportData, key: list[ReportFinding]) -> str:
    markers = [
        (rf.finding.first_seen, str(i), rf.finding.severity)
        for i, rf in enumerate(key, start=1)
        if rf.finding.first_seen is not None
    ]
    svg = charts.timeline("Access events per day, with the key incidents", data.daily_activity, markers)
    if not svg:
        return '<h3>Activity</h3><p class="muted">No access events loaded.</p>'
    legend = "".join(
        f'<li value="{i}"><a href="#{_anchor(rf.finding.fingerprint)}">{_e(rf.finding.title)}</a> '
        f'<span class="muted">from {_e(w.when(rf.finding.first_seen))}</span></li>'
        for i, rf in enumerate(key, start=1)
        if rf.finding.first_seen is not None
    )
    return (
        f'<h3>Activity timeline</h3><figure class="wide">{svg}'
        + (f'<figcaption>Markers: <ol class="legend">{legend}</ol></figcaption>' if legend else "")
        + "</figure>"
    )


def _posture(data: ReportData) -> str:
    if not data.posture:
        return ""
    rows = []
    for p in data.posture:
        top = ", ".join(f"{c.control_id} {c.title} ({c.open_findings})" for c in p.controls_with_open[:4])
        more = len(p.controls_with_open) - 4
        if more > 0:
            top += f", +{more} more"
        rows.append(
            f"<tr><th>{_e(p.name)} <span class='muted'>{_e(p.version)}</span></th>"
            f"<td class='num'>{p.controls_covered} / {p.controls_total}</td>"
            f"<td class='num{' alert' if p.controls_with_open else ''}'>{len(p.controls_with_open)}</td>"
            f"<td class='num'>{p.open_findings}</td><td>{_e(top) or '—'}</td></tr>"
        )
    return (
        "<h3>Posture per framework</h3>"
        '<p class="muted">Controls the analyzer pack checks, and those with open findings in this report '
        "(open, investigating or confirmed; still firing; not suppressed).</p>"
        '<table class="posture"><thead><tr><th>framework</th><th class="num">controls<br>checked</th>'
        '<th class="num">controls with<br>open findings</th><th class="num">open<br>findings</th>'
        f"<th>most affected controls (open findings)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _changes(data: ReportData) -> str:
    c = data.changes
    if c.latest is None:
        return '<h3>What changed</h3><p class="muted">The database has not been analyzed yet.</p>'
    if c.previous is None:
        intro = (
            f"This is the first analysis ({_e(w.run(c.latest))}): every finding is new. "
            "Triage decisions recorded so far:"
        )
    else:
        intro = (
            f"Since the previous analysis ({_e(w.run(c.previous))}) to the latest ({_e(w.run(c.latest))}):"
        )
    parts = [f"<h3>What changed since the previous analysis</h3><p>{intro}</p>"]
    if c.previous is not None:
        parts.append(_ref_list(f"New findings ({len(c.new)})", c.new, "No new finding."))
        parts.append(
            _ref_list(
                f"No longer firing ({len(c.no_longer_firing)})",
                c.no_longer_firing,
                "Every finding still fires.",
            )
        )
    title = f"Triage changes ({len(c.triage)})"
    if c.triage:
        parts.append(f"<h4>{_e(title)}</h4>" + _history_table(c.triage, with_finding=True, data=data))
    else:
        parts.append(f"<h4>{_e(title)}</h4><p class='muted'>None.</p>")
    return "\n".join(parts)


def _ref_list(title: str, refs: Sequence[FindingRef], empty: str) -> str:
    if not refs:
        return f"<h4>{_e(title)}</h4><p class='muted'>{_e(empty)}</p>"
    items = "".join(
        f'<li><span class="badge sev-{_e(r.severity)}">{_e(w.severity(r.severity))}</span> '
        f"{_e(r.title)} — {_e(r.summary)} <code class='fp'>{_e(r.fingerprint)}</code></li>"
        for r in refs
    )
    return f"<h4>{_e(title)}</h4><ul class='refs'>{items}</ul>"


# -- findings ----------------------------------------------------------------------------------------


def _findings(data: ReportData) -> str:
    groups = data.by_severity()
    # An analyzer's description, risk and references are printed in full once, with the first of its
    # findings; the others repeat only what to do and point there (a report can hold dozens of each).
    first: dict[str, str] = {}
    for sev in SEVERITIES:
        for rf in groups.get(sev) or []:
            first.setdefault(rf.finding.analyzer_id, rf.finding.fingerprint)
    parts = ['<section id="findings"><h2>2. Findings</h2>']
    if not data.findings:
        parts.append('<p class="muted">No finding matches the scope of this report.</p>')
    for sev in SEVERITIES:
        group = groups.get(sev) or []
        if not group:
            continue
        parts.append(
            f'<h2 class="group" id="sev-{sev}"><span class="badge sev-{sev}">{_e(w.severity(sev))}</span> '
            f"{_e(w.plural(len(group), 'finding'))}</h2>"
        )
        parts.extend(_finding(data, rf, first) for rf in group)
    parts.append("</section>")
    return "\n".join(parts)


def _finding(data: ReportData, rf: ReportFinding, first: dict[str, str]) -> str:
    f = rf.finding
    chips = [f'<span class="chip st-{_e(f.status)}">{_e(w.status(f.status))}</span>']
    if rf.new_in_latest_run:
        chips.append('<span class="chip new">new</span>')
    if not f.active:
        chips.append('<span class="chip muted">no longer firing</span>')
    if f.suppressed_by:
        chips.append('<span class="chip muted">suppressed by config</span>')
    rule = rf.rule
    analyzer = f.analyzer_id + (f" v{rule.version}" if rule else "")
    facts = [
        ("Analyzer", _code(analyzer)),
        ("Category", _e(f.category.replace("_", " "))),
        ("Principal", _code(f.principal)),
        ("Asset", _code(f.asset_id)),
        ("Resource", _code(f.resource)),
        ("Activity", f"{_e(w.when(f.first_seen))} → {_e(w.when(f.last_seen))}"),
        ("Detected", f"{_e(w.when(f.first_detected_at))} first, {_e(w.when(f.last_detected_at))} last"),
        ("Evidence", _e(w.plural(f.evidence_count, "row"))),
    ]
    if f.suppressed_by:
        facts.append(("Suppressed by", _e(f.suppressed_by)))
    fact_html = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in facts)
    parts = [
        f'<article class="finding sev-{_e(f.severity)}" id="{_anchor(f.fingerprint)}">',
        f'<div class="fhead"><span class="badge sev-{_e(f.severity)}">{_e(w.severity(f.severity))}</span> '
        f"{''.join(chips)}<h3>{_e(f.title)}</h3><code class='fp'>{_e(f.fingerprint)}</code></div>",
        f'<p class="summary">{_e(f.summary)}</p>',
        f'<div class="cols facts-row"><dl class="facts">{fact_html}</dl>{_decision(rf)}</div>',
    ]
    if rf.activity:
        a = rf.activity
        parts.append(
            f'<figure class="spark"><figcaption>Activity of {_e(a.subject_kind)} {_code(a.subject)} '
            f"per {_e(a.bin)} (UTC) around the finding</figcaption>{charts.sparkline(a, f.severity)}</figure>"
        )
    parts.append(_events(rf))
    parts.append(_scans(rf))
    parts.append(_asset(rf))
    if rf.history:
        parts.append(
            f"<h4>Triage history ({len(rf.history)})</h4>" + _history_table(rf.history, with_finding=False)
        )
    parts.append(_guidance(data, rf, first.get(f.analyzer_id, f.fingerprint)))
    parts.append("</article>")
    return "\n".join(p for p in parts if p)


def _decision(rf: ReportFinding) -> str:
    f = rf.finding
    if f.triaged_at is None:
        body = (
            f'<p><span class="chip st-open">open</span> not triaged yet; first detected '
            f"{_e(w.when(f.first_detected_at))}.</p>"
        )
    else:
        rows = [
            ("Status", f'<span class="chip st-{_e(f.status)}">{_e(w.status(f.status))}</span>'),
            ("Decided by", _e(f.triaged_by)),
            ("When", _e(w.when(f.triaged_at))),
            ("Assignee", _e(f.assignee) if f.assignee else "—"),
        ]
        if f.expires_at is not None:
            rows.append(("Expires", _e(w.when(f.expires_at))))
        body = "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"
        if f.note:
            body += f'<blockquote class="note">{_e(f.note)}</blockquote>'
    return f'<div class="decision"><h4>Triage decision</h4>{body}</div>'


def _table(
    head: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "", *, widths: Sequence[int] = ()
) -> str:
    """A table; ``widths`` (percent per column) fix the layout, so long cells wrap instead of widening."""
    cols = "".join(f'<col style="width:{n}%">' for n in widths)
    colgroup = f"<colgroup>{cols}</colgroup>" if cols else ""
    style = ' style="table-layout:fixed"' if widths else ""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"{style}>{colgroup}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _events(rf: ReportFinding) -> str:
    if not rf.events:
        return ""
    f = rf.finding
    shown = len(rf.events)
    title = (
        f"Evidence — first {shown} of {f.evidence_count:,} rows" if f.evidence_count > shown else "Evidence"
    )
    rows = [
        (
            f'<span class="nowrap">{ev.ts.astimezone(UTC):%Y-%m-%d %H:%M:%S}</span>',
            _code(ev.principal),
            _e(ev.action),
            _code(ev.resource),
            f'<span class="out-{_e(ev.outcome)}">{_e(ev.outcome)}</span>',
            f'<span class="nowrap">{_e(ev.source_ip or "—")}</span>',
        )
        for ev in rf.events
    ]
    return f"<h4>{_e(title)}</h4>" + _table(
        ("time (UTC)", "principal", "action", "resource", "outcome", "source ip"), rows, "evidence"
    )


def _scans(rf: ReportFinding) -> str:
    if not rf.scans:
        return ""
    rows = [
        (
            _e(w.when(s.scanned_at)),
            _e(s.scanner),
            _code(f"{s.target} :: {s.member}" if s.member else s.target),
            _e(s.severity or "—"),
            f'<code class="nowrap">{_e(s.operator or "—")}</code>',
            _e(s.message or ""),
        )
        for s in rf.scans
    ]
    return "<h4>Scan results</h4>" + _table(
        ("scanned", "scanner", "file", "severity", "operator", "message"), rows, "evidence"
    )


def _asset(rf: ReportFinding) -> str:
    f = rf.finding
    if not f.asset_id:
        return ""
    a = rf.asset
    if a is None:
        line = f"{_code(f.asset_id)} <span class='muted'>(not in the inventory)</span>"
    else:
        line = f"{_code(a.asset_id)} <span class='muted'>{_e(a.name)}</span> — " + " · ".join(
            f"{k} {_e(v)}" for k, v in w.asset_facts(a)
        )
    parts = [f"<h4>Asset and lineage</h4><p>{line}</p>"]
    if rf.upstream or rf.downstream:
        links, hidden = w.lineage_rows(rf.upstream, rf.downstream)
        rows = [_lineage_row(direction, link) for direction, link in links]
        parts.append(_table(("direction", "hops", "relation"), rows, "lineage"))
        if hidden:
            parts.append(f'<p class="muted">{_e(w.plural(hidden, "more link"))} not shown.</p>')
    else:
        parts.append('<p class="muted">No lineage recorded for this asset.</p>')
    return "".join(parts)


def _lineage_row(direction: str, link: LineageLink) -> tuple[str, str, str]:
    return (
        direction,
        str(link.depth),
        f"{_code(link.src)} {_e(w.relation(link.relation))} {_code(link.dst)}",
    )


def _history_table(
    changes: Sequence[TriageChange], *, with_finding: bool, data: ReportData | None = None
) -> str:
    titles = {rf.finding.fingerprint: rf.finding.title for rf in data.findings} if data else {}
    head = ["when", "who", "change", "assignee", "expires", "note"]
    if with_finding:
        head.insert(0, "finding")
    rows = []
    for c in changes:
        row = [
            _e(w.when(c.at)),
            _e(c.actor),
            f"{_e(w.status(c.before))} → <b>{_e(w.status(c.after))}</b>",
            _e(c.assignee or "—"),
            _e(w.when(c.expires_at) if c.expires_at else "—"),
            f'<span class="pre">{_e(c.note or "")}</span>',
        ]
        if with_finding:
            label = titles.get(c.fingerprint, "")
            link = (
                f'<a href="#{_anchor(c.fingerprint)}">{_e(label)}</a> ' if label else ""
            ) + f"<code class='fp'>{_e(c.fingerprint)}</code>"
            row.insert(0, link)
        rows.append(row)
    return _table(head, rows, "history")


def _guidance(data: ReportData, rf: ReportFinding, first: str) -> str:
    rule = rf.rule
    tags = "".join(
        f'<span class="tag" title="{_e(w.control_title(data, t))}">{_e(t)}</span>'
        for t in rf.finding.frameworks
    )
    tag_block = f'<h5>Framework tags</h5><div class="tags">{tags}</div>' if tags else ""
    if rule is None:
        return (
            f'<div class="guidance"><p class="muted">No metadata for analyzer {_code(rf.finding.analyzer_id)} '
            f"in this mlspm.</p>{tag_block}</div>"
        )
    if first != rf.finding.fingerprint:
        return (
            '<div class="guidance">'
            f"<h5>What to do</h5><p>{_e(rule.remediation)}</p>"
            f'<p class="muted">Why it matters, how the analyzer decides and references: see '
            f'<a href="#{_anchor(first)}">the first finding of {_code(rule.id)}</a>.</p>{tag_block}</div>'
        )
    refs = "".join(f"<li>{_code(r)}</li>" for r in rule.references)
    return (
        '<div class="guidance">'
        f"<h4>About this analyzer</h4><p>{_e(rule.description)}</p>"
        f"<h5>Why it matters</h5><p>{_e(rule.risk)}</p>"
        f"<h5>What to do</h5><p>{_e(rule.remediation)}</p>"
        + (f'<h5>References</h5><ul class="refs-plain">{refs}</ul>' if refs else "")
        + tag_block
        + "</div>"
    )


# -- appendix ----------------------------------------------------------------------------------------


def _appendix(data: ReportData) -> str:
    return "\n".join([_inputs(data), _rejects(data), _analyzers(data)])


def _inputs(data: ReportData) -> str:
    shown = data.inputs[: w.MAX_INPUT_ROWS]
    base = w.common_folder([x.path for x in shown])
    rows = [
        (
            str(i),
            _code(w.relative(x.path, base)),
            _e(x.format or "—"),
            _e(x.status),
            f'<code class="hash">{_e(x.sha256)}</code>' if x.sha256 else "—",
            f"{x.rows_loaded:,}",
            f"{x.rows_duplicate:,}" if x.rows_duplicate else "",
            f"{x.rows_rejected:,}" if x.rows_rejected else "",
        )
        for i, x in enumerate(shown, start=1)
    ]
    more = len(data.inputs) - len(shown)
    note = (
        f'<p class="muted">{more:,} more files are listed in the JSON and SARIF reports.</p>'
        if more > 0
        else ""
    )
    loaded = sum(x.rows_loaded for x in data.inputs)
    rejected = sum(x.rows_rejected for x in data.inputs)
    where = f" Files are named relative to {_code(base)}." if base else ""
    return (
        '<section id="inputs" class="appendix"><h2>Appendix A — Inputs</h2>'
        f"<p>{_e(w.plural(len(data.inputs), 'file load'))}: {loaded:,} records loaded, {rejected:,} rejected. "
        f"Inputs digest {_code(data.stamp.inputs_digest)}.{where}</p>"
        + (
            _table(
                ("#", "file", "format", "status", "sha256", "rows", "dup", "rej"),
                rows,
                "inputs small",
                widths=(4, 39, 9, 7, 29, 5, 4, 3),
            )
            if rows
            else '<p class="muted">Nothing loaded yet.</p>'
        )
        + note
        + "</section>"
    )


def _rejects(data: ReportData) -> str:
    if not data.rejects:
        body = '<p class="muted">No record was rejected.</p>'
    else:
        body = _table(
            ("reason", "records", "files"),
            ((_e(r.reason), f"{r.records:,}", f"{r.files:,}") for r in data.rejects),
            "small",
        )
    return (
        '<section id="rejects" class="appendix"><h2>Appendix B — Rejected records</h2>'
        '<p class="muted">Records mlspm could not use, kept in the database with their file, position and '
        f"raw text (<code>mlspm stats</code>).</p>{body}</section>"
    )


def _analyzers(data: ReportData) -> str:
    latest = data.changes.latest
    if not data.analyzer_runs:
        body = '<p class="muted">No analysis run recorded.</p>'
    else:
        rows = []
        for r in data.analyzer_runs:
            params = w.parameters(r.parameters, r.changed(), r.defaults)
            rows.append(
                (
                    _code(r.analyzer_id),
                    _e(r.version if r.version is not None else "—"),
                    _e(r.status) + (f"<br><span class='muted'>{_e(r.error)}</span>" if r.error else ""),
                    _e(r.fired if r.fired is not None and r.status == "ok" else "—"),
                    "<br>".join(
                        f"<span class='changed'>{_e(p)}</span>" if "(default" in p else _e(p) for p in params
                    )
                    or "—",
                )
            )
        body = _table(("analyzer", "version", "status", "fired", "thresholds used"), rows, "small analyzers")
    return (
        '<section id="analyzers" class="appendix"><h2>Appendix C — Analyzers and thresholds</h2>'
        f"<p>{_e(w.run(latest))}; thresholds set away from their defaults are highlighted.</p>{body}</section>"
    )


def _footer(data: ReportData) -> str:
    s = data.stamp
    return (
        f'<footer class="foot">Generated {_e(w.when(s.generated_at, seconds=True))} by mlspm '
        f"{_e(s.mlspm_version)} from {_code(s.database)} · inputs digest {_code(s.inputs_digest)}. "
        "Text from input files is shown as text: nothing in it is interpreted as markup.</footer>"
    )


_CSS = """
:root{--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--soft:#f8fafc;--accent:#1e3a8a;
--crit:#b91c1c;--high:#ea580c;--med:#ca8a04;--low:#2563eb;--info:#6b7280}
*{box-sizing:border-box}
html{font-size:14px}
body{margin:0;background:#f3f4f6;color:var(--ink);
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 40px;background:#fff}
h1{font-size:26px;margin:4px 0 6px;letter-spacing:-.01em}
h2{font-size:20px;margin:30px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--ink)}
h2.group{font-size:17px;border-bottom:1px solid var(--line);margin-top:26px}
h3{font-size:15px;margin:18px 0 8px}
h4{font-size:13px;margin:14px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:#374151}
h5{font-size:12px;margin:10px 0 2px;color:#374151}
p{margin:6px 0}
a{color:var(--accent);text-decoration:none}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;
overflow-wrap:anywhere;word-break:break-word}
.muted{color:var(--muted)}
.ok{color:#15803d;font-weight:600}
.cover{border-bottom:4px solid var(--accent);padding-bottom:14px}
.brand{font-size:12px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:var(--accent)}
.lede{font-size:15px;color:#374151}
.stamp{display:grid;grid-template-columns:110px 1fr;gap:3px 12px;margin:12px 0 0;font-size:13px}
.stamp dt{color:var(--muted)}
.stamp dd{margin:0}
.toc{margin:16px 0;padding:10px 16px;background:var(--soft);border:1px solid var(--line);border-radius:6px}
.toc h2{font-size:13px;border:0;margin:0 0 4px;padding:0;text-transform:uppercase;letter-spacing:.05em}
.toc ol{margin:0;padding-left:20px}
.toc ul.appendices{list-style:none;margin:0;padding-left:20px}
.toc ol ol{list-style:none;padding-left:0;display:flex;flex-wrap:wrap;gap:4px 14px}
.tiles{display:grid;grid-template-columns:repeat(5,1fr);gap:10px;margin:10px 0 14px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--soft)}
.tile .num{font-size:26px;font-weight:700;line-height:1.1}
.tile .lbl{font-weight:600;font-size:12px}
.tile .sub{font-size:11px;color:var(--muted)}
.cols{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
figure{margin:8px 0}
figcaption{font-size:12px;font-weight:600;color:#374151;margin-bottom:4px}
figure.wide figcaption{font-weight:400;margin-top:4px}
.chart{display:block;max-width:100%;height:auto}
ol.key{padding-left:22px}
ol.key li{margin:5px 0}
ol.legend{margin:2px 0 0;padding-left:22px;columns:2;column-gap:28px;font-size:12px}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:12.5px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-size:11px;text-transform:uppercase;letter-spacing:.03em;color:#374151;
border-bottom:1px solid #cbd5e1}
td{overflow-wrap:break-word}
.nowrap{white-space:nowrap;overflow-wrap:normal}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.total{font-weight:700}
td.alert{color:var(--crit);font-weight:700}
table.matrix{width:auto;min-width:60%}
table.small{font-size:11.5px}
code.hash{font-size:10.5px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11px;font-weight:700;
letter-spacing:.02em;border:1px solid transparent;white-space:nowrap}
.badge.sev-critical{background:#fee2e2;color:#991b1b;border-color:#fca5a5}
.badge.sev-high{background:#ffedd5;color:#9a3412;border-color:#fdba74}
.badge.sev-medium{background:#fef9c3;color:#854d0e;border-color:#fde047}
.badge.sev-low{background:#dbeafe;color:#1e40af;border-color:#93c5fd}
.badge.sev-info{background:#f3f4f6;color:#374151;border-color:#d1d5db}
.chip{display:inline-block;padding:0 7px;margin-left:4px;border-radius:4px;font-size:11px;
border:1px solid #cbd5e1;color:#334155;background:#fff;white-space:nowrap}
.chip.st-open{border-color:#fca5a5;color:#991b1b}
.chip.st-investigating{border-color:#c4b5fd;color:#5b21b6}
.chip.st-confirmed{border-color:#fda4af;color:#9f1239;font-weight:700}
.chip.st-false_positive,.chip.muted{color:var(--muted)}
.chip.st-risk_accepted{border-color:#5eead4;color:#115e59}
.chip.st-resolved{border-color:#86efac;color:#166534}
.chip.new{border-color:#93c5fd;color:#1e40af;font-weight:700}
.finding{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;
padding:12px 16px 10px;margin:14px 0 18px;break-inside:avoid;page-break-inside:avoid}
.finding.sev-critical{border-left-color:var(--crit)}
.finding.sev-high{border-left-color:var(--high)}
.finding.sev-medium{border-left-color:var(--med)}
.finding.sev-low{border-left-color:var(--low)}
.fhead h3{margin:6px 0 2px;font-size:16px}
.fp{color:var(--muted);font-size:11px}
.summary{font-size:14px;margin:8px 0 10px;padding:8px 10px;background:var(--soft);border-radius:4px}
.facts-row{flex-wrap:nowrap}
.facts{display:grid;grid-template-columns:92px 1fr;gap:2px 10px;margin:0;flex:1.6;font-size:12.5px}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.decision{flex:1;border:1px solid var(--line);border-radius:6px;padding:6px 10px;font-size:12.5px;min-width:260px}
.decision h4{margin-top:2px}
.decision dl{display:grid;grid-template-columns:80px 1fr;gap:1px 8px;margin:0}
.decision dt{color:var(--muted)}
.decision dd{margin:0}
.note,.pre{white-space:pre-wrap}
blockquote.note{margin:6px 0 2px;padding:4px 8px;border-left:3px solid #cbd5e1;color:#374151}
.out-failure{color:var(--crit)}
.guidance{margin-top:10px;padding-top:4px;border-top:1px dashed var(--line);font-size:12.5px;color:#1f2937}
.refs-plain{margin:2px 0;padding-left:18px}
.tags{display:flex;flex-wrap:wrap;gap:4px}
.tag{font-size:11px;padding:0 6px;border-radius:3px;background:#eef2ff;color:#3730a3;border:1px solid #c7d2fe}
ul.refs{padding-left:18px}
ul.refs li{margin:3px 0}
.changed{background:#fef9c3}
.appendix h2{margin-top:36px}
.foot{margin-top:30px;padding-top:10px;border-top:1px solid var(--line);font-size:11.5px;color:var(--muted)}
@page{size:A4;margin:14mm 12mm}
@media print{
html{font-size:12px}
body{background:#fff}
main{max-width:none;padding:0}
a{color:inherit}
.toc{background:#fff}
.tile,.summary,thead th,.toc{background:#fff!important}
.finding{border-left-width:4px}
h2,h3,h4{break-after:avoid;page-break-after:avoid}
tr,figure,.decision,.tile{break-inside:avoid;page-break-inside:avoid}
#findings,.appendix{break-before:page;page-break-before:always}
.badge,.chip,.tag,.changed{print-color-adjust:exact;-webkit-print-color-adjust:exact}
table.inputs{font-size:8.5px}
table.inputs th,table.inputs td{padding:1px 3px}
table.inputs code{font-size:8.5px}
table.inputs code.hash{font-size:7.5px}
}
@media screen and (max-width:860px){.tiles{grid-template-columns:repeat(2,1fr)}.facts-row{flex-wrap:wrap}}
"""
