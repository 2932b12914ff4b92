"""Cells and labels for untrusted text: always rich Text (never markup), control characters escaped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.content import Content

from mlspm.text import printable

__all__ = ["asset_facts", "cell", "para", "plain", "printable", "severity", "short", "status"]

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "bold yellow",
    "low": "cyan",
    "info": "dim",
}
STATUS_STYLE = {
    "open": "bold",
    "investigating": "magenta",
    "confirmed": "bold red",
    "false_positive": "dim",
    "risk_accepted": "dim italic",
    "resolved": "green",
}
ASSET_FIELDS = (
    "kind", "name", "version", "uri", "owner", "environment", "classification", "format", "sha256",
    "public", "encrypted", "source",
)  # fmt: skip
"""The inventory fields the asset and finding screens show, in this order (those that are set)."""

SEVERITY_ICON = {"critical": "■■■■", "high": "■■■ ", "medium": "■■  ", "low": "■   ", "info": "·   "}


def plain(value: Any, max_len: int | None) -> str:
    """Any value as one line of safe text: control characters escaped, numbers with separators."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return printable(value, max_len=max_len)


def cell(value: Any, *, max_len: int | None = 120, style: str = "") -> Text:
    """Any value as a table cell: plain text (never markup), escapes visible, cut to ``max_len``."""
    return Text(
        plain(value, max_len),
        style=style,
        justify="right" if isinstance(value, int) and not isinstance(value, bool) else "left",
    )


def fast_cell(value: Any, *, max_len: int | None = 120, style: str = "") -> Content:
    """The same as :func:`cell` as Textual ``Content``: no width measurement, so a big table repaints
    faster — for tables whose columns have fixed widths."""
    text = plain(value, max_len)
    if isinstance(value, int) and not isinstance(value, bool):
        text = text.rjust(9)
    return Content.styled(text, style)


def severity(value: str) -> Text:
    """The severity badge (icon and name) as a cell that sizes its column."""
    return Text(f"{SEVERITY_ICON.get(value, '')}{value}", style=SEVERITY_STYLE.get(value, ""))


def status(value: str) -> Text:
    """The triage status as a cell that sizes its column."""
    return Text(value, style=STATUS_STYLE.get(value, ""))


def fast_severity(value: str) -> Content:
    """:func:`severity` as ``Content`` (not measured): only for columns with a fixed width."""
    return Content.styled(f"{SEVERITY_ICON.get(value, '')}{value}", SEVERITY_STYLE.get(value, ""))


def fast_status(value: str) -> Content:
    """:func:`status` as ``Content`` (not measured): only for columns with a fixed width."""
    return Content.styled(value, STATUS_STYLE.get(value, ""))


severity_text = severity
status_text = status


def para(*parts: tuple[str, str] | str) -> Text:
    """A paragraph from (text, style) pieces; plain strings are treated as untrusted text."""
    out = Text()
    for part in parts:
        if isinstance(part, tuple):
            out.append(printable(part[0], newlines=True), style=part[1])
        else:
            out.append(printable(part, newlines=True))
    return out


def short(principal: str | None) -> str:
    """The readable tail of an ARN (role/session, user name)."""
    if not principal:
        return ""
    for marker in ("assumed-role/", ":user/", ":role/"):
        if marker in principal:
            return principal.split(marker, 1)[1]
    return principal.rsplit(":", 1)[-1] if principal.startswith("arn:") else principal


def asset_facts(out: Text, asset: dict[str, Any]) -> None:
    """Append the asset's id (bold) and its set inventory fields, one ``name  value`` line each."""
    out.append(printable(asset["asset_id"]) + "\n", style="bold")
    for key in ASSET_FIELDS:
        if asset.get(key) is not None:
            out.append(f"{key:15s}", style="dim")
            out.append(printable(asset[key]) + "\n")
