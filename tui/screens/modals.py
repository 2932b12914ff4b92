"""Modal dialogs: the triage form and the export form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from mlspm.enums import TriageStatus


@dataclass(frozen=True)
class TriageRequest:
    status: TriageStatus
    note: str | None
    assignee: str | None
    expires_at: datetime | None


class TriageModal(ModalScreen[TriageRequest | None]):
    """Status, assignee, note and (for accepted risks) an expiry, for one or many findings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply"),
    ]

    def __init__(self, count: int, current: TriageStatus | None = None) -> None:
        super().__init__()
        self.count = count
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Triage {self.count} finding{'s' if self.count != 1 else ''}", style="bold"))
            yield Select(
                [(s.value, s) for s in TriageStatus],
                value=self.current or TriageStatus.INVESTIGATING,
                allow_blank=False,
                id="triage-status",
            )
            yield Input(placeholder="assignee (optional)", id="assignee")
            yield Input(placeholder="note: why (required to accept a risk)", id="note")
            yield Input(placeholder="expires YYYY-MM-DD (accepted risks only)", id="expires")
            yield Static(id="error")
            with Horizontal(classes="buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_cancel()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        status = self.query_one("#triage-status", Select).value
        note = self.query_one("#note", Input).value.strip() or None
        assignee = self.query_one("#assignee", Input).value.strip() or None
        raw = self.query_one("#expires", Input).value.strip()
        expires = None
        if raw:
            try:
                expires = datetime.combine(date.fromisoformat(raw), time.max, tzinfo=UTC)
            except ValueError:
                self.query_one("#error", Static).update(
                    Text(f"{raw!r} is not a date (YYYY-MM-DD)", style="red")
                )
                return
        if status is TriageStatus.RISK_ACCEPTED and (not note or expires is None):
            self.query_one("#error", Static).update(
                Text("accepting a risk needs a note (why) and an expiry date", style="red")
            )
            return
        assert isinstance(status, TriageStatus)
        self.dismiss(TriageRequest(status, note, assignee, expires))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    fmt: str


class ExportModal(ModalScreen[ExportRequest | None]):
    """Where to write the findings shown, and as what."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, count: int, default: Path, formats: tuple[str, ...], suffixes: Mapping[str, str] | None = None
    ) -> None:
        super().__init__()
        self.count = count
        self.default = default
        self.formats = formats
        self.suffixes = suffixes or {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"Export {self.count} findings", style="bold"))
            yield Select(
                [(f, f) for f in self.formats], value=self.formats[0], allow_blank=False, id="format"
            )
            yield Input(value=str(self.default), id="path")
            yield Static(id="error")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def on_select_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#path", Input)
        current = Path(path.value)
        stem = current.name
        for suffix in sorted(self.suffixes.values(), key=len, reverse=True):  # .ocsf.jsonl before .jsonl
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        else:
            stem = current.stem
        path.value = str(current.with_name(stem + self.suffixes.get(str(event.value), f".{event.value}")))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._export()
        else:
            self.action_cancel()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._export()

    def _export(self) -> None:
        fmt = str(self.query_one("#format", Select).value)
        raw = self.query_one("#path", Input).value.strip()
        if not raw:
            self.query_one("#error", Static).update(Text("give a file name", style="red"))
            return
        self.dismiss(ExportRequest(Path(raw).expanduser(), fmt))

    def action_cancel(self) -> None:
        self.dismiss(None)
