"""Finding detail: the sentence and numbers, evidence (paged raw events), asset and lineage, related
findings, framework tags, what to do, and the triage panel with its full history."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from mlspm.enums import TriageStatus
from mlspm.findings import Finding
from mlspm.query.model import AssetDetail, EventFilter
from tui import text
from tui.messages import TriageChanged
from tui.screens.base import BaseScreen
from tui.screens.modals import TriageModal, TriageRequest
from tui.screens.raw import RawModal
from tui.widgets.events import PagedEvents


class FindingScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "triage", "Triage"),
        Binding("u", "usage", "Usage of principal"),
        Binding("o", "asset", "Asset"),
        Binding("j", "jump", "Jump to row's principal"),
    ]

    def __init__(self, fingerprint: str) -> None:
        super().__init__()
        self.fingerprint = fingerprint
        self.crumb = fingerprint[:10]
        self.finding: Finding | None = None
        self.related: list[Finding] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static(id="headline")
        with TabbedContent(id="tabs"):
            with TabPane("Evidence", id="tab-evidence"):
                yield PagedEvents(self.service, EventFilter(fingerprint=self.fingerprint), id="evidence")
                yield DataTable(id="scans", cursor_type="row")
            with TabPane("Triage", id="tab-triage"):
                yield Static(id="triage-now")
                yield DataTable(id="history", cursor_type="row")
            with TabPane("Asset & lineage", id="tab-asset"):
                yield VerticalScroll(Static(id="asset"))
            with TabPane("Related", id="tab-related"):
                yield DataTable(id="related", cursor_type="row", zebra_stripes=True)
            with TabPane("About", id="tab-about"):
                yield VerticalScroll(Static(id="about"))
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_crumbs()
        self.query_one("#history", DataTable).add_columns(
            "when (UTC)", "who", "from", "to", "assignee", "note", "expires"
        )
        self.query_one("#related", DataTable).add_columns("severity", "status", "analyzer", "finding")
        self.query_one("#scans", DataTable).add_columns("scanned", "scanner", "file", "severity", "operator")
        self.load()

    def on_triage_changed(self, _message: TriageChanged) -> None:
        self.load()

    def load(self) -> None:
        fp = self.fingerprint

        def job() -> dict[str, Any]:
            f = self.service.finding(fp)
            if f is None:
                return {}
            return {
                "finding": f,
                "history": self.service.triage_history(fp),
                "related": self.service.related(f),
                "asset": self.service.asset(f.asset_id) if f.asset_id else None,
                "scans": self.service.evidence_scans(fp),
            }

        self.fetch(job, self.show)

    def show(self, data: dict[str, Any]) -> None:
        if not data:
            self.say(f"no finding {self.fingerprint}", error=True)
            return
        f: Finding = data["finding"]
        self.finding = f
        self.related = data["related"]
        head = Text()
        head.append_text(text.severity_text(f.severity))
        head.append("  ")
        head.append_text(text.status_text(f.status))
        head.append(f"  {text.printable(f.title)}\n", style="bold")
        head.append(text.printable(f.summary, newlines=True) + "\n")
        for label, value in (
            ("principal", f.principal),
            ("asset", f.asset_id),
            ("resource", f.resource),
            ("seen", f"{text.cell(f.first_seen)} → {text.cell(f.last_seen)} UTC"),
            ("evidence", f"{f.evidence_count:,} rows"),
            ("analyzer", f.analyzer_id),
            ("frameworks", ", ".join(f.frameworks)),
        ):
            if value:
                head.append(f"{label:11s}", style="dim")
                head.append(text.printable(value) + "\n")
        if not f.active:
            head.append("no longer firing (kept for the record)\n", style="yellow")
        if f.suppressed_by:
            head.append(f"suppressed: {text.printable(f.suppressed_by)}\n", style="yellow")
        self.query_one("#headline", Static).update(head)
        self._show_triage(f, data["history"])
        self._show_asset(data["asset"])
        self._show_related()
        self._show_about(f)
        scans = self.query_one("#scans", DataTable)
        scans.clear()
        rows = data.get("scans") or []
        if rows:
            scans.display = True
            for at, scanner, target, member, severity, operator, _message in rows:
                where = f"{target}:{member}" if member else target
                scans.add_row(
                    text.cell(at),
                    text.cell(scanner),
                    text.cell(where, max_len=100),
                    text.severity(severity or "info"),
                    text.cell(operator),
                )
        else:
            scans.display = False
        self.say("t triage · u usage of the principal · o asset · tabs: ←/→ · enter on an event: raw record")

    def _show_triage(self, f: Finding, history: list[tuple[Any, ...]]) -> None:
        now = Text()
        now.append("status    ", style="dim")
        now.append_text(text.status_text(f.status))
        for label, value in (
            ("assignee", f.assignee),
            ("note", f.note),
            ("expires", f.expires_at),
            (
                "triaged",
                f"{text.cell(f.triaged_at)} by {text.printable(f.triaged_by)}" if f.triaged_at else None,
            ),
        ):
            if value:
                now.append(f"\n{label:10s}", style="dim")
                now.append(text.printable(value))
        now.append("\n\npress t to change it; every change is kept below", style="dim")
        self.query_one("#triage-now", Static).update(now)
        table = self.query_one("#history", DataTable)
        table.clear()
        for at, actor, before, after, assignee, note, expires in history:
            table.add_row(
                text.cell(at),
                text.cell(actor),
                text.status(before),
                text.status(after),
                text.cell(assignee),
                text.cell(note, max_len=80),
                text.cell(expires),
            )

    def _show_asset(self, detail: AssetDetail | None) -> None:
        out = Text()
        if detail is None:
            out.append("this finding names no inventory asset", style="dim")
        else:
            a = detail.asset
            text.asset_facts(out, a)
            out.append("\nlineage — upstream (what points at it)\n", style="bold")
            for relation, other in detail.upstream or [("", "—")]:
                out.append(f"  {text.printable(other)} {relation} this\n")
            out.append("lineage — downstream (what it points at)\n", style="bold")
            for relation, other in detail.downstream or [("", "—")]:
                out.append(f"  this {relation} {text.printable(other)}\n")
            if detail.scans:
                out.append("\nscan results\n", style="bold")
                for at, scanner, kind, severity, target, member, operator, _msg in detail.scans[:10]:
                    out.append(
                        f"  {text.cell(at)} {scanner} {kind} {severity or ''} "
                        f"{text.printable(operator or '')} {text.printable(target)}"
                        f"{':' + text.printable(member) if member else ''}\n"
                    )
            if detail.top_principals:
                out.append("\nwho used it\n", style="bold")
                for principal, n, last in detail.top_principals[:10]:
                    out.append(f"  {n:>8,}  {text.printable(principal)}  (last {text.cell(last)})\n")
        self.query_one("#asset", Static).update(out)

    def _show_related(self) -> None:
        table = self.query_one("#related", DataTable)
        table.clear()
        for r in self.related:
            table.add_row(
                text.severity(r.severity),
                text.status(r.status),
                text.cell(r.analyzer_id),
                text.cell(r.summary, max_len=160),
                key=r.fingerprint,
            )

    def _show_about(self, f: Finding) -> None:
        from analyzers.registry import by_id

        out = Text()
        analyzer = by_id().get(f.analyzer_id)
        if analyzer is not None:
            meta = analyzer.meta
            for title, body in (
                ("What it detects", meta.description),
                ("Why it matters", meta.risk),
                ("What to do", meta.remediation),
            ):
                out.append(f"{title}\n", style="bold")
                out.append(text.printable(body, newlines=True) + "\n\n")
            out.append("Frameworks\n", style="bold")
            out.append(", ".join(meta.frameworks) + "\n\n")
            out.append("References\n", style="bold")
            for ref in meta.references:
                out.append(f"  {ref}\n")
        if f.details:
            out.append("\nFigures\n", style="bold")
            out.append(text.printable(f.details, newlines=True))
        self.query_one("#about", Static).update(out)

    # -- actions ---------------------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "related" and event.row_key.value:
            self.mapp.open_finding(str(event.row_key.value))

    def on_paged_events_event_chosen(self, event: PagedEvents.EventChosen) -> None:
        self.fetch(
            lambda: self.service.event_raw(event.event_id),
            lambda r: self.app.push_screen(RawModal(*r)),
            group="raw",
        )

    def action_triage(self) -> None:
        if self.finding is None:
            return
        current = TriageStatus(self.finding.status)
        self.app.push_screen(TriageModal(1, current), self._apply)

    def _apply(self, request: TriageRequest | None) -> None:
        if request is None:
            return
        fp, actor = self.fingerprint, self.mapp.actor

        def job() -> Any:
            return self.service.triage(
                [fp],
                request.status,
                actor=actor,
                note=request.note,
                assignee=request.assignee,
                expires_at=request.expires_at,
            )

        def done(_changes: Any) -> None:
            self.say(f"→ {request.status.value}")
            self.post_message(TriageChanged([fp], request.status.value))

        self.fetch(job, done, group="triage")

    def action_usage(self) -> None:
        if self.finding and self.finding.principal:
            self.mapp.open_usage(
                EventFilter(principal=self.finding.principal), text.short(self.finding.principal)
            )
        elif self.finding and self.finding.asset_id:
            self.mapp.open_usage(EventFilter(asset_id=self.finding.asset_id), self.finding.asset_id)

    def action_asset(self) -> None:
        if self.finding and self.finding.asset_id:
            self.mapp.open_asset(self.finding.asset_id)

    def action_jump(self) -> None:
        row = self.query_one("#evidence", PagedEvents).current_row()
        if row and row.get("principal"):
            self.mapp.open_usage(EventFilter(principal=row["principal"]), text.short(row["principal"]))
