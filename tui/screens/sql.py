"""The SQL console: read-only queries, results in a table, errors inline, a time limit and a cancel key."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static, TextArea

from mlspm.query.model import SqlResult
from tui import text
from tui.screens.base import BaseScreen

EXAMPLE = (
    "SELECT principal, action, count(*) AS n\nFROM access_events\nGROUP BY ALL\nORDER BY n DESC\nLIMIT 20"
)


class SqlScreen(BaseScreen):
    crumb = "SQL"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r,ctrl+j,f5", "run", "Run", priority=True),
        Binding("ctrl+c", "cancel_query", "Cancel query", priority=True),
    ]

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(
            Text(
                "read-only: SELECT and EXPLAIN over access_events, assets, findings, scan_results, "
                "lineage, permissions, triage, rejects … (ctrl+r runs, ctrl+c cancels, 30 s limit)",
                style="dim",
            )
        )
        yield TextArea(EXAMPLE, id="query", language=None, soft_wrap=True)
        yield Static(id="error")
        yield DataTable(id="result", zebra_stripes=True)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_crumbs()
        self.query_one("#query", TextArea).focus()

    def action_run(self) -> None:
        sql = self.query_one("#query", TextArea).text
        self.query_one("#error", Static).update(Text("running…", style="dim"))
        self.fetch(lambda: self.service.sql(sql), self.show, group="sql")

    def action_cancel_query(self) -> None:
        self.service.interrupt()
        self.query_one("#error", Static).update(Text("cancelled", style="yellow"))

    def say(self, message: str, *, error: bool = False) -> None:
        # Errors from the console belong next to the query.
        self.query_one("#error", Static).update(
            Text(text.printable(message), style="red" if error else "dim")
        )

    def show(self, result: SqlResult) -> None:
        table = self.query_one("#result", DataTable)
        table.clear(columns=True)
        for column in result.columns:
            table.add_column(Text(text.printable(column, max_len=40)))
        for row in result.rows:
            table.add_row(*(text.cell(v, max_len=80) for v in row))
        more = " (first rows only)" if result.truncated else ""
        self.query_one("#error", Static).update(
            Text(f"{len(result.rows):,} rows{more} in {result.seconds:.2f} s", style="dim")
        )
