"""The command palette (ctrl+p): namespaced commands — view:, filter:, triage:, export:."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from mlspm.enums import Category, Severity, TriageStatus
from mlspm.findings import FindingFilter

if TYPE_CHECKING:
    from tui.app import MlspmApp


class MlspmCommands(Provider):
    """Every screen and filter one keystroke away; triage and export act on the current screen."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: MlspmApp = self.app  # type: ignore[assignment]
        cmds: list[tuple[str, str, Callable[[], Any]]] = [
            ("view: overview", "posture at a glance", app.action_go_overview),
            ("view: findings", "every active finding", app.open_findings),
            ("view: assets", "the inventory with its risk roll-up", app.open_assets),
            ("view: SQL console", "read-only SQL over the database", app.open_sql),
            ("view: all events", "timeline and raw events of everything loaded", app.action_go_events),
            ("view: keys", "every key binding", app.action_help),
            (
                "view: inactive findings too",
                "include findings that no longer fire",
                partial(app.open_findings, FindingFilter(include_inactive=True), "all findings"),
            ),
        ]
        for sev in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM):
            cmds.append(
                (
                    f"filter: severity ≥ {sev.value}",
                    f"findings at {sev.value} or above",
                    partial(app.open_findings, FindingFilter(min_severity=sev), f"≥ {sev.value}"),
                )
            )
        for status in TriageStatus:
            cmds.append(
                (
                    f"filter: status {status.value}",
                    f"findings triaged {status.value}",
                    partial(app.open_findings, FindingFilter(statuses=[status]), status.value),
                )
            )
        for cat in Category:
            cmds.append(
                (
                    f"filter: category {cat.value}",
                    f"{cat.value} findings",
                    partial(app.open_findings, FindingFilter(categories=[cat.value]), cat.value),
                )
            )
        screen = app.screen
        for status in TriageStatus:
            action = getattr(screen, "triage_to", None)
            if action is not None:
                cmds.append(
                    (
                        f"triage: mark {status.value}",
                        "the marked findings (or the one under the cursor)",
                        partial(action, status),
                    )
                )
        export = getattr(screen, "action_export", None)
        if export is not None:
            cmds.append(
                (
                    "export: findings report",
                    "the findings shown as a report: HTML, Markdown, CSV, JSON, SARIF or OCSF",
                    export,
                )
            )
        return cmds

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
