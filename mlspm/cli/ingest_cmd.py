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
@click.pass_obj
def ingest(config: Config, paths: tuple[Path, ...], format_name: str | None, as_json: bool) -> None:
    """Load log, inventory and scanner-report files and folders into the database.

    Each file's format is found from its content (names and extensions do not matter), folders are
    read recursively and .gz files transparently. Every record is either loaded or kept in the
    rejects table with its position and the reason. Loading the same file again adds nothing.

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
        _print_summary(report, config)
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


def _print_summary(report: IngestReport, config: Config) -> None:
    table = Table(title=None, show_edge=False, header_style="bold")
    for col, justify in (
        ("file", "left"),
        ("format", "left"),
        ("status", "left"),
        ("rows", "right"),
        ("duplicates", "right"),
        ("rejected", "right"),
        ("seconds", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for f in report.files:
        table.add_row(
            safe(_short(f.path, 60)),
            safe(f.format or "-"),
            safe(f.status, style=_STATUS_STYLE.get(f.status, "")),
            f"{f.counts.loaded:,}",
            f"{f.counts.duplicate:,}",
            f"{f.counts.rejected:,}",
            f"{f.seconds:.2f}",
        )
    out.print(table)
    loaded = sum(1 for f in report.files if f.status == Status.LOADED)
    again = sum(1 for f in report.files if f.status == Status.ALREADY_LOADED)
    out.print(
        f"{len(report.files)} files: {loaded} loaded, {again} already loaded, "
        f"{len(report.failed)} not loaded · "
        f"{report.total('loaded'):,} rows, {report.total('duplicate'):,} duplicates skipped, "
        f"{report.total('rejected'):,} rejected · database {safe(config.db_path)}"
    )
    notes = [f for f in report.files if f.message and f.status != Status.ALREADY_LOADED]
    for f in notes:
        style = "red" if f.status in Status.NOT_LOADED else "yellow"
        line = safe(f"{_short(f.path, 60)}: ", style=style)
        line.append_text(safe(f.message, max_len=400))
        (err if f.status in Status.NOT_LOADED else out).print(line)
    if report.total("rejected"):
        out.print(
            "rejected records are in the rejects table (file, position, reason, raw text) — see `mlspm stats`"
        )


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
