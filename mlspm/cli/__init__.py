"""The ``mlspm`` command line: the composition root that wires config, store, ingest, scan and the UI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from mlspm import __version__
from mlspm.config import DB_ENV_VAR, Config, default_db_path
from mlspm.errors import MlspmError

_HELP = f"""mlspm — ML security posture management in your terminal.

Load access logs (CloudTrail, S3 access logs, generic CSV/JSON lines), ML inventories (CycloneDX
ML-BOM, generic asset lists) and model-scanner reports (modelscan) into one local DuckDB file,
scan model files for unsafe code, and look at what you have.

\b
  mlspm                                    open the investigation workbench (a terminal UI)
  mlspm ingest ./logs ./inventory.json     load files and folders (format found by content)
  mlspm scan ./models                      scan model files with modelscan (never loads them)
  mlspm stats                              what the database holds
  mlspm analyze                            run the analyzers: model theft, poisoning, supply chain, posture
  mlspm findings --min-severity high       list findings; `mlspm finding FP` shows one with its evidence
  mlspm triage FP --status confirmed       record a triage decision (with history)
  mlspm report --format html -o r.html     the triage report: html, md, csv, json, sarif, ocsf

The database is --db FILE, else ${DB_ENV_VAR}, else {default_db_path()}.
"""


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        from mlspm.cli.console import err, print_error

        try:
            return super().invoke(ctx)
        except MlspmError as exc:
            print_error(exc)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print("interrupted — what was committed stays; the file in progress was rolled back")
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: say so plainly, keep the traceback for MLSPM_DEBUG=1
            if os.environ.get("MLSPM_DEBUG"):
                raise
            print_error(
                MlspmError(
                    f"internal error: {type(exc).__name__}: {exc}",
                    hint="this is a bug in mlspm; rerun with MLSPM_DEBUG=1 for the traceback and report it",
                )
            )
            sys.exit(70)


@click.group(
    cls=_Group,
    help=_HELP,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help=f"Database file (default: ${DB_ENV_VAR} or {default_db_path()}).",
)
@click.option(
    "--config",
    "settings",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Settings file: analyzer thresholds and suppressions (default: $MLSPM_CONFIG or "
    "~/.config/mlspm/config.toml when it exists).",
)
@click.version_option(__version__, prog_name="mlspm")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, settings: Path | None) -> None:
    ctx.obj = Config.from_env(db, settings=settings)
    if ctx.invoked_subcommand is None:
        from tui.app import run

        run(ctx.obj)


def _register() -> None:
    from mlspm.cli import analyze_cmd, findings_cmd, ingest_cmd, report_cmd, scan_cmd, stats_cmd, triage_cmd

    cli.add_command(ingest_cmd.ingest)
    cli.add_command(ingest_cmd.formats)
    cli.add_command(scan_cmd.scan)
    cli.add_command(stats_cmd.stats)
    cli.add_command(analyze_cmd.analyze)
    cli.add_command(analyze_cmd.analyzers_list)
    cli.add_command(analyze_cmd.compliance)
    cli.add_command(findings_cmd.findings)
    cli.add_command(findings_cmd.finding)
    cli.add_command(triage_cmd.triage)
    cli.add_command(report_cmd.report)


_register()


def main() -> None:
    cli(prog_name="mlspm")
