"""Fixtures for scan tests: a folder of generated model files and a CLI runner on the test database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mlspm.cli import cli
from tests.scan.hostile import BENIGN, BUILTINS_EVAL, OS_SYSTEM, torch_zip


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """benign.pkl, evil.pkl (posix.system), model.pt (zip with builtins.eval), notes.txt."""
    root = tmp_path / "models"
    root.mkdir()
    (root / "benign.pkl").write_bytes(BENIGN)
    (root / "evil.pkl").write_bytes(OS_SYSTEM)
    torch_zip(root / "model.pt", BUILTINS_EVAL)
    (root / "notes.txt").write_text("not a model\n")
    return root


RunCli = Callable[..., Result]


@pytest.fixture
def run_cli(config: object) -> RunCli:
    """run_cli("scan", path, ...) -> click Result, against the test's database."""

    def run(*args: object) -> Result:
        db = str(config.db_path)  # type: ignore[attr-defined]
        return CliRunner().invoke(cli, ["--db", db, *[str(a) for a in args]], catch_exceptions=False)

    return run
