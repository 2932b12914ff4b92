"""``mlspm stats``: what the database holds."""

from __future__ import annotations

import json

import click
from rich.table import Table

from mlspm.cli.console import out, safe
from mlspm.config import Config
from mlspm.store import Store
from mlspm.store.stats import Stats, collect


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def stats(config: Config, as_json: bool) -> None:
    """Show what the database holds: rows per table, events per format, files, rejects."""
    with Store(config.db_path, create=False) as store:
        figures = collect(store)
    if as_json:
        out.print_json(json.dumps(figures.as_dict()))
        return
    _print(figures)


def _print(s: Stats) -> None:
    out.print(safe(f"database {s.database}", style="bold"))
    tables = Table(show_edge=False, header_style="bold")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, count in s.tables.items():
        tables.add_row(name, f"{count:,}")
    out.print(tables)
    if s.first_event:
        out.print(
            f"access events from {s.first_event} to {s.last_event}, {s.principals:,} principals, "
            f"{s.events_linked_to_assets:,} linked to inventory assets"
        )
    for title, mapping in (
        ("events by source format", s.events_by_format),
        ("events by action class", s.events_by_action_class),
        ("assets by kind", s.assets_by_kind),
        ("scan results by kind", s.scan_results_by_kind),
        ("scan issues by severity", s.scan_issues_by_severity),
        ("files by status", s.files_by_status),
        ("loaded files by format", s.files_by_format),
        ("rejects by reason", s.rejects_by_reason),
    ):
        if mapping:
            table = Table(show_edge=False, header_style="bold", min_width=48)
            table.add_column(title)
            table.add_column("count", justify="right")
            for key, value in mapping.items():
                table.add_row(safe(key, max_len=90), f"{value:,}")
            out.print(table)
