"""AWS CloudTrail (stub: not implemented yet)."""

from __future__ import annotations

from typing import ClassVar

from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import NO
from mlspm.ingest.source import Sample


class CloudTrail:
    name: ClassVar[str] = "cloudtrail"
    title: ClassVar[str] = "AWS CloudTrail"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        return NO

    def load(self, ctx: LoadContext) -> None:
        raise NotImplementedError


class CloudTrailDigest:
    name: ClassVar[str] = "cloudtrail_digest"
    title: ClassVar[str] = "AWS CloudTrail digest"
    target_table: ClassVar[str] = "ingest_runs"

    def sniff(self, sample: Sample) -> int:
        return NO

    def load(self, ctx: LoadContext) -> None:
        raise NotImplementedError
