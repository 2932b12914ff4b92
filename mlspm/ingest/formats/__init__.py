"""The registry of input formats, consulted in order by content detection."""

from __future__ import annotations

from mlspm.ingest.formats.base import Format


def all_formats() -> list[Format]:
    """Every supported format (imported lazily so start-up stays light)."""
    from mlspm.ingest.formats.cloudtrail import CloudTrail, CloudTrailDigest
    from mlspm.ingest.formats.cyclonedx import CycloneDX
    from mlspm.ingest.formats.generic_assets import GenericAssets
    from mlspm.ingest.formats.generic_events import GenericEvents
    from mlspm.ingest.formats.modelscan_report import ModelscanReport
    from mlspm.ingest.formats.s3_access import S3AccessLog

    return [
        CloudTrail(),
        CloudTrailDigest(),
        S3AccessLog(),
        CycloneDX(),
        ModelscanReport(),
        GenericAssets(),
        GenericEvents(),
    ]


def by_name(name: str) -> Format:
    for fmt in all_formats():
        if fmt.name == name:
            return fmt
    names = ", ".join(f.name for f in all_formats())
    raise KeyError(f"unknown format {name!r} (known: {names})")
