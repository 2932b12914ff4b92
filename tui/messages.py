"""Messages screens post: past-tense facts."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class TriageChanged(Message):
    """Findings' triage changed (so lists showing them reload)."""

    fingerprints: list[str]
    status: str
