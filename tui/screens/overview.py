"""Overview: posture by severity, category, status and framework; what is new; riskiest assets and people."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from mlspm.enums import Severity
from mlspm.findings import FindingFilter
from mlspm.query.model import EventFilter, Overview, Timeline
from tui import text
from tui.screens.base import BaseScreen
from tui.widgets.histogram import Histogram

_SEVERITIES = ["critical", "high", "medium", "low", "info"]


_NAME_WIDTH = 52  # half a 160-column screen, less the counts


class OverviewScreen(BaseScreen):
    crumb = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "app.go_findings", "Findings"),
        Binding("h", "high", "High+"),
        Binding("A", "app.go_assets", "Assets"),
        Binding("colon", "app.go_sql", "SQL"),
        Binding("E", "app.go_events", "Events"),
        Binding("r", "reload", "Reload"),
    ]

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Horizontal(id="cards"):
            yield Static(id="severity", classes="card")
            yield Static(id="category", classes="card")
            yield Static(id="status-card", classes="card")
            yield Static(id="framework", classes="card")
        yield Static(id="news")
        with Horizontal(id="risk"):
            with Vertical(classes="half"):
                yield Static(Text("riskiest assets (open findings)", style="bold"), classes="title")
                yield DataTable(id="assets", cursor_type="row", zebra_stripes=True)
            with Vertical(classes="half"):
                yield Static(Text("riskiest principals (open findings)", style="bold"), classes="title")
                yield DataTable(id="principals", cursor_type="row", zebra_stripes=True)
        yield Static(Text("activity: events per day", style="bold"), classes="title")
        yield Histogram(id="activity")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        for table_id in ("assets", "principals"):
            table = self.query_one(f"#{table_id}", DataTable)
            # fixed widths: nothing to measure, so the first paint already has its final layout
            table.add_column("", width=_NAME_WIDTH)
            table.add_column("open", width=5)
            table.add_column("worst", width=12)
        self.refresh_crumbs()
        self.action_reload()

    def action_reload(self) -> None:
        self.say("loading…")
        self.fetch(self.service.overview, self.show)

    def show(self, o: Overview) -> None:
        self.query_one("#severity", Static).update(
            _bars("open findings by severity", o.findings_by_severity, _SEVERITIES, styled=True)
        )
        self.query_one("#category", Static).update(_bars("by category", o.findings_by_category))
        self.query_one("#status-card", Static).update(_bars("by triage status", o.findings_by_status))
        self.query_one("#framework", Static).update(_bars("by framework", o.findings_by_framework))
        news = Text()
        total_open = sum(o.findings_by_severity.values())
        news.append(f"{total_open:,} open findings", style="bold")
        if o.latest_run_at:
            news.append(f" · last analysis {o.latest_run_at:%Y-%m-%d %H:%M} UTC")
            if o.previous_run_at is None:
                news.append(" · the first analysis: every finding is new")
            else:
                news.append(
                    f" · {o.new_since_previous:,} new since the previous run ({o.previous_run_at:%Y-%m-%d %H:%M})",
                    style="bold yellow" if o.new_since_previous else "",
                )
        else:
            news.append(" · not analyzed yet: run `mlspm analyze`", style="yellow")
        news.append(f"\n{o.events:,} access events")
        if o.data_from and o.data_until:
            news.append(f" from {o.data_from:%Y-%m-%d} to {o.data_until:%Y-%m-%d}")
        news.append(
            f" · {o.assets:,} assets · last load: {o.last_batch_files:,} files, {o.last_batch_rows:,} rows"
        )
        self.query_one("#news", Static).update(news)
        for table_id, rows in (("assets", o.riskiest_assets), ("principals", o.riskiest_principals)):
            table = self.query_one(f"#{table_id}", DataTable)
            table.clear()
            for name, count, worst in rows:
                # half a screen wide: the readable tail of an ARN (the row key keeps the full name)
                label = text.short(name) if table_id == "principals" else name
                table.add_row(
                    text.cell(label, max_len=_NAME_WIDTH), text.cell(count), text.severity(worst), key=name
                )
        counts = sorted(n for _, n in o.activity_per_day) or [0]
        self.query_one("#activity", Histogram).show(
            Timeline(
                "day",
                o.activity_per_day,
                float(counts[len(counts) // 2]),
                float(counts[min(len(counts) - 1, int(len(counts) * 0.95))]),
            ),
            width=max(40, self.size.width - 4),
            rows=3,
        )
        self.say(
            "enter: open · f findings · h high and critical · A assets · : SQL · ctrl+p commands · ? keys"
        )

    def action_high(self) -> None:
        self.mapp.open_findings(FindingFilter(min_severity=Severity.HIGH), title="≥ high")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is None:
            return
        if event.data_table.id == "assets":
            self.mapp.open_asset(str(key))
        else:
            self.mapp.open_usage(EventFilter(principal=str(key)), text.short(str(key)))


def _bars(
    title: str, counts: dict[str, int], order: list[str] | None = None, *, styled: bool = False
) -> Text:
    out = Text(title + "\n", style="bold")
    keys = order or list(counts)
    top = max(counts.values(), default=0) or 1
    for key in keys[:7]:
        n = counts.get(key, 0)
        if order is None and not n:
            continue
        style = (
            text.SEVERITY_STYLE.get(key, "").replace("on red", "").replace("white", "red") if styled else ""
        )
        bar = "█" * max(1 if n else 0, round(9 * n / top))
        out.append(f"{text.printable(key)[:16]:16s}", style=style)
        out.append(f"{n:>6,} ", style="bold" if n else "dim")
        out.append(bar + "\n", style=style or "blue")
    if not counts:
        out.append("—\n", style="dim")
    return out
