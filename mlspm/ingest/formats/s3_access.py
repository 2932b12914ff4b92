"""Amazon S3 server access log (stub: not implemented yet)."""

from __future__ import annotations

from typing import ClassVar

from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import NO
from mlspm.ingest.source import Sample


class S3AccessLog:
    name: ClassVar[str] = "s3_access"
    title: ClassVar[str] = "Amazon S3 server access log"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        return NO

    def load(self, ctx: LoadContext) -> None:
        raise NotImplementedError
