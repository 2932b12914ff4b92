"""Events grouped by one column (VisiData's frequency table); Enter narrows the usage view to a group."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable

from mlspm.query.model import EventFilter
from tui import text
from tui.screens.base import BaseScreen


class EventPivotScreen(BaseScreen):
    AUTO_FOCUS = "#table"

    def __init__(self, flt: EventFilter, column: str) -> None:
        super().__init__()
        self.flt = flt
        self.column = column
        self.crumb = f"events by {column}"
        self.rows: list[tuple[Any, int, Any, Any]] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_crumbs()
        self.query_one("#table", DataTable).add_columns(self.column, "events", "first", "last", "")
        flt, column = self.flt, self.column
        self.say("counting…")
        self.fetch(lambda: self.service.event_pivot(flt, column), self.show)

    def show(self, rows: list[tuple[Any, int, Any, Any]]) -> None:
        self.rows = rows
        table = self.query_one("#table", DataTable)
        table.clear()
        top = max((n for _, n, _, _ in rows), default=1)
        for value, n, first, last in rows:
            shown = text.short(value) if self.column == "principal" else value
            table.add_row(
                text.cell(shown if value is not None else "(none)", max_len=90),
                text.cell(n),
                text.cell(first),
                text.cell(last),
                Text("█" * max(1, round(40 * n / top)), style="blue"),
            )
        more = " (the 500 largest)" if len(rows) >= 500 else ""
        self.say(f"{len(rows):,} values{more} · enter: the events of one value · esc back")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        value = self.rows[event.cursor_row][0]
        if value is None:
            return
        narrowed = replace(self.flt, **{self.column: value})
        label = text.short(value) if self.column == "principal" else text.printable(value, max_len=40)
        self.mapp.open_usage(narrowed, f"{self.column}={label}")
