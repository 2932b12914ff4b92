"""The mlspm workbench App: owns the query service and navigation; screens own their handlers."""

from __future__ import annotations

import gc
import getpass
import os
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from mlspm.config import Config
from mlspm.findings import FindingFilter
from mlspm.query import QueryService
from mlspm.query.model import EventFilter
from tui.commands import MlspmCommands


class MlspmApp(App[None]):
    """Overview → findings → finding → usage → assets → SQL, with a back stack and a palette."""

    TITLE = "mlspm"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {MlspmCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Keys", key_display="?"),
        Binding("g", "go_overview", "Overview", show=False),
        Binding("f", "go_findings", "Findings", show=False),
        Binding("A", "go_assets", "Assets", show=False),
        Binding("colon", "go_sql", "SQL", show=False),
        Binding("E", "go_events", "Events", show=False),
    ]

    def __init__(self, service: QueryService, config: Config | None = None, actor: str | None = None) -> None:
        super().__init__()
        self.service = service
        self.config = config
        self.actor = actor or os.environ.get("MLSPM_ACTOR") or getpass.getuser()

    def on_mount(self) -> None:
        from tui.screens.overview import OverviewScreen

        self.push_screen(OverviewScreen())
        # What start-up made (modules, styles, the first screen) lives as long as the app: moved out of
        # the collector's generations, Python's full collections stay short instead of stalling a
        # keystroke for tens of milliseconds now and then.
        self.call_after_refresh(gc.freeze)

    # -- navigation (screens and palette commands call these) --------------------------------------
    def open_findings(self, flt: FindingFilter | None = None, title: str = "findings", **kw: Any) -> None:
        from tui.screens.findings import FindingsScreen

        self.push_screen(FindingsScreen(flt or FindingFilter(), title=title, **kw))

    def open_finding(self, fingerprint: str) -> None:
        from tui.screens.finding import FindingScreen

        self.push_screen(FindingScreen(fingerprint))

    def open_usage(self, flt: EventFilter, title: str) -> None:
        from tui.screens.usage import UsageScreen

        self.push_screen(UsageScreen(flt, title))

    def open_assets(self) -> None:
        from tui.screens.assets import AssetsScreen

        self.push_screen(AssetsScreen())

    def open_asset(self, asset_id: str) -> None:
        from tui.screens.assets import AssetScreen

        self.push_screen(AssetScreen(asset_id))

    def open_sql(self) -> None:
        from tui.screens.sql import SqlScreen

        self.push_screen(SqlScreen())

    def breadcrumbs(self) -> str:
        names = [getattr(s, "crumb", "") for s in self.screen_stack[1:]]
        return " › ".join(n for n in names if n)

    # -- actions ---------------------------------------------------------------------------------
    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_go_overview(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_go_findings(self) -> None:
        self.open_findings()

    def action_go_assets(self) -> None:
        self.open_assets()

    def action_go_sql(self) -> None:
        self.open_sql()

    def action_go_events(self) -> None:
        self.open_usage(EventFilter(), "all events")


def run(config: Config) -> None:
    """Open the workbench on the configured database (``mlspm`` with no command)."""
    from mlspm.store import Store

    store = Store(config.db_path, create=False)
    try:
        service = QueryService(store)
        service.lock_down()  # the workbench never needs the file system through DuckDB
        MlspmApp(service, config).run()
    finally:
        store.close()
