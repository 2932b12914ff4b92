"""Assets: the inventory with a risk roll-up; one asset with lineage, scan results and who used it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Static

from mlspm.findings import FindingFilter
from mlspm.query.model import AssetDetail, AssetRow, EventFilter
from tui import text
from tui.screens.base import BaseScreen


class AssetsScreen(BaseScreen):
    crumb = "assets"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("u", "usage", "Usage"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AssetRow] = []
        self.search: str | None = None

    AUTO_FOCUS = "#table"

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Input(placeholder="filter assets (enter)", id="filter", classes="hidden")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_crumbs()
        self.query_one("#table", DataTable).add_columns(
            "asset",
            "kind",
            "environment",
            "owner",
            "classification",
            "source",
            "open findings",
            "worst",
            "events",
        )
        self.load()

    def load(self) -> None:
        search = self.search
        self.fetch(lambda: self.service.assets(search), self.show)

    def show(self, rows: list[AssetRow]) -> None:
        self.rows = rows
        table = self.query_one("#table", DataTable)
        table.clear()
        for a in rows:
            table.add_row(
                text.cell(a.asset_id, max_len=48),
                text.cell(a.kind),
                text.cell(a.environment),
                text.cell(a.owner) if a.owner else Text("(no owner)", style="yellow"),
                text.cell(a.classification),
                Text(a.source, style="yellow") if a.source == "discovered" else text.cell(a.source),
                text.cell(a.open_findings),
                text.severity(a.worst) if a.worst else Text(""),
                text.cell(a.events),
                key=a.asset_id,
            )
        self.say(f"{len(rows):,} assets · enter: the asset · u: its usage · / filter")

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("hidden")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.search = event.value.strip() or None
        self.query_one("#table", DataTable).focus()
        self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.mapp.open_asset(str(event.row_key.value))

    def action_usage(self) -> None:
        table = self.query_one("#table", DataTable)
        if self.rows and table.cursor_row < len(self.rows):
            asset = self.rows[table.cursor_row].asset_id
            self.mapp.open_usage(EventFilter(asset_id=asset), asset)


class AssetScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "usage", "Usage"),
        Binding("f", "findings", "Findings"),
    ]

    def __init__(self, asset_id: str) -> None:
        super().__init__()
        self.asset_id = asset_id
        self.crumb = asset_id

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal():
            yield VerticalScroll(Static(id="facts"), classes="half")
            with VerticalScroll(classes="half"):
                yield Static(Text("who used it", style="bold"))
                yield DataTable(id="users", cursor_type="row")
                yield Static(Text("scan results", style="bold"))
                yield DataTable(id="scans", cursor_type="row")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_crumbs()
        self.query_one("#users", DataTable).add_columns("principal", "events", "last")
        self.query_one("#scans", DataTable).add_columns(
            "scanned", "scanner", "kind", "severity", "operator", "file"
        )
        asset_id = self.asset_id
        self.fetch(lambda: self.service.asset(asset_id), self.show)

    def show(self, d: AssetDetail | None) -> None:
        if d is None:
            self.say(f"no asset {self.asset_id}", error=True)
            return
        out = Text()
        text.asset_facts(out, d.asset)
        out.append(f"{'open findings':15s}", style="dim")
        out.append(f"{d.findings}\n", style="bold red" if d.findings else "")
        out.append("\nlineage\n", style="bold")
        for relation, other in d.upstream:
            out.append(f"  ← {text.printable(other)} {relation} this\n")
        for relation, other in d.downstream:
            out.append(f"  → this {relation} {text.printable(other)}\n")
        if not d.upstream and not d.downstream:
            out.append("  none recorded\n", style="dim")
        if d.permissions:
            out.append("\npermissions\n", style="bold")
            for principal, privilege in d.permissions:
                out.append(f"  {privilege:6s} {text.printable(principal)}\n")
        if d.locators:
            out.append("\nrecognised as\n", style="bold")
            for locator in d.locators:
                out.append(f"  {text.printable(locator)}\n")
        self.query_one("#facts", Static).update(out)
        users = self.query_one("#users", DataTable)
        users.clear()
        for principal, n, last in d.top_principals:
            users.add_row(
                text.cell(text.short(principal), max_len=50), text.cell(n), text.cell(last), key=principal
            )
        scans = self.query_one("#scans", DataTable)
        scans.clear()
        for at, scanner, kind, severity, target, member, operator, _msg in d.scans:
            where = f"{target}:{member}" if member else target
            scans.add_row(
                text.cell(at),
                text.cell(scanner),
                text.cell(kind),
                text.severity(severity) if severity else Text(""),
                text.cell(operator),
                text.cell(where, max_len=80),
            )
        self.say("u usage · f its findings · enter on a user: their usage")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "users" and event.row_key.value:
            principal = str(event.row_key.value)
            self.mapp.open_usage(EventFilter(principal=principal), text.short(principal))

    def action_usage(self) -> None:
        self.mapp.open_usage(EventFilter(asset_id=self.asset_id), self.asset_id)

    def action_findings(self) -> None:
        self.mapp.open_findings(
            FindingFilter(include_inactive=True),
            title=f"on {self.asset_id}",
            group={"asset_id": self.asset_id},
        )
