"""generic asset list (stub: not implemented yet)."""

from __future__ import annotations

from typing import ClassVar

from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import NO
from mlspm.ingest.source import Sample


class GenericAssets:
    name: ClassVar[str] = "generic_assets"
    title: ClassVar[str] = "generic asset list"
    target_table: ClassVar[str] = "assets"

    def sniff(self, sample: Sample) -> int:
        return NO

    def load(self, ctx: LoadContext) -> None:
        raise NotImplementedError
