"""Findings: filter with /, sort on any column, pivot on one or two columns, mark rows, bulk triage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Input

from mlspm.enums import TriageStatus
from mlspm.findings import Finding, FindingFilter
from mlspm.query.model import PIVOT_COLUMNS, Count, EventFilter
from tui import text
from tui.messages import TriageChanged
from tui.screens.base import BaseScreen
from tui.screens.modals import ExportModal, ExportRequest, TriageModal, TriageRequest

# (attribute, header) in table order; the first column is the mark.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", " "),
    ("severity", "severity"),
    ("status", "status"),
    ("summary", "finding"),
    ("principal", "principal"),
    ("asset_id", "asset"),
    ("last_seen", "last seen"),
    ("evidence_count", "evidence"),
    ("category", "category"),
    ("analyzer_id", "analyzer"),
)
SUMMARY_WIDTH = 70
# Fixed widths (values are cut to fit): a long list repaints without measuring every cell.
_WIDTH = {
    "mark": 1,
    "severity": 12,
    "status": 14,
    "summary": SUMMARY_WIDTH,
    "principal": 24,
    "asset_id": 24,
    "last_seen": 19,
    "evidence_count": 9,
    "category": 14,
    "analyzer_id": 34,
}


def column_index(attribute: str) -> int:
    return [a for a, _ in COLUMNS].index(attribute)


_SORTABLE = {
    "severity",
    "status",
    "category",
    "analyzer_id",
    "principal",
    "asset_id",
    "last_seen",
    "evidence_count",
    "first_seen",
}


class FindingsScreen(BaseScreen):
    """One list of findings — or, in pivot mode, their counts grouped by one or two columns."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("p", "pivot", "Pivot"),
        Binding("k", "key_column", "Key col", show=False),
        Binding("space", "mark", "Mark"),
        Binding("a", "mark_all", "Mark all", show=False),
        Binding("t", "triage", "Triage"),
        Binding("u", "usage", "Usage"),
        Binding("o", "asset", "Asset"),
        Binding("e", "export", "Export"),
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(
        self,
        flt: FindingFilter,
        *,
        title: str = "findings",
        pivot: tuple[str, ...] = (),
        group: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.flt = flt
        self.crumb = title
        self.pivot_columns = pivot
        self.group = group or {}
        self.search: str | None = None
        self.sort_column = "severity"
        self.descending = True
        self.marked: set[str] = set()
        self.key_columns: list[str] = []
        self.rows: list[Finding] = []
        self.counts: list[Count] = []

    AUTO_FOCUS = "#table"

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Input(
            placeholder=(
                "filter: words, severity>=high, status:open, category:…, principal:…, asset:…, "
                "-analyzer:… (enter; esc clears)"
            ),
            id="filter",
            classes="hidden",
        )
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_crumbs()
        self.action_reload()

    def on_triage_changed(self, _message: TriageChanged) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.rows or self.counts:
            self.action_reload()

    # -- loading ---------------------------------------------------------------------------------
    def action_reload(self) -> None:
        if self.pivot_columns:
            columns = self.pivot_columns
            self.fetch(lambda: self.service.pivot(self.flt, columns), self.show_pivot)
        else:
            flt, search, sort, desc, group = (
                self.flt,
                self.search,
                self.sort_column,
                self.descending,
                self.group,
            )
            self.fetch(
                lambda: self.service.findings(
                    flt, search=search, sort=sort, descending=desc, group_filter=group
                ),
                self.show_rows,
            )

    def show_rows(self, rows: list[Finding]) -> None:
        self.rows = rows
        table = self.query_one("#table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        for attr, header in COLUMNS:
            label = Text(header)
            if attr == self.sort_column:
                label.append(" ▼" if self.descending else " ▲", style="bold")
            if attr in self.key_columns:
                label.append(" ★", style="bold yellow")
            table.add_column(label, key=attr, width=_WIDTH.get(attr))
        for f in rows:
            table.add_row(*self._cells(f), key=f.fingerprint)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        shown = f"{len(rows):,} findings"
        if self.search:
            shown += f" matching {self.search!r}"
        if self.marked:
            shown += f" · {len(self.marked)} marked"
        self.say(
            shown + " · enter open · / filter · s sort · p pivot · space mark · t triage · u usage · e export"
        )

    def _cells(self, f: Finding) -> list[Content]:
        mark = Content.styled("●", "bold yellow") if f.fingerprint in self.marked else Content(" ")
        prefix = "(no longer firing) " if not f.active else "(suppressed) " if f.suppressed_by else ""
        summary = Content.assemble(
            (prefix, "dim"), text.fast_cell(f.summary, max_len=SUMMARY_WIDTH - len(prefix))
        )
        return [
            mark,
            text.fast_severity(f.severity),
            text.fast_status(f.status),
            summary,
            text.fast_cell(text.short(f.principal), max_len=_WIDTH["principal"]),
            text.fast_cell(f.asset_id, max_len=_WIDTH["asset_id"]),
            text.fast_cell(f.last_seen),
            text.fast_cell(f.evidence_count),
            text.fast_cell(f.category),
            text.fast_cell(f.analyzer_id, max_len=_WIDTH["analyzer_id"]),
        ]

    def show_pivot(self, counts: list[Count]) -> None:
        self.counts = counts
        table = self.query_one("#table", DataTable)
        table.clear(columns=True)
        # widths from the values themselves: the first paint is final (no measuring on idle)
        for n, column in enumerate(self.pivot_columns):
            longest = max((len(text.printable(c.key[n], max_len=60)) for c in counts), default=0)
            table.add_column(column, key=column, width=max(len(column), longest))
        table.add_column("findings", key="count", width=8)
        table.add_column("open", key="open", width=6)
        table.add_column("worst", key="worst", width=12)
        table.add_column("", key="bar", width=30)
        top = max((c.count for c in counts), default=1)
        for i, c in enumerate(counts):
            cells: list[Content | Text] = [text.cell(v, max_len=60) for v in c.key]
            cells += [
                text.cell(c.count),
                text.cell(c.open),
                text.severity(c.worst or "info"),
                Text("█" * max(1, round(30 * c.count / top)), style="blue"),
            ]
            table.add_row(*cells, key=str(i))
        self.say(
            f"{len(counts):,} groups by {' × '.join(self.pivot_columns)} · enter: the findings of a group · "
            "esc back"
        )

    # -- row helpers -----------------------------------------------------------------------------
    def current(self) -> Finding | None:
        table = self.query_one("#table", DataTable)
        if self.pivot_columns or not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def current_column(self) -> str:
        table = self.query_one("#table", DataTable)
        return COLUMNS[table.cursor_column][0] if table.cursor_column < len(COLUMNS) else "severity"

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.pivot_columns:
            c = self.counts[event.cursor_row]
            group = dict(zip(self.pivot_columns, c.key, strict=True))
            label = ", ".join(
                f"{k}={text.short(str(v)) if k == 'principal' else v}" for k, v in group.items()
            )
            self.mapp.push_screen(FindingsScreen(self.flt, title=label, group={**self.group, **group}))
        elif (f := self.current()) is not None:
            self.mapp.open_finding(f.fingerprint)

    # -- actions ---------------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("hidden")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.search = event.value.strip() or None
        self.query_one("#table", DataTable).focus()
        self.action_reload()

    def on_key(self, event: Any) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.has_focus:
            box.value = ""
            box.add_class("hidden")
            self.search = None
            self.query_one("#table", DataTable).focus()
            self.action_reload()
            event.stop()

    def action_sort(self) -> None:
        column = self.current_column()
        if self.pivot_columns or column not in _SORTABLE:
            self.say(f"cannot sort by {column}; move to another column")
            return
        self.descending = (
            not self.descending
            if column == self.sort_column
            else column in ("severity", "last_seen", "evidence_count")
        )
        self.sort_column = column
        self.action_reload()

    def action_key_column(self) -> None:
        column = self.current_column()
        if column not in PIVOT_COLUMNS:
            self.say(f"cannot group by {column}")
            return
        if column in self.key_columns:
            self.key_columns.remove(column)
        else:
            self.key_columns = [*self.key_columns[-1:], column]
        self.show_rows(self.rows)

    def action_pivot(self) -> None:
        if self.pivot_columns:
            return
        columns = tuple(self.key_columns) or (self.current_column(),)
        if any(c not in PIVOT_COLUMNS for c in columns):
            self.say(
                f"cannot group by {', '.join(columns)}: move to severity, status, category, analyzer, "
                "principal or asset (k marks up to two key columns)"
            )
            return
        flt = self.flt
        self.mapp.push_screen(
            FindingsScreen(flt, title=f"by {' × '.join(columns)}", pivot=columns, group=self.group)
        )

    def action_mark(self) -> None:
        f = self.current()
        if f is None:
            return
        self.marked ^= {f.fingerprint}
        table = self.query_one("#table", DataTable)
        table.update_cell(f.fingerprint, "mark", self._cells(f)[0])
        table.move_cursor(row=min(table.cursor_row + 1, len(self.rows) - 1))
        self.say(f"{len(self.marked)} marked · t triages them all")

    def action_mark_all(self) -> None:
        every = {f.fingerprint for f in self.rows}
        self.marked = set() if self.marked >= every else every
        self.show_rows(self.rows)

    def targets(self) -> list[str]:
        if self.marked:
            return sorted(self.marked)
        f = self.current()
        return [f.fingerprint] if f else []

    def action_triage(self) -> None:
        targets = self.targets()
        if not targets:
            return
        current = TriageStatus(self.current().status) if len(targets) == 1 and self.current() else None  # type: ignore[union-attr]
        self.app.push_screen(TriageModal(len(targets), current), lambda r: self._apply(targets, r))

    def triage_to(self, status: TriageStatus) -> None:
        """Palette entry: set a status directly (a note is asked for only when accepting a risk)."""
        targets = self.targets()
        if status is TriageStatus.RISK_ACCEPTED:
            self.app.push_screen(TriageModal(len(targets), status), lambda r: self._apply(targets, r))
        else:
            self._apply(targets, TriageRequest(status, None, None, None))

    def _apply(self, targets: list[str], request: TriageRequest | None) -> None:
        if request is None or not targets:
            return
        actor = self.mapp.actor

        def job() -> list[Any]:
            return self.service.triage(
                targets,
                request.status,
                actor=actor,
                note=request.note,
                assignee=request.assignee,
                expires_at=request.expires_at,
            )

        def done(changes: list[Any]) -> None:
            self.marked.clear()
            self.say(f"{len(changes)} findings → {request.status.value}")
            self.post_message(TriageChanged(targets, request.status.value))

        self.fetch(job, done, group="triage")

    def action_usage(self) -> None:
        f = self.current()
        if f is None:
            return
        if f.principal:
            self.mapp.open_usage(EventFilter(principal=f.principal), text.short(f.principal))
        elif f.asset_id:
            self.mapp.open_usage(EventFilter(asset_id=f.asset_id), f.asset_id)

    def action_asset(self) -> None:
        f = self.current()
        if f is not None and f.asset_id:
            self.mapp.open_asset(f.asset_id)

    def action_export(self) -> None:
        from mlspm.report import FORMATS, SUFFIX

        rows = [f for f in self.rows if f.fingerprint in self.marked] or self.rows
        default = Path.cwd() / f"mlspm-report-{datetime.now(UTC):%Y%m%d-%H%M}{SUFFIX['html']}"
        self.app.push_screen(
            ExportModal(len(rows), default, FORMATS, SUFFIX), lambda r: self._export(rows, r)
        )

    def _export(self, rows: list[Finding], request: ExportRequest | None) -> None:
        if request is None:
            return
        fingerprints = [f.fingerprint for f in rows]

        def job() -> int:
            from analyzers.catalog import report_catalog

            rules, frameworks = report_catalog()
            return self.service.write_report(request.fmt, request.path, fingerprints, rules, frameworks)

        self.fetch(
            job,
            lambda n: self.say(f"wrote {n} findings as {request.fmt} to {request.path}"),
            group="export",
        )

    def with_filter(self, **changes: Any) -> FindingFilter:
        return replace(self.flt, **changes)
