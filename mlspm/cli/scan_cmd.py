"""``mlspm scan``: run modelscan over model files and store the results (stub)."""

from __future__ import annotations

from pathlib import Path

import click

from mlspm.config import Config


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def scan(config: Config, paths: tuple[Path, ...]) -> None:
    """Scan model files and folders with modelscan (static: nothing is ever loaded or unpickled)."""
    raise NotImplementedError
