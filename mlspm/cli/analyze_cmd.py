"""``mlspm analyze``, ``mlspm analyzers`` and ``mlspm compliance``: run the analyzer pack, list it, map it."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.table import Table

from mlspm.cli.console import err, out, safe
from mlspm.config import Config
from mlspm.enums import Severity, TriageStatus
from mlspm.errors import ConfigError
from mlspm.findings import FindingFilter, query
from mlspm.store import Store


def _settings(config: Config) -> object:
    from analyzers.registry import by_id
    from analyzers.settings import load

    return load(config.settings_path, set(by_id()))


def _severity(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Severity | None:
    if value is None:
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option("--only", "only", multiple=True, metavar="ID", help="Run only this analyzer (repeatable).")
@click.option(
    "--fail-on",
    "fail_on",
    callback=_severity,
    metavar="SEVERITY",
    help="Exit 1 when an open finding at or above this severity exists (for cron and CI).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@click.pass_obj
def analyze(config: Config, only: tuple[str, ...], fail_on: Severity | None, as_json: bool) -> None:
    """Run the analyzers over everything loaded and update the findings.

    Findings are stable: running again updates them (never duplicates), a finding that stops firing is
    marked inactive (never deleted), and triage decisions are never touched. Thresholds come from the
    settings file (--config), with the defaults shown by `mlspm analyzers`.
    """
    from analyzers.engine import analyze as run
    from analyzers.registry import by_id

    known = by_id()
    unknown = [i for i in only if i not in known]
    if unknown:
        raise ConfigError(f"unknown analyzer {', '.join(unknown)}", hint="`mlspm analyzers` lists them")
    settings = _settings(config)
    with Store(config.db_path, create=False) as store:
        report = run(store, settings, only=list(only) or None)  # type: ignore[arg-type]
        failing = 0
        if fail_on is not None:
            with store.cursor() as cur:
                hits = query(
                    cur,
                    FindingFilter(
                        min_severity=fail_on,
                        include_suppressed=False,
                        statuses=[s for s in TriageStatus if s.is_open],
                    ),
                )
            failing = len(hits)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "run_id": report.run_id,
                    "data_until": report.data_until.isoformat() if report.data_until else None,
                    "new": report.new,
                    "still_active": report.still_active,
                    "no_longer_firing": report.no_longer_firing,
                    "reopened": report.reopened,
                    "discovered_assets": report.discovered_assets,
                    "analyzers": [
                        {
                            "id": r.id,
                            "status": r.status,
                            "seconds": round(r.seconds, 3),
                            "fired": r.fired,
                            "error": r.error,
                        }
                        for r in report.results
                    ],
                }
            )
        )
    else:
        table = Table(show_edge=False, header_style="bold")
        for col, justify in (
            ("analyzer", "left"),
            ("status", "left"),
            ("findings", "right"),
            ("seconds", "right"),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for r in report.results:
            style = {"ok": "", "error": "red", "disabled": "dim"}[r.status]
            table.add_row(
                r.id,
                safe(r.status, style=style),
                str(r.fired) if r.status == "ok" else "-",
                f"{r.seconds:.2f}",
            )
        out.print(table)
        out.print(
            f"{report.new} new, {report.still_active} still active, {report.no_longer_firing} no longer "
            f"firing · {len(report.errors)} analyzer errors · data until "
            f"{report.data_until:%Y-%m-%d %H:%M} UTC"
            if report.data_until
            else "no access events loaded"
        )
        if report.discovered_assets:
            out.print(
                f"{report.discovered_assets} assets seen in logs or scans but in no inventory were "
                "registered as discovered"
            )
        if report.reopened:
            out.print(f"{report.reopened} accepted risks expired and were reopened")
        for r in report.errors:
            err.print(safe(f"analyzer {r.id} failed: {r.error}", style="red"))
    if fail_on is not None and failing:
        err.print(f"{failing} open findings at or above {fail_on.value}")
        sys.exit(1)


@click.command(name="analyzers")
@click.option("--json", "as_json", is_flag=True, help="Print every analyzer's metadata as JSON.")
def analyzers_list(as_json: bool) -> None:
    """List the analyzers with their category, default severity and parameters."""
    from analyzers.registry import analyzers

    pack = analyzers()
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {
                        "id": a.meta.id,
                        "title": a.meta.title,
                        "category": a.meta.category,
                        "severity": a.meta.severity.value,
                        "description": a.meta.description,
                        "risk": a.meta.risk,
                        "remediation": a.meta.remediation,
                        "frameworks": list(a.meta.frameworks),
                        "references": list(a.meta.references),
                        "parameters": {
                            n: {"default": p.default, "type": p.type, "description": p.description}
                            for n, p in a.meta.parameters.items()
                        },
                    }
                    for a in pack
                ]
            )
        )
        return
    table = Table(show_edge=False, header_style="bold")
    for col in ("id", "category", "severity", "parameters (defaults)"):
        table.add_column(col)
    for a in pack:
        params = ", ".join(f"{n}={p.default}" for n, p in a.meta.parameters.items())
        table.add_row(a.meta.id, a.meta.category, a.meta.severity.value, params)
    out.print(table)


@click.command()
@click.option(
    "--framework",
    "framework_id",
    metavar="ID",
    help="One framework (OWASP-ML, OWASP-LLM, ATLAS, NIST-AI-RMF, ISO-42001, EU-AI-ACT).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the coverage as JSON.")
@click.pass_obj
def compliance(config: Config, framework_id: str | None, as_json: bool) -> None:
    """Per framework control: the analyzers that cover it, its open findings, and uncovered controls."""
    from analyzers.registry import analyzers, frameworks

    known = frameworks()
    if framework_id and framework_id not in known:
        raise ConfigError(f"unknown framework {framework_id!r}", hint=f"one of: {', '.join(known)}")
    chosen = [known[framework_id]] if framework_id else list(known.values())
    open_by_analyzer: dict[str, int] = {}
    if config.db_path.exists():
        with Store(config.db_path, create=False) as store, store.cursor() as cur:
            for f in query(
                cur, FindingFilter(include_suppressed=False, statuses=[s for s in TriageStatus if s.is_open])
            ):
                open_by_analyzer[f.analyzer_id] = open_by_analyzer.get(f.analyzer_id, 0) + 1
    pack = analyzers()
    report: list[dict[str, Any]] = []
    for fw in chosen:
        controls = []
        for control in fw.controls:
            tag = f"{fw.id}:{control.id}"
            covering = [a.meta.id for a in pack if tag in a.meta.frameworks]
            controls.append(
                {
                    "id": control.id,
                    "title": control.title,
                    "analyzers": covering,
                    "open_findings": sum(open_by_analyzer.get(a, 0) for a in covering),
                }
            )
        report.append({"id": fw.id, "name": fw.name, "version": fw.version, "controls": controls})
    if as_json:
        out.print_json(json.dumps(report))
        return
    for entry in report:
        covered = sum(1 for c in entry["controls"] if c["analyzers"])
        total = len(entry["controls"])
        table = Table(
            title=f"{entry['name']} {entry['version']} — {covered} of {total} controls covered",
            title_justify="left",
            show_edge=False,
            header_style="bold",
        )
        table.add_column("control")
        table.add_column("title")
        table.add_column("open findings", justify="right")
        table.add_column("analyzers")
        for c in entry["controls"]:
            style = "" if c["analyzers"] else "dim"
            table.add_row(
                safe(c["id"], style=style),
                safe(c["title"], style=style),
                str(c["open_findings"]) if c["analyzers"] else "-",
                safe(", ".join(c["analyzers"]) or "no coverage", style=style),
            )
        out.print(table)
