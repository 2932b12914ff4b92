"""Usage explorer: one principal, asset or address — timeline with its baseline, first-seen facts, raw events."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from mlspm.query.model import EVENT_PIVOT_COLUMNS, EventFilter
from tui import text
from tui.screens.base import BaseScreen
from tui.screens.raw import RawModal
from tui.widgets.events import PagedEvents
from tui.widgets.histogram import Histogram


class UsageScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "toggle_bucket", "Hour/day"),
        Binding("j", "jump_principal", "Row's principal"),
        Binding("J", "jump_asset", "Row's asset"),
        Binding("i", "jump_ip", "Row's address"),
        Binding("p", "pivot", "Group by column"),
    ]

    def __init__(self, flt: EventFilter, title: str) -> None:
        super().__init__()
        self.flt = flt
        self.crumb = f"usage: {title}"
        self.bucket = "hour"

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(id="who")
        yield Histogram(id="timeline")
        yield Static(id="facts")
        yield PagedEvents(self.service, self.flt, id="events")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_crumbs()
        who = Text()
        for label, value in (
            ("principal", self.flt.principal),
            ("asset", self.flt.asset_id),
            ("resource", self.flt.resource),
            ("address", self.flt.source_ip),
        ):
            if value:
                who.append(f"{label} ", style="dim")
                who.append(text.printable(value), style="bold")
        self.query_one("#who", Static).update(who)
        self.load()

    def load(self) -> None:
        flt, bucket = self.flt, self.bucket

        def job() -> dict[str, Any]:
            return {
                "timeline": self.service.timeline(flt, bucket),
                "facts": self.service.first_seen_facts(flt),
            }

        self.fetch(job, self.show)

    def show(self, data: dict[str, Any]) -> None:
        self.query_one("#timeline", Histogram).show(data["timeline"], width=max(40, self.size.width - 4))
        facts = Text()
        for fact in data["facts"][:8]:
            facts.append("• " + text.printable(fact) + "\n")
        self.query_one("#facts", Static).update(facts or Text("no first-seen facts", style="dim"))
        self.say(
            "d hour/day · enter raw record · j/J/i jump to the row's principal/asset/address · n/b pages"
            " · ←/→ column, p group by it"
        )

    def action_toggle_bucket(self) -> None:
        self.bucket = "day" if self.bucket == "hour" else "hour"
        self.load()

    def on_paged_events_event_chosen(self, event: PagedEvents.EventChosen) -> None:
        self.fetch(
            lambda: self.service.event_raw(event.event_id),
            lambda r: self.app.push_screen(RawModal(*r)),
            group="raw",
        )

    def action_pivot(self) -> None:
        from tui.screens.event_pivot import EventPivotScreen

        column = self.query_one("#events", PagedEvents).current_column()
        if column not in EVENT_PIVOT_COLUMNS:
            self.say(f"cannot group by {column}: ←/→ to principal, action, resource, source ip, outcome…")
            return
        self.mapp.push_screen(EventPivotScreen(self.flt, column))

    def _row(self) -> dict[str, Any] | None:
        return self.query_one("#events", PagedEvents).current_row()

    def action_jump_principal(self) -> None:
        row = self._row()
        if row and row.get("principal"):
            self.mapp.open_usage(EventFilter(principal=row["principal"]), text.short(row["principal"]))

    def action_jump_asset(self) -> None:
        row = self._row()
        if row and row.get("asset_id"):
            self.mapp.open_asset(row["asset_id"])
        elif row and row.get("resource"):
            self.mapp.open_usage(
                EventFilter(resource=row["resource"]), text.printable(row["resource"], max_len=40)
            )

    def action_jump_ip(self) -> None:
        row = self._row()
        if row and row.get("source_ip"):
            self.mapp.open_usage(EventFilter(source_ip=row["source_ip"]), row["source_ip"])
