"""Reviewed SVG snapshots of the main screens at a fixed size (update with --snapshot-update, then review)."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.tui.conftest import settle
from tui.screens.findings import column_index

SIZE = (160, 48)


async def _ready(pilot: Pilot) -> None:
    await settle(pilot)


async def _open_findings(pilot: Pilot) -> None:
    await _ready(pilot)
    await pilot.press("f")
    await _ready(pilot)


async def _open_finding(pilot: Pilot) -> None:
    await _open_findings(pilot)
    await pilot.press("enter")
    await _ready(pilot)


async def _open_pivot(pilot: Pilot) -> None:
    await _open_findings(pilot)
    pilot.app.screen.query_one("#table").move_cursor(column=column_index("category"))
    await pilot.press("p")
    await _ready(pilot)


def test_overview(snap_compare, tui_app):
    assert snap_compare(tui_app, terminal_size=SIZE, run_before=_ready)


def test_findings(snap_compare, tui_app):
    assert snap_compare(tui_app, terminal_size=SIZE, run_before=_open_findings)


def test_finding_detail(snap_compare, tui_app):
    assert snap_compare(tui_app, terminal_size=SIZE, run_before=_open_finding)


def test_pivot_by_category(snap_compare, tui_app):
    assert snap_compare(tui_app, terminal_size=SIZE, run_before=_open_pivot)


async def _open_triage(pilot: Pilot) -> None:
    await _open_finding(pilot)
    await pilot.press("t")
    await _ready(pilot)


def test_triage_form(snap_compare, tui_app):
    assert snap_compare(tui_app, terminal_size=SIZE, run_before=_open_triage)
