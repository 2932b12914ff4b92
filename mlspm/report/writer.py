"""Dispatch by format: render a ReportData, or collect and write a report to a file (atomically) or a stream."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TextIO

from mlspm.findings import FindingFilter
from mlspm.report import html, markdown, ocsf, sarif, tabular
from mlspm.report.collect import collect
from mlspm.report.model import FrameworkInfo, ReportData, RuleInfo
from mlspm.store import Store

RENDERERS: dict[str, Callable[[ReportData], str]] = {
    "html": html.render,
    "md": markdown.render,
    "csv": tabular.to_csv,
    "json": tabular.to_json,
    "sarif": sarif.to_sarif,
    "ocsf": ocsf.to_ocsf,
}
FORMATS = tuple(RENDERERS)
SUFFIX = {
    "html": ".html",
    "md": ".md",
    "csv": ".csv",
    "json": ".json",
    "sarif": ".sarif",
    "ocsf": ".ocsf.jsonl",
}
"""The usual file name ending per format (for a save dialog's default name)."""


def render(data: ReportData, fmt: str) -> str:
    """``data`` as ``fmt`` text; raises ValueError naming the formats for an unknown one."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r} (one of: {', '.join(FORMATS)})") from None
    return renderer(data)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    A reader never sees half a report, and an existing report is only replaced by a complete one.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).chmod(0o644)  # mkstemp makes it private; a report is an ordinary file
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(
    store: Store,
    fmt: str,
    target: Path | TextIO,
    flt: FindingFilter,
    rules: Mapping[str, RuleInfo],
    frameworks: Mapping[str, FrameworkInfo] | None = None,
    *,
    database: str | None = None,
    generated_at: datetime | None = None,
) -> int:
    """Collect the findings matching ``flt`` and write them as ``fmt``; returns how many findings.

    ``target`` is a path (written atomically) or an open text stream. ``rules`` and ``frameworks``
    describe the analyzer pack (the caller builds them: the core never imports the analyzers).
    """
    if fmt not in RENDERERS:
        raise ValueError(f"unknown report format {fmt!r} (one of: {', '.join(FORMATS)})")
    with store.cursor() as cur:
        data = collect(
            cur,
            flt,
            rules,
            frameworks,
            database=database if database is not None else str(store.path),
            generated_at=generated_at,
        )
    text = render(data, fmt)
    if isinstance(target, Path):
        write_atomic(target, text)
    else:
        target.write(text)
    return len(data.findings)
