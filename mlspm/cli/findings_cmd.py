"""``mlspm findings`` (list, filter, export as table/JSON/CSV) and ``mlspm finding FP`` (one, in full)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.table import Table
from rich.text import Text

from mlspm.cli.analyze_cmd import _severity
from mlspm.cli.console import out, safe
from mlspm.config import Config
from mlspm.enums import Category, Severity, TriageStatus
from mlspm.errors import ConfigError
from mlspm.export import findings as export
from mlspm.findings import FindingFilter, evidence_events, evidence_scans, history, query
from mlspm.store import Store
from mlspm.triage import resolve

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
STATUS_STYLE = {
    "open": "bold",
    "investigating": "magenta",
    "confirmed": "red",
    "false_positive": "dim",
    "risk_accepted": "dim",
    "resolved": "green",
}


def _statuses(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[TriageStatus]:
    try:
        return [TriageStatus.parse(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


F = TypeVar("F", bound=Callable[..., Any])


def filter_options(command: F) -> F:
    """The finding filters ``findings`` and ``report`` share: severity, status, category, analyzer."""
    for option in reversed(
        (
            click.option(
                "--min-severity",
                callback=_severity,
                metavar="SEVERITY",
                help="info, low, medium, high or critical.",
            ),
            click.option(
                "--status",
                "statuses",
                multiple=True,
                callback=_statuses,
                metavar="STATUS",
                help="Only this triage status (repeatable): "
                + ", ".join(s.value for s in TriageStatus)
                + ".",
            ),
            click.option(
                "--category",
                "categories",
                multiple=True,
                type=click.Choice([c.value for c in Category]),
                help="Only this category (repeatable).",
            ),
            click.option(
                "--analyzer",
                "analyzer_ids",
                multiple=True,
                metavar="ID",
                help="Only this analyzer (repeatable).",
            ),
        )
    ):
        command = option(command)
    return command


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@filter_options
@click.option("--all", "include_inactive", is_flag=True, help="Include findings that no longer fire.")
@click.pass_obj
def findings(
    config: Config,
    fmt: str,
    min_severity: Severity | None,
    statuses: list[TriageStatus],
    categories: tuple[str, ...],
    analyzer_ids: tuple[str, ...],
    include_inactive: bool,
) -> None:
    """List findings, most severe first, with their triage status.

    JSON is an array of objects (fingerprint, analyzer_id, title, category, severity, principal,
    asset_id, resource, first_seen, last_seen, active, status, frameworks, evidence_count, summary, ...);
    CSV cells that would start a spreadsheet formula are neutralized.
    """
    flt = FindingFilter(
        min_severity=min_severity,
        statuses=statuses,
        categories=categories,
        analyzers=analyzer_ids,
        include_inactive=include_inactive,
    )
    with Store(config.db_path, create=False) as store, store.cursor() as cur:
        rows = query(cur, flt)
    if fmt == "json":
        click.echo(export.to_json(rows), nl=False)
        return
    if fmt == "csv":
        click.echo(export.to_csv(rows), nl=False)
        return
    if not rows:
        out.print("no findings match (run `mlspm analyze` first, or widen the filters)")
        return
    table = Table(show_edge=False, header_style="bold", expand=False)
    for col in ("fingerprint", "severity", "status", "category", "finding"):
        table.add_column(col, overflow="fold")
    for f in rows:
        line = safe(f.summary, max_len=300)
        if not f.active:
            line = Text("(no longer firing) ", style="dim") + line
        if f.suppressed_by:
            line = Text("(suppressed) ", style="dim") + line
        table.add_row(
            f.fingerprint[:12],
            safe(f.severity, style=SEVERITY_STYLE.get(f.severity, "")),
            safe(f.status, style=STATUS_STYLE.get(f.status, "")),
            f.category,
            line,
        )
    out.print(table)
    out.print(
        f"{len(rows)} finding{'' if len(rows) == 1 else 's'} · `mlspm finding FP` shows one with its evidence · "
        "`mlspm triage FP --status ...` records a decision"
    )


@click.command()
@click.argument("fingerprint")
@click.option("--events", "n_events", default=10, show_default=True, help="How many evidence events to show.")
@click.pass_obj
def finding(config: Config, fingerprint: str, n_events: int) -> None:
    """Show one finding: its sentence, evidence, framework tags, remediation and triage history."""
    with Store(config.db_path, create=False) as store, store.cursor() as cur:
        (full,) = resolve(cur, [fingerprint])
        rows = query(cur, FindingFilter(fingerprints=[full], include_inactive=True))
        if not rows:
            raise ConfigError(f"no finding {fingerprint}")
        f = rows[0]
        events = evidence_events(cur, full, n_events)
        scans = evidence_scans(cur, full, n_events)
        changes = history(cur, full)
    meta = _meta(f.analyzer_id)
    out.print(
        Text.assemble((f"[{f.severity}] ", SEVERITY_STYLE.get(f.severity, "")), safe(f.title, style="bold"))
    )
    out.print(safe(f.summary))
    for label, value in (
        ("fingerprint", f.fingerprint),
        ("analyzer", f.analyzer_id),
        ("category", f.category),
        ("principal", f.principal),
        ("asset", f.asset_id),
        ("resource", f.resource),
        ("seen", f"{f.first_seen} → {f.last_seen}"),
        ("active", "yes" if f.active else "no"),
        ("status", f.status),
        ("assignee", f.assignee),
        ("note", f.note),
        ("expires", f.expires_at),
        ("suppressed", f.suppressed_by),
        ("frameworks", ", ".join(f.frameworks)),
        ("evidence rows", f.evidence_count),
    ):
        if value not in (None, ""):
            out.print(Text.assemble((f"  {label:14s}", "dim"), safe(value)))
    if meta:
        out.print(Text.assemble(("\nwhy it matters  ", "bold"), safe(meta["risk"])))
        out.print(Text.assemble(("what to do      ", "bold"), safe(meta["remediation"])))
    if events:
        table = Table(
            title="evidence (first events)", title_justify="left", show_edge=False, header_style="bold"
        )
        for col in ("time", "principal", "action", "resource", "outcome", "source ip"):
            table.add_column(col, overflow="fold")
        for ts, principal, action, resource, outcome, ip, _raw in events:
            table.add_row(
                safe(f"{ts:%Y-%m-%d %H:%M:%S}"),
                safe(principal, max_len=60),
                safe(action),
                safe(resource, max_len=70),
                safe(outcome),
                safe(ip),
            )
        out.print(table)
    if scans:
        table = Table(
            title="evidence (scan results)", title_justify="left", show_edge=False, header_style="bold"
        )
        for col in ("scanned", "scanner", "file", "severity", "operator"):
            table.add_column(col, overflow="fold")
        for at, scanner, target, member, severity, operator, _msg in scans:
            where = f"{target}:{member}" if member else target
            table.add_row(safe(at), safe(scanner), safe(where, max_len=90), safe(severity), safe(operator))
        out.print(table)
    if changes:
        table = Table(title="triage history", title_justify="left", show_edge=False, header_style="bold")
        for col in ("when", "who", "from", "to", "note"):
            table.add_column(col, overflow="fold")
        for at, actor, before, after, _assignee, note, _expires in changes:
            table.add_row(safe(f"{at:%Y-%m-%d %H:%M}"), safe(actor), safe(before), safe(after), safe(note))
        out.print(table)


def _meta(analyzer_id: str) -> dict[str, str] | None:
    from analyzers.registry import by_id

    found = by_id().get(analyzer_id)
    return {"risk": found.meta.risk, "remediation": found.meta.remediation} if found else None
