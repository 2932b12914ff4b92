"""The real `mlspm` binary in a 160x48 tmux terminal: overview → findings → finding → back → quit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "tui_smoke.sh"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tmux_smoke(tui_db):
    done = subprocess.run(
        ["bash", str(SCRIPT), str(tui_db)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "terminal restored" in done.stdout
