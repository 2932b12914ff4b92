"""``mlspm ingest`` and ``mlspm formats``: load files with progress and a per-file summary."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlspm.cli.console import err, out, safe
from mlspm.config import Config
from mlspm.errors import ConfigError
from mlspm.ingest import FileResult, IngestReport, Status, ingest_paths
from mlspm.store import Store
from mlspm.text import printable

DETAIL_LIMIT = 40
"""Up to this many files the summary has a row per file; past it (a folder of delivered logs), a
row per format and status, and the notes are capped: thousands of rows help nobody and took Rich
seconds to draw. ``--files`` and ``--json`` still give every file."""

_STATUS_STYLE = {
    Status.LOADED: "green",
    Status.ALREADY_LOADED: "dim",
    Status.UNREADABLE: "red",
    Status.UNRECOGNIZED: "red",
    Status.FAILED: "red",
}


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_name",
    metavar="NAME",
    help="Skip detection and read every file as this format (see `mlspm formats`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the per-file summary as JSON.")
@click.option(
    "--files",
    "every_file",
    is_flag=True,
    help=f"List every file in the summary (past {DETAIL_LIMIT} files it lists formats instead).",
)
@click.pass_obj
def ingest(
    config: Config, paths: tuple[Path, ...], format_name: str | None, as_json: bool, every_file: bool
) -> None:
    """Load log, inventory and scanner-report files and folders into the database.

    Each file's format is found from its content (names and extensions do not matter), folders are
    read recursively and .gz files transparently. Every record is either loaded or kept in the
    rejects table with its position and the reason. Loading the same file again adds nothing.

    Memory: DuckDB loads a file in 384MB (a group of small files in 128MB) and spills to a
    temporary folder beside the database past that; a file that needs more gets up to
    $MLSPM_MEMORY_LIMIT (default 1GB).

    Exits 1 when a file could not be read at all (after loading all the others).
    """
    force = None
    if format_name:
        from mlspm.ingest.formats import by_name

        try:
            force = by_name(format_name)
        except KeyError as exc:
            raise ConfigError(str(exc.args[0]), hint="run `mlspm formats` to list them") from None
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        err.print(safe(f"warning: {path} does not exist", style="yellow"))
    with Store(config.db_path) as store:
        report = _run(store, [p for p in paths if p.exists()] + missing, config, force, quiet=as_json)
    if as_json:
        out.print_json(json.dumps(_report_json(report, config)))
    else:
        _print_summary(report, config, every_file=every_file)
    if report.failed:
        sys.exit(1)


def _run(store: Store, paths: list[Path], config: Config, force: object, *, quiet: bool) -> IngestReport:
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} files"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )
    with progress:
        task = progress.add_task("loading", total=None)

        def hook(stage: str, path: Path, result: FileResult | None) -> None:
            if stage == "start":
                # The description is Rich markup: a crafted file name must stay text.
                progress.update(task, description=f"loading {escape(printable(_short(path)))}")
            else:
                progress.advance(task)

        return ingest_paths(store, paths, config, progress=hook, force_format=force)  # type: ignore[arg-type]


def _short(path: Path, width: int = 50) -> str:
    text = str(path)
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _print_summary(report: IngestReport, config: Config, *, every_file: bool = False) -> None:
    detailed = every_file or len(report.files) <= DETAIL_LIMIT
    out.print(_file_table(report.files) if detailed else _format_table(report.files))
    loaded = sum(1 for f in report.files if f.status == Status.LOADED)
    again = sum(1 for f in report.files if f.status == Status.ALREADY_LOADED)
    out.print(
        f"{len(report.files):,} files: {loaded:,} loaded, {again:,} already loaded, "
        f"{len(report.failed):,} not loaded · "
        f"{report.total('loaded'):,} rows, {report.total('duplicate'):,} duplicates skipped, "
        f"{report.total('rejected'):,} rejected · database {safe(config.db_path)}"
    )
    # Files not loaded first (they are why the exit status is 1), then warnings on loaded files.
    notes = [f for f in report.files if f.message and f.status in Status.NOT_LOADED]
    notes += [f for f in report.files if f.message and f.status == Status.LOADED]
    shown = notes if detailed else notes[:DETAIL_LIMIT]
    for f in shown:
        style = "red" if f.status in Status.NOT_LOADED else "yellow"
        line = safe(f"{_short(f.path, 60)}: ", style=style)
        line.append_text(safe(f.message, max_len=400))
        (err if f.status in Status.NOT_LOADED else out).print(line)
    if len(notes) > len(shown):
        err.print(
            f"… and {len(notes) - len(shown):,} more files with a note: `--files` or `--json` lists "
            "them all, and every file's status and message stays in the ingest_runs table"
        )
    if report.total("rejected"):
        out.print(
            "rejected records are in the rejects table (file, position, reason, raw text) — see `mlspm stats`"
        )


def _file_table(files: list[FileResult]) -> Table:
    table = _table("file", "format", "status", "rows", "duplicates", "rejected", "seconds")
    for f in files:
        table.add_row(
            safe(_short(f.path, 60)),
            safe(f.format or "-"),
            safe(f.status, style=_STATUS_STYLE.get(f.status, "")),
            f"{f.counts.loaded:,}",
            f"{f.counts.duplicate:,}",
            f"{f.counts.rejected:,}",
            f"{f.seconds:.2f}",
        )
    return table


def _format_table(files: list[FileResult]) -> Table:
    """One row per (format, status): what a folder of thousands of files came to."""
    table = _table("format", "status", "files", "rows", "duplicates", "rejected", "seconds")
    groups: dict[tuple[str, str], list[FileResult]] = {}
    for f in files:
        groups.setdefault((f.format or "-", f.status), []).append(f)
    for (fmt, status), members in sorted(groups.items()):
        table.add_row(
            safe(fmt),
            safe(status, style=_STATUS_STYLE.get(status, "")),
            f"{len(members):,}",
            f"{sum(f.counts.loaded for f in members):,}",
            f"{sum(f.counts.duplicate for f in members):,}",
            f"{sum(f.counts.rejected for f in members):,}",
            f"{sum(f.seconds for f in members):.2f}",
        )
    return table


def _table(*columns: str) -> Table:
    table = Table(title=None, show_edge=False, header_style="bold")
    for col in columns:
        text_column = col in ("file", "format", "status")
        table.add_column(col, justify="left" if text_column else "right")
    return table


def _report_json(report: IngestReport, config: Config) -> dict[str, object]:
    return {
        "database": str(config.db_path),
        "batch_id": report.batch_id,
        "files": [
            {
                "path": str(f.path),
                "format": f.format,
                "status": f.status,
                "rows": f.counts.loaded,
                "duplicates": f.counts.duplicate,
                "rejected": f.counts.rejected,
                "seconds": round(f.seconds, 3),
                "message": f.message,
                "run_id": f.run_id,
            }
            for f in report.files
        ],
    }


@click.command()
def formats() -> None:
    """List the input formats mlspm recognises."""
    from mlspm.ingest.formats import all_formats

    table = Table(show_edge=False, header_style="bold")
    table.add_column("name")
    table.add_column("what")
    table.add_column("loads into")
    for fmt in all_formats():
        table.add_row(fmt.name, fmt.title, fmt.target_table)
    out.print(table)
