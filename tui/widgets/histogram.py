"""A timeline histogram with the entity's own baseline drawn beside it (median and p95 per bucket)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mlspm.query.model import Timeline

_BLOCKS = " ▁▂▃▄▅▆▇█"


class Histogram(Static):
    """Bars per hour or day, scaled to the busiest bucket; buckets above the p95 baseline stand out."""

    last: Timeline | None = None

    def show(self, timeline: Timeline, width: int = 140, rows: int = 6) -> None:
        self.last = timeline
        points = timeline.points
        if not points:
            self.update(Text("no events", style="dim"))
            return
        # Fold the series into at most `width` columns so a long history still fits.
        step = max(1, -(-len(points) // width))
        columns = [max(n for _, n in points[i : i + step]) for i in range(0, len(points), step)]
        # A short series is stretched (each bucket several columns wide) so it stays readable.
        stretch = max(1, min(8, width // max(1, len(columns))))
        columns = [v for v in columns for _ in range(stretch)]
        top = max(columns) or 1
        high = timeline.baseline_p95
        out = Text()
        for level in range(rows, 0, -1):
            for value in columns:
                fill = value * rows / top
                glyph = (
                    "█"
                    if fill >= level
                    else _BLOCKS[int((fill - level + 1) * 8)]
                    if fill > level - 1
                    else " "
                )
                out.append(glyph, style="bold red" if value > high * 2 and value > 10 else "blue")
            out.append("\n")
        first, last = points[0][0], points[-1][0]
        fmt = "%Y-%m-%d %H:00" if timeline.bucket == "hour" else "%Y-%m-%d"
        out.append(f"{first:{fmt}}", style="dim")
        out.append(" " * max(1, len(columns) - 2 * len(f"{first:{fmt}}")))
        out.append(f"{last:{fmt}}\n", style="dim")
        out.append(f"peak {top:,} per {timeline.bucket}", style="bold")
        out.append(
            f" · its own median {timeline.baseline_median:,.0f}, p95 {timeline.baseline_p95:,.0f} per "
            f"{timeline.bucket} (active {timeline.bucket}s)",
            style="dim",
        )
        if step > 1:
            out.append(f" · each column is {step} {timeline.bucket}s (max)", style="dim")
        self.update(out)
