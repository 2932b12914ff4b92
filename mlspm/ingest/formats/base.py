"""The contract every input format implements: a content sniffer and a loader."""

from __future__ import annotations

from typing import ClassVar, Protocol

from mlspm.ingest.context import LoadContext
from mlspm.ingest.source import Sample

# Sniff scores: how sure a format is that a sample is its own.
NO = 0
MAYBE = 10
LIKELY = 50
CERTAIN = 100


class Format(Protocol):
    """An input format: ``sniff`` looks at content (never the file name), ``load`` writes rows."""

    name: ClassVar[str]
    """Stable id stored in ``ingest_runs.format`` and ``access_events.source_format``."""
    title: ClassVar[str]
    """What users call it."""
    target_table: ClassVar[str]
    """The table its records land in."""

    def sniff(self, sample: Sample) -> int:
        """How sure (0–100) this format is that ``sample`` is its own."""
        ...

    def load(self, ctx: LoadContext) -> None:
        """Load the whole file through ``ctx.cur``; every record ends in its table or ``ctx.reject``."""
        ...
