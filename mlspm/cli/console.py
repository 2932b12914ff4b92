"""Terminal output for the CLI: consoles on stdout/stderr and safe rendering of untrusted text."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text

from mlspm.errors import MlspmError
from mlspm.text import printable

# Piped output is not cut to 80 columns: paths and reasons stay whole for grep and logs.
out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)


def safe(value: object, *, max_len: int | None = None, style: str = "") -> Text:
    """Untrusted text as a Rich Text: never parsed as markup, control characters escaped."""
    return Text(printable(value, max_len=max_len), style=style)


def print_error(error: MlspmError) -> None:
    line = Text("error: ", style="bold red")
    line.append_text(safe(error.message))
    err.print(line)
    if error.hint:
        hint = Text("hint: ", style="yellow")
        hint.append_text(safe(error.hint))
        err.print(hint)
