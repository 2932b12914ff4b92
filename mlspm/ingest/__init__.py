"""Ingest: detect each file's format by content and load it, one transaction per file, nothing lost."""

from mlspm.ingest.runner import FileResult, IngestReport, Status, ingest_paths

__all__ = ["FileResult", "IngestReport", "Status", "ingest_paths"]
