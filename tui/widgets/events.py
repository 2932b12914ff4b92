"""A table of access events paged straight from DuckDB (keyset paging: every page costs the same)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from mlspm.query.model import EventFilter, EventPage
from tui import text
from tui.screens.base import still_open
from tui.widgets.grid import Cell, Column, RowGrid, cell

if TYPE_CHECKING:
    from mlspm.query import QueryService

SHOWN = (
    "ts",
    "principal",
    "action",
    "resource",
    "outcome",
    "source_ip",
    "user_agent",
    "bytes_out",
    "auth_type",
    "source_format",
)
# Fixed widths: the grid never measures cells, so a page shows at once (values are cut to fit).
_COLUMN_WIDTH = {
    "ts": 19,
    "principal": 30,
    "action": 22,
    "resource": 48,
    "outcome": 7,
    "source_ip": 15,
    "user_agent": 40,
    "bytes_out": 11,
    "auth_type": 11,
    "source_format": 14,
}
_HEADERS = {
    "ts": "time (UTC)",
    "source_ip": "source ip",
    "user_agent": "user agent",
    "bytes_out": "bytes out",
    "auth_type": "auth",
    "source_format": "source",
}


class PagedEvents(Vertical):
    """Events matching a filter, ``page_size`` rows at a time: n / b next / previous page, < / > the ends."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_page", "Next page"),
        Binding("b", "previous_page", "Prev page"),
        Binding("less_than_sign", "first_page", "First page", show=False),
        Binding("greater_than_sign", "last_page", "Last page", show=False),
    ]

    class EventChosen(Message):
        """Enter on an event: its id and row."""

        def __init__(self, event_id: int, row: dict[str, Any]) -> None:
            super().__init__()
            self.event_id = event_id
            self.row = row

    def __init__(
        self, service: QueryService, flt: EventFilter, *, page_size: int = 200, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.service = service
        self.flt = flt
        self.page_size = page_size
        self.page: EventPage | None = None
        self.page_number = 1
        self.newer_exists = False

    def compose(self) -> ComposeResult:
        yield RowGrid([Column(c, _HEADERS.get(c, c), _COLUMN_WIDTH[c]) for c in SHOWN])
        yield Static(classes="pager")

    def on_mount(self) -> None:
        self.load()

    def set_filter(self, flt: EventFilter) -> None:
        self.flt = flt
        self.page_number = 1
        self.load()

    def load(self, **keys: Any) -> None:
        """A page after, before (or, with no key, at the start of) the current position."""
        flt, size = self.flt, self.page_size
        self._direction = "before" if "before" in keys else "after"

        def work() -> None:
            page = self.service.events(flt, limit=size, **keys)
            self.app.call_from_thread(self.show, page)

        self.run_worker(work, thread=True, exclusive=True, group="page")

    def show(self, page: EventPage) -> None:
        if not still_open(self):
            return  # its screen was closed while the page loaded
        self.page = page
        if self._direction == "after":
            self.newer_exists = page.has_more
        index = {c: i for i, c in enumerate(page.columns)}
        failure = Cell("failure", "red")
        rows = []
        for row in page.rows:
            cells = [
                cell(
                    text.short(row[index[c]]) if c == "principal" else row[index[c]], max_len=_COLUMN_WIDTH[c]
                )
                for c in SHOWN
            ]
            if row[index["outcome"]] == "failure":
                cells[SHOWN.index("outcome")] = failure
            rows.append(cells)
        self.query_one(RowGrid).set_rows(rows)
        more = " · n: next page" if self.newer_exists else ""
        back = " · b: previous" if self.page_number != 1 else ""
        where = f"page {self.page_number}" if self.page_number > 0 else "last pages"
        self.query_one(".pager", Static).update(
            Text(
                f"{where} · {len(page.rows)} events{more}{back} · < / >: first / last · enter: raw record",
                style="dim",
            )
        )

    def action_next_page(self) -> None:
        if self.page and self.newer_exists and self.page.last_key:
            self.page_number += 1
            self.load(after=self.page.last_key)

    def action_previous_page(self) -> None:
        if self.page and self.page_number != 1 and self.page.first_key:
            self.page_number = self.page_number - 1 if self.page_number > 1 else 0
            self.newer_exists = True
            self.load(before=self.page.first_key)

    def action_first_page(self) -> None:
        self.page_number = 1
        self.load()

    def action_last_page(self) -> None:
        """The newest events: a keyset page from the end (as cheap as any other page)."""
        self.page_number = 0  # unknown: counted from the end
        self.newer_exists = False
        self.load(before=(datetime.max.replace(tzinfo=UTC), 2**63 - 1))

    def on_row_grid_selected(self, event: RowGrid.Selected) -> None:
        event.stop()
        row = self._row(event.row)
        if row is not None:
            self.post_message(self.EventChosen(int(row["id"]), row))

    def _row(self, index: int) -> dict[str, Any] | None:
        if not self.page or index >= len(self.page.rows):
            return None
        return dict(zip(self.page.columns, self.page.rows[index], strict=True))

    def current_row(self) -> dict[str, Any] | None:
        """The event under the cursor (every column of the page, not only those shown)."""
        return self._row(self.query_one(RowGrid).cursor_row)

    def current_column(self) -> str:
        """The column under the column cursor (left / right move it)."""
        return SHOWN[self.query_one(RowGrid).cursor_column]
