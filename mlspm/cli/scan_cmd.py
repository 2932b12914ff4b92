"""``mlspm scan``: run modelscan over model files and folders; results are stored like an imported report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlspm.cli.console import err, out, safe
from mlspm.config import Config
from mlspm.enums import ScanResultKind
from mlspm.text import printable

if TYPE_CHECKING:
    from mlspm.scan.runner import ScanRun

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
_LIST_LIMIT = 50


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--max-seconds",
    type=float,
    default=None,
    metavar="N",
    help="Per-file time cap in seconds (default: 60); a file over it is recorded as skipped.",
)
@click.option(
    "--max-memory-mb",
    type=int,
    default=None,
    metavar="N",
    help="Per-file memory cap for the scanner process in MB (default: 2048).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary and every result as JSON.")
@click.pass_obj
def scan(
    config: Config,
    paths: tuple[Path, ...],
    max_seconds: float | None,
    max_memory_mb: int | None,
    as_json: bool,
) -> None:
    """Scan model files and folders with modelscan (static: nothing is ever loaded or unpickled).

    Folders are scanned recursively (hidden files included). Each file is read by one long-lived
    modelscan worker; a file that takes longer than --max-seconds or makes the worker use more than
    --max-memory-mb is recorded as skipped with the reason, and the scan goes on. Files modelscan
    does not support are recorded as skipped, its parse errors as errors. Results (with each file's
    sha256, to link them to inventory assets) go to the scan_results table as one run, exactly as an
    imported modelscan report would; scanning again adds a new run and keeps the earlier ones.

    \b
    Exit codes:
      0  the scan ran (issues found are findings, not failures)
      1  nothing could be scanned, or a path does not exist (the rest is still scanned and stored)
      2  bad option (e.g. a cap that is not positive)
    """
    from mlspm.scan.runner import scan_paths
    from mlspm.store import Store

    for path in paths:
        if not path.exists() and not path.is_symlink():
            err.print(safe(f"warning: {path} does not exist", style="yellow"))
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    )
    with Store(config.db_path) as store, progress:
        task = progress.add_task("scanning", total=None)

        def hook(stage: str, path: Path | None, count: int) -> None:
            if stage == "found":
                progress.update(task, total=count)
            elif stage == "start" and path is not None:
                # The description is Rich markup: a file name must not be able to inject any.
                progress.update(task, description="scanning " + escape(printable(_short(path, 40))))
            elif stage == "done":
                progress.advance(task)

        run = scan_paths(
            store, paths, config, max_seconds=max_seconds, max_memory_mb=max_memory_mb, progress=hook
        )
    if as_json:
        out.print_json(json.dumps(_run_json(run, config)))
    else:
        _print_summary(run, config)
    if run.missing or run.nothing_scanned:
        sys.exit(1)


def _short(path: Path | str, width: int = 60) -> str:
    text = str(path)
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _where(target: str, member: str | None) -> str:
    return f"{target}:{member}" if member else target


def _print_summary(run: ScanRun, config: Config) -> None:
    from mlspm.scan.runner import FileStatus

    issues = run.rows(ScanResultKind.ISSUE)
    if issues:
        table = Table(show_edge=False, header_style="bold", title="issues", title_justify="left")
        for col in ("severity", "file", "operator", "scanner rule"):
            table.add_column(col)
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
        for r in sorted(issues, key=lambda r: (order.get(r.severity or "", 9), r.target))[:_LIST_LIMIT]:
            table.add_row(
                safe(r.severity, style=_SEVERITY_STYLE.get(r.severity or "", "")),
                safe(_short(_where(r.target, r.member), 70)),
                safe(r.module_operator or "-"),
                safe(r.rule_id or "-"),
            )
        out.print(table)
        if len(issues) > _LIST_LIMIT:
            out.print(f"… and {len(issues) - _LIST_LIMIT:,} more issues (all are in the scan_results table)")
    not_scanned = [f for f in run.files if f.status != FileStatus.SCANNED]
    for f in not_scanned[:_LIST_LIMIT]:
        line = safe(f"{f.status}: ", style="red" if f.status == FileStatus.ERROR else "yellow")
        line.append_text(safe(f"{_short(f.path, 70)} — {f.reason or 'not scanned'}", max_len=300))
        out.print(line)
    if len(not_scanned) > _LIST_LIMIT:
        out.print(f"… and {len(not_scanned) - _LIST_LIMIT:,} more files not scanned")

    summary = Table(show_edge=False, header_style="bold", show_header=False)
    summary.add_column("what")
    summary.add_column("count", justify="right")
    summary.add_row("files found", f"{len(run.files):,}")
    summary.add_row("files scanned", f"{run.count(FileStatus.SCANNED):,}")
    for sev, count in run.issues_by_severity().items():
        if count or sev != "info":
            summary.add_row(safe(f"issues {sev}", style=_SEVERITY_STYLE[sev] if count else ""), f"{count:,}")
    summary.add_row("files skipped", f"{run.count(FileStatus.SKIPPED):,}")
    summary.add_row("errors", f"{len(run.rows(ScanResultKind.ERROR)):,}")
    out.print(summary)
    version = safe(run.scanner_version or "?")
    line = safe("modelscan ")
    line.append_text(version)
    line.append_text(safe(f" · run {run.run_id} · {run.seconds:.2f} s · database {config.db_path}"))
    out.print(line)
    for warning in run.warnings:
        out.print(safe(f"note: {warning}", style="dim", max_len=400))
    if run.nothing_scanned:
        err.print("nothing could be scanned", style="red")


def _run_json(run: ScanRun, config: Config) -> dict[str, object]:
    from mlspm.scan.runner import FileStatus

    return {
        "database": str(config.db_path),
        "batch_id": run.batch_id,
        "run_id": run.run_id,
        "scanner": "modelscan",
        "scanner_version": run.scanner_version,
        "seconds": round(run.seconds, 3),
        "paths": [str(p) for p in run.paths],
        "missing": [str(p) for p in run.missing],
        "summary": {
            "files": len(run.files),
            "scanned": run.count(FileStatus.SCANNED),
            "skipped": run.count(FileStatus.SKIPPED),
            "error_files": run.count(FileStatus.ERROR),
            "errors": len(run.rows(ScanResultKind.ERROR)),
            "issues": len(run.rows(ScanResultKind.ISSUE)),
            "issues_by_severity": run.issues_by_severity(),
        },
        "files": [
            {
                "path": str(f.path),
                "status": f.status,
                "sha256": f.sha256,
                "size": f.size,
                "issues": f.issues,
                "reason": f.reason,
                "seconds": round(f.seconds, 4),
            }
            for f in run.files
        ],
        "results": [
            {
                "kind": str(r.kind),
                "target": r.target,
                "member": r.member,
                "rule_id": r.rule_id,
                "severity": r.severity,
                "severity_raw": r.severity_raw,
                "module_operator": r.module_operator,
                "message": r.message,
            }
            for r in run.records
            if not r.reject and r.kind != ScanResultKind.SCANNED
        ],
        "warnings": run.warnings,
    }
