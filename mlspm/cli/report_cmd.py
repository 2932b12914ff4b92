"""``mlspm report``: the triage report as HTML, Markdown, CSV, JSON, SARIF 2.1.0 or OCSF, to a file or stdout."""

from __future__ import annotations

import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click

from mlspm.cli.console import out, safe
from mlspm.cli.findings_cmd import filter_options
from mlspm.config import Config
from mlspm.enums import Severity, TriageStatus
from mlspm.errors import ConfigError, MlspmError
from mlspm.findings import FindingFilter
from mlspm.report import FORMATS, FrameworkInfo, RuleInfo, write_report
from mlspm.store import Store

_FORMAT_NAME = {
    "html": "HTML",
    "md": "Markdown",
    "csv": "CSV",
    "json": "JSON",
    "sarif": "SARIF",
    "ocsf": "OCSF",
}


def catalog() -> tuple[dict[str, RuleInfo], dict[str, FrameworkInfo]]:
    """The analyzer pack and framework crosswalks as the report needs them (only the CLI reads analyzers)."""
    from analyzers.catalog import report_catalog

    return report_catalog()


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (expected YYYY-MM-DD or an ISO 8601 time such as 2026-03-01T12:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _generated_at() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set: the reproducible-builds convention for a fixed timestamp."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if fixed:
        try:
            return datetime.fromtimestamp(int(fixed), UTC)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(
                f"SOURCE_DATE_EPOCH={fixed!r} is not a time", hint="set it to seconds since 1970, or unset it"
            ) from None
    return datetime.now(UTC)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html (one self-contained page), md, csv, json, sarif (SARIF 2.1.0) or ocsf (OCSF JSON lines).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE (atomically) instead of standard output.",
)
@filter_options
@click.option(
    "--since",
    callback=_since,
    metavar="DATE",
    help="Only findings with evidence on or after DATE (YYYY-MM-DD or ISO 8601, UTC unless given).",
)
@click.option("--include-inactive", is_flag=True, help="Include findings that no longer fire.")
@click.pass_obj
def report(
    config: Config,
    fmt: str,
    output: Path | None,
    min_severity: Severity | None,
    statuses: list[TriageStatus],
    categories: tuple[str, ...],
    analyzer_ids: tuple[str, ...],
    since: datetime | None,
    include_inactive: bool,
) -> None:
    """Write the triage report: summary, findings with evidence and triage, inputs and thresholds.

    Every report carries the mlspm version, the database, the time and the sha256 of every input
    file. HTML is one page with no script and no external resource (print it to PDF from a browser);
    Markdown is the same for tickets and wikis; SARIF 2.1.0 and OCSF (Detection Finding, JSON lines)
    are for code-scanning platforms and SIEMs; CSV and JSON have one row per finding with its triage
    fields. Set SOURCE_DATE_EPOCH for a fixed "generated at" time (reproducible reports).
    """
    if output is not None and not output.parent.is_dir():
        raise ConfigError(
            f"cannot write {output}: the folder {output.parent} does not exist",
            hint="create the folder first, or give another -o path",
        )
    flt = FindingFilter(
        min_severity=min_severity,
        statuses=statuses,
        categories=categories,
        analyzers=analyzer_ids,
        include_inactive=include_inactive,
        since=since,
    )
    rules, fws = catalog()
    when = _generated_at()
    if output is None and isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # a report is UTF-8, whatever the locale says
    with Store(config.db_path, create=False) as store:
        target: Path | TextIO = output if output is not None else sys.stdout
        try:
            count = write_report(
                store,
                fmt,
                target,
                flt,
                rules,
                fws,
                database=str(config.db_path.resolve()),
                generated_at=when,
            )
        except OSError as exc:
            raise MlspmError(
                f"cannot write {output or 'the report'}: {exc.strerror or exc}",
                hint="check the path and its permissions, or give another -o path",
            ) from None
    if output is not None:
        noun = "finding" if count == 1 else "findings"
        out.print(safe(f"wrote {_FORMAT_NAME[fmt]} report with {count} {noun} to {output}"))
