"""CSV that a spreadsheet never executes: cells starting like a formula are neutralized."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralize(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe (OWASP advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralize("" if v is None else v) for v in row])
