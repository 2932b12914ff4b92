"""Every key, by screen (? or F1)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Everywhere",
        (
            ("enter", "drill in: open the row under the cursor"),
            ("escape", "back along the trail"),
            ("?  F1", "this help"),
            ("ctrl+p", "command palette: view:, filter:, triage:, export:"),
            ("g", "back to the overview"),
            ("f", "findings"),
            ("A", "assets"),
            ("E", "all events: timeline, pages, pivot"),
            (":", "SQL console"),
            ("q", "quit (the terminal is restored)"),
        ),
    ),
    ("Overview", (("h", "high and critical findings"), ("r", "reload"))),
    (
        "Findings",
        (
            ("/", "filter: words, severity>=high, status:open, category:…, principal:…, asset:…"),
            ("", 'analyzer:…, assignee:…; -term excludes; "quoted words" (esc clears)'),
            ("s", "sort by the column under the cursor (again: reverse)"),
            ("p", "pivot: group by the column under the cursor, or the key columns"),
            ("k", "make the column a key column (two: a two-way pivot)"),
            ("space", "mark the row; a marks all"),
            ("t", "triage the marked rows (or the current one)"),
            ("u", "usage explorer for the principal"),
            ("o", "the asset"),
            ("e", "export"),
        ),
    ),
    (
        "Finding",
        (
            ("t", "triage"),
            ("←/→", "tabs: evidence, triage, asset & lineage, related, about"),
            ("n / b", "next / previous page of evidence"),
            ("enter on an event", "its raw record"),
            ("j", "jump to the evidence row's principal"),
            ("u / o", "usage / asset"),
        ),
    ),
    (
        "Usage explorer",
        (
            ("d", "hour or day buckets"),
            ("j / J / i", "jump to the row's principal / asset / address"),
            ("n / b  < / >", "next / previous, first / last page of raw events"),
            ("←/→", "move the column cursor"),
            ("p", "group the events by the column under the cursor"),
        ),
    ),
    ("SQL console", (("ctrl+r", "run"), ("ctrl+c", "cancel the running query"))),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        out = Text()
        for section, keys in KEYS:
            out.append(f"{section}\n", style="bold underline")
            for key, what in keys:
                out.append(f"  {key:20s}", style="bold cyan")
                out.append(f"{what}\n")
            out.append("\n")
        out.append("The mouse works too: click rows, tabs and buttons.", style="dim")
        yield VerticalScroll(Static(out), id="dialog", classes="wide")

    def action_close(self) -> None:
        self.dismiss(None)
