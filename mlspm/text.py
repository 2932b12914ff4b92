"""Untrusted text made safe to show: control characters (terminal escapes) become visible escapes."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object, *, max_len: int | None = None, newlines: bool = False) -> str:
    """``value`` as text with every control, bidi and zero-width character shown as an escape.

    ESC (``\\x1b``) can never reach the terminal this way, so no escape sequence from an input file
    takes effect. Newlines and tabs are escaped too unless ``newlines`` is true.
    """
    text = "" if value is None else str(value)
    if not newlines:
        text = text.replace("\n", "\\n").replace("\t", "\\t")
    text = _CONTROL.sub(_escape, text)
    if max_len is not None and len(text) > max_len:
        text = text[: max(0, max_len - 1)] + "…"
    return text
