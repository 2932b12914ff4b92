"""Golden files: every format rendered from the fixed estate, byte for byte.

Regenerate after an intended change with ``MLSPM_UPDATE_GOLDEN=1 .venv/bin/pytest tests/report`` and
review the diff (``git diff tests/report/golden``) before committing it.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import quote

import pytest

from mlspm.report import FORMATS, SUFFIX, ReportData, render
from mlspm.report.markdown import md
from tests.report.conftest import Estate

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MLSPM_UPDATE_GOLDEN") == "1"


def normalize(text: str, root: Path) -> str:
    """The temporary folder as ``<TMP>``, however the format escaped it."""
    raw = str(root)
    for variant in {raw, md(raw), html.escape(raw, quote=True), quote(raw, safe="/")}:
        text = text.replace(variant, "<TMP>")
    return text


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_matches_its_golden_file(fmt: str, report_data: ReportData, estate: Estate) -> None:
    got = normalize(render(report_data, fmt), estate.root)
    path = GOLDEN / f"report{SUFFIX[fmt]}"
    if UPDATE:
        path.write_text(got, encoding="utf-8", newline="")
        pytest.skip(f"golden file {path.name} rewritten")
    assert path.exists(), f"no golden file {path}; run with MLSPM_UPDATE_GOLDEN=1 to create it"
    want = path.read_text(encoding="utf-8")
    assert got == want, f"{fmt} output differs from {path.name}; MLSPM_UPDATE_GOLDEN=1 rewrites it"


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(fmt: str, report_data: ReportData) -> None:
    assert render(report_data, fmt) == render(report_data, fmt)


def test_no_temporary_path_survives_normalization(report_data: ReportData, estate: Estate) -> None:
    # the goldens must not depend on where pytest put the estate
    for fmt in FORMATS:
        assert str(estate.root) not in normalize(render(report_data, fmt), estate.root)
