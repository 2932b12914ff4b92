"""What every screen has: the breadcrumb trail, Escape to go back, and off-thread loading."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from mlspm.errors import MlspmError
from mlspm.text import printable

if TYPE_CHECKING:
    from mlspm.query import QueryService
    from tui.app import MlspmApp

T = TypeVar("T")


def still_open(widget: Widget) -> bool:
    """Is ``widget`` on a screen that is still open? Popping takes a screen off the stack at once and
    removes its widgets a moment later: a worker's answer arriving in between must be dropped."""
    return widget.is_attached and widget.screen in widget.app.screen_stack


class Crumbs(Static):
    """The path from the overview to here; Escape walks back along it."""


class BaseScreen(Screen[None]):
    crumb: str = ""
    pending: int = 0
    """Fetches not yet shown (tests wait for 0; the UI never waits)."""
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    @property
    def mapp(self) -> MlspmApp:
        return self.app  # type: ignore[return-value]

    @property
    def service(self) -> QueryService:
        return self.mapp.service

    def compose_header(self) -> ComposeResult:
        yield Crumbs(id="crumbs")

    def compose_footer(self) -> ComposeResult:
        yield Static(id="status")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.refresh_crumbs()

    def refresh_crumbs(self) -> None:
        try:
            crumbs = self.query_one("#crumbs", Crumbs)
        except Exception:
            return
        trail = Text("mlspm", style="bold")
        path = self.mapp.breadcrumbs()
        if path:
            trail.append(" › " + printable(path), style="")
        crumbs.update(trail)

    def say(self, message: str, *, error: bool = False) -> None:
        """A one-line message in the status bar (untrusted text is shown as text)."""
        try:
            self.query_one("#status", Static).update(
                Text(printable(message), style="red" if error else "dim")
            )
        except Exception:
            self.notify(printable(message), severity="error" if error else "information")

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def _deliver(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Hand a worker's answer to ``callback`` on the UI thread, unless this screen was closed
        meanwhile (Escape while its query ran): its widgets are gone, or going, and the answer is stale.
        Popping takes a screen off the stack at once; its widgets are removed a moment later."""
        try:
            if still_open(self):
                callback(*args, **kwargs)
        finally:
            self.pending -= 1

    def fetch(self, job: Callable[[], T], done: Callable[[T], Any], *, group: str = "load") -> None:
        """Run ``job`` (a query) on a worker thread; ``done`` gets its result on the UI thread.

        Exclusive per screen and group: a newer request cancels the pending one, so the UI thread
        never waits on DuckDB and stale answers are dropped.
        """

        finish = self._deliver

        def work() -> None:
            worker = self._current_worker()
            try:
                result = job()
            except MlspmError as exc:
                message = f"{exc.message}" + (f" — {exc.hint}" if exc.hint else "")
                self.app.call_from_thread(finish, self.say, message, error=True)
                return
            except Exception as exc:  # a bug must not kill the app: say it, keep going
                self.app.call_from_thread(finish, self.say, f"error: {type(exc).__name__}: {exc}", error=True)
                return
            if worker is None or not worker.is_cancelled:
                self.app.call_from_thread(finish, done, result)
            else:
                self.app.call_from_thread(finish, lambda: None)

        self.pending += 1
        self.run_worker(work, thread=True, exclusive=True, group=f"{id(self)}-{group}")

    @staticmethod
    def _current_worker() -> Any:
        from textual.worker import get_current_worker

        try:
            return get_current_worker()
        except Exception:
            return None
