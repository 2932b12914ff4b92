"""modelscan JSON report (stub: not implemented yet)."""

from __future__ import annotations

from typing import ClassVar

from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import NO
from mlspm.ingest.source import Sample


class ModelscanReport:
    name: ClassVar[str] = "modelscan"
    title: ClassVar[str] = "modelscan JSON report"
    target_table: ClassVar[str] = "scan_results"

    def sniff(self, sample: Sample) -> int:
        return NO

    def load(self, ctx: LoadContext) -> None:
        raise NotImplementedError
