"""Format detection by content: every format scores the sample; the most certain one wins."""

from __future__ import annotations

from dataclasses import dataclass

from mlspm.ingest.formats import all_formats
from mlspm.ingest.formats.base import CERTAIN, Format
from mlspm.ingest.source import Sample


@dataclass(frozen=True)
class Detection:
    format: Format | None
    score: int
    reason: str


def detect(sample: Sample, formats: list[Format] | None = None) -> Detection:
    """The best-scoring format for ``sample``, or None with a reason a user can act on."""
    best: Format | None = None
    best_score = 0
    for fmt in formats if formats is not None else all_formats():
        score = fmt.sniff(sample)
        if score > best_score:
            best, best_score = fmt, score
            if score >= CERTAIN:  # nothing later can win (ties go to the earlier format)
                break
    if best is None:
        return Detection(None, 0, _why_not(sample))
    return Detection(best, best_score, f"detected as {best.title}")


def _why_not(sample: Sample) -> str:
    head = sample.stripped[:1]
    if head in ("{", "["):
        if sample.first_records:
            keys = ", ".join(sorted(sample.first_records[0])[:8])
            return f"not a supported format: JSON lines whose records (keys: {keys}) match no known layout"
        if sample.document is None and sample.complete:
            return "not a supported format: the JSON is malformed and matches no known layout"
        return "not a supported format: JSON that matches no known layout (see `mlspm formats`)"
    return "not a supported format: the text matches no known log, inventory or report layout"
