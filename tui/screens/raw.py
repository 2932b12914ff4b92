"""A modal showing one event's raw record as it arrived (escaped text), with its source file."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mlspm.text import printable


class RawModal(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, raw: str | None, source: str | None, position: int | None) -> None:
        super().__init__()
        self.raw = raw
        self.source = source
        self.position = position

    def compose(self) -> ComposeResult:
        where = Text(f"from {printable(self.source)}", style="dim")
        if self.position:
            where.append(f" · record {self.position}", style="dim")
        body = self.raw or "(no raw record kept for this event: its fields are the record)"
        try:
            body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except (TypeError, ValueError):
            pass
        with VerticalScroll(id="dialog", classes="wide"):
            yield Static(where)
            yield Static(Text(printable(body, newlines=True)))

    def action_close(self) -> None:
        self.dismiss(None)
