"""Shared pieces of the scanner-report formats: JSON documents, times, hashes, member paths, names."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from mlspm.ingest.context import LoadContext

_SHA256 = re.compile(r"(?:sha-?256:)?([0-9a-f]{64})")
_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*")
# Epoch seconds mlspm accepts as a scan time: 1990 to 2200 (anything else is a unit mix-up, not a time).
_EPOCH_RANGE = (631_152_000.0, 7_258_118_400.0)
# A member after ':' is recognised first right after a name with one of these extensions (the archives
# scanners open), so a ':' earlier in a directory name does not split the path.
_ARCHIVE_EXT = re.compile(
    r"^(?P<file>.+?\.(?:bin|pt|pth|ckpt|zip|npz|nemo|mar|keras|tar|tgz|tar\.gz|7z|joblib|pkl|pickle))"
    r":(?P<member>[^:].*)$",
    re.IGNORECASE,
)


def read_json(ctx: LoadContext) -> Any:
    """The file's one JSON document; raises ValueError naming the line and column of a syntax error."""
    text = ctx.whole_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(json_error(exc)) from None


def json_error(exc: json.JSONDecodeError) -> str:
    return f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


def text(value: Any) -> str | None:
    """A scalar as text; None for null, blank strings, objects and lists."""
    if value is None or isinstance(value, dict | list):
        return None
    result = str(value)
    return result if result.strip() else None


def dump(value: Any) -> str:
    """The raw record kept beside its row: compact JSON, non-ASCII as is."""
    return json.dumps(value, ensure_ascii=False)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sha256_of(value: Any) -> str | None:
    """A sha256 hex digest (optionally ``sha256:``-prefixed), lower-cased; None for anything else."""
    found = _SHA256.fullmatch(str(value).strip().lower()) if isinstance(value, str) else None
    return found.group(1) if found else None


def epoch_time(value: Any) -> datetime | None:
    """Epoch seconds (ModelAudit's ``start_time``) as a UTC time; None when absent or implausible."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    if not math.isfinite(seconds) or not _EPOCH_RANGE[0] <= seconds <= _EPOCH_RANGE[1]:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def iso_time(value: Any) -> datetime | None:
    """An ISO 8601 time (``Z`` or offset, any fraction); a time without a zone is read as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def scanner_name(name: str) -> str:
    """How a tool is named in ``scan_results.scanner``: lower-case, blanks as ``-`` (ModelAudit → modelaudit)."""
    return re.sub(r"\s+", "-", name.strip().lower())


def split_member(file_id: str, known: Collection[str] = (), *, whole: bool = True) -> tuple[str, str | None]:
    """The file and the archive member of a scanner's ``file:member`` id (``model.pt:archive/data.pkl``).

    A known file name (one the report lists as scanned) decides first, the longest one winning; then a
    ``:`` right after an archive-like extension; a bare name with a ``:`` and no such extension stays
    whole. ``whole=False`` looks for a shorter known name even when ``file_id`` is known itself (a
    report listing both an archive and its members). The result is text for display and joins only:
    it is never opened as a path.
    """
    if whole and file_id in known:
        return file_id, None
    if known:
        # Each ':' is a possible end of the file name: from the right, so the longest known name wins.
        cut = file_id.rfind(":")
        while cut > 0:
            if cut < len(file_id) - 1 and file_id[:cut] in known:
                return file_id[:cut], file_id[cut + 1 :]
            cut = file_id.rfind(":", 0, cut)
    found = _ARCHIVE_EXT.match(file_id)
    if found:
        return found.group("file"), found.group("member")
    return file_id, None


def is_absolute(path: str) -> bool:
    """An absolute local path, UNC path or URL (a scanner's relative paths cannot be resolved here)."""
    return path.startswith(("/", "\\\\")) or bool(_WINDOWS_ABS.match(path) or _URL.match(path))
