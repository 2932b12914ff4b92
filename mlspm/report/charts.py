"""Inline SVG charts for the HTML report: bar charts, the activity timeline and per-finding sparklines.

Every label is escaped, every number is formatted with fixed precision (the output is deterministic and
diffable), and nothing refers to anything outside the document.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta

from mlspm.report.model import Activity
from mlspm.text import printable

SEVERITY_COLOR = {
    "critical": "#b91c1c",
    "high": "#ea580c",
    "medium": "#ca8a04",
    "low": "#2563eb",
    "info": "#6b7280",
}
STATUS_COLOR = {
    "open": "#b91c1c",
    "investigating": "#7c3aed",
    "confirmed": "#be123c",
    "false_positive": "#6b7280",
    "risk_accepted": "#0f766e",
    "resolved": "#15803d",
}
_AXIS = "#6b7280"
_GRID = "#e5e7eb"
_BAR = "#94a3b8"
_FONT = "font-family:inherit;font-size:11px"


def _t(value: object) -> str:
    return html.escape(printable(value), quote=True)


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def hbars(title: str, items: Sequence[tuple[str, int, str]], *, width: int = 440) -> str:
    """Horizontal bars, one per (label, value, colour), values written at the bar ends."""
    row, label_w, top = 22, 120, 4
    height = top + row * len(items) + 4
    biggest = max((v for _, v, _ in items), default=0) or 1
    span = width - label_w - 48
    parts = [
        f'<svg class="chart" role="img" aria-label="{_t(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_t(title)}</title>'
    ]
    for i, (label, value, colour) in enumerate(items):
        y = top + i * row
        w = span * value / biggest
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" style="{_FONT}" fill="#111827">'
            f"{_t(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{_n(max(w, 1 if value else 0))}" height="{row - 6}" '
            f'rx="2" fill="{colour}"/>'
            f'<text x="{_n(label_w + w + 6)}" y="{y + 15}" style="{_FONT}" fill="#111827">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def timeline(
    title: str,
    days: Sequence[tuple[datetime, int]],
    markers: Sequence[tuple[datetime, str, str]],
    *,
    width: int = 900,
    height: int = 170,
) -> str:
    """Events per day as columns, with a numbered marker above the day each key incident began.

    ``markers`` are (time, short label, severity); the labels are explained beside the chart.
    """
    if not days:
        return ""
    days = _every_day(days)
    first, last = days[0][0], days[-1][0]
    n = len(days)
    per_day: dict[int, int] = {}
    for when, _, _ in markers:
        index = (when.date() - first.date()).days
        per_day[index] = per_day.get(index, 0) + 1
    # markers on the same day stack upwards: room for the tallest stack above the plot
    extra = 18 * (max(per_day.values(), default=1) - 1)
    height += extra
    left, right, top, bottom = 52, 12, 26 + extra, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    col = plot_w / n
    biggest = max(v for _, v in days) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{_t(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_t(title)}</title>',
        _grid(left, top, plot_w, plot_h, biggest),
    ]
    for i, (_, v) in enumerate(days):
        h = plot_h * v / biggest
        parts.append(
            f'<rect x="{_n(left + i * col + col * 0.1)}" y="{_n(top + plot_h - h)}" '
            f'width="{_n(max(col * 0.8, 0.5))}" height="{_n(h)}" fill="{_BAR}"/>'
        )
    day0 = first.date()
    stack: dict[int, int] = {}
    for when, label, severity in markers:
        index = (when.date() - day0).days
        if not 0 <= index < n:
            continue
        level = stack.get(index, 0)
        stack[index] = level + 1
        x = left + index * col + col / 2
        cy = top - 12 - 18 * level
        colour = SEVERITY_COLOR.get(severity, _AXIS)
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{top + plot_h}" stroke="{colour}" '
            f'stroke-width="1" stroke-dasharray="2 2"/>'
            f'<circle cx="{_n(x)}" cy="{_n(cy)}" r="8" fill="{colour}"/>'
            f'<text x="{_n(x)}" y="{_n(cy + 4)}" text-anchor="middle" '
            f'style="font-family:inherit;font-size:10px;font-weight:700" fill="#ffffff">{_t(label)}</text>'
        )
    for i in _tick_indexes(n):
        x = left + i * col + col / 2
        parts.append(
            f'<text x="{_n(x)}" y="{height - 14}" text-anchor="middle" style="{_FONT}" fill="{_AXIS}">'
            f"{days[i][0]:%b %d}</text>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 1}" style="{_FONT}" fill="{_AXIS}">events per day (UTC), '
        f"{first:%Y-%m-%d} to {last:%Y-%m-%d}</text></svg>"
    )
    return "".join(parts)


def sparkline(activity: Activity, severity: str, *, width: int = 560, height: int = 84) -> str:
    """The subject's events per bin, the finding's window shaded in its severity colour."""
    left, right, top, bottom = 44, 8, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    counts = activity.counts
    n = len(counts) or 1
    col = plot_w / n
    biggest = max((v for _, v in counts), default=0) or 1
    colour = SEVERITY_COLOR.get(severity, _AXIS)
    step = (counts[1][0] - counts[0][0]) if len(counts) > 1 else None
    total = activity.end - activity.start
    w0, w1 = activity.window

    def x_of(ts: datetime) -> float:
        return left + plot_w * ((ts - activity.start) / total if total.total_seconds() else 0.0)

    unit = "hour" if activity.bin == "hour" else "day"
    title = f"Events per {unit} of {activity.subject_kind} {activity.subject}"
    parts = [
        f'<svg class="chart spark" role="img" aria-label="{_t(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_t(title)}</title>',
        _grid(left, top, plot_w, plot_h, biggest, lines=1),
    ]
    # the window: at least a sliver wide, so a finding on a single event still shows where it is
    wx0, wx1 = x_of(w0), x_of(w1)
    parts.append(
        f'<rect x="{_n(wx0)}" y="{top}" width="{_n(max(wx1 - wx0, 2))}" height="{plot_h}" '
        f'fill="{colour}" fill-opacity="0.14" stroke="{colour}" stroke-opacity="0.5" stroke-width="0.6"/>'
    )
    for i, (at, v) in enumerate(counts):
        if not v:
            continue
        h = max(plot_h * v / biggest, 1)
        inside = step is not None and at + step > w0 and at <= w1
        parts.append(
            f'<rect x="{_n(left + i * col + col * 0.1)}" y="{_n(top + plot_h - h)}" '
            f'width="{_n(max(col * 0.8, 0.5))}" height="{_n(h)}" fill="{colour if inside else _BAR}"/>'
        )
    fmt = "%m-%d %H:00" if activity.bin == "hour" else "%Y-%m-%d"
    parts.append(
        f'<text x="{left}" y="{height - 8}" style="{_FONT}" fill="{_AXIS}">{activity.start:{fmt}}</text>'
        f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" style="{_FONT}" fill="{_AXIS}">'
        f"{activity.end:{fmt}}</text>"
        f'<text x="{_n(min(max((wx0 + wx1) / 2, left + 110), left + plot_w - 110))}" y="{height - 8}" '
        f'text-anchor="middle" style="{_FONT}" fill="{colour}">finding window</text>'
        "</svg>"
    )
    return "".join(parts)


def _every_day(days: Sequence[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """One entry per calendar day from the first to the last: days without events count zero."""
    counts = {d.date(): n for d, n in days}
    first = min(d for d, _ in days)
    span = (max(counts) - first.date()).days
    return [
        (first + timedelta(days=i), counts.get((first + timedelta(days=i)).date(), 0))
        for i in range(span + 1)
    ]


def _grid(left: float, top: float, w: float, h: float, biggest: int, *, lines: int = 2) -> str:
    """Horizontal grid lines with their values, and the baseline."""
    parts = []
    for k in range(1, lines + 1):
        value = biggest * k / lines
        y = top + h - h * k / lines
        parts.append(
            f'<line x1="{left}" y1="{_n(y)}" x2="{_n(left + w)}" y2="{_n(y)}" stroke="{_GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end" style="{_FONT}" fill="{_AXIS}">'
            f"{_fmt_count(value)}</text>"
        )
    parts.append(
        f'<line x1="{left}" y1="{_n(top + h)}" x2="{_n(left + w)}" y2="{_n(top + h)}" stroke="{_AXIS}" '
        'stroke-width="1"/>'
        f'<text x="{left - 6}" y="{_n(top + h + 4)}" text-anchor="end" style="{_FONT}" fill="{_AXIS}">0</text>'
    )
    return "".join(parts)


def _fmt_count(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _tick_indexes(n: int, most: int = 8) -> list[int]:
    """Evenly spaced label positions, always the first and the last."""
    if n <= most:
        return list(range(n))
    step = (n - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})
