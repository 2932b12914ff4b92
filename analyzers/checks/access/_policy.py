"""Reading AWS policy documents and CloudTrail request parameters, shared by the access analyzers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote


def request_parameters(raw: str | None) -> dict[str, Any] | None:
    """``requestParameters`` of a CloudTrail record kept as JSON text (any key casing), or None."""
    record = _loads(raw)
    params = ci(record, "requestParameters")
    return params if isinstance(params, dict) else None


def record_part(raw: str | None, name: str) -> Any:
    """A top-level part of a CloudTrail record (``responseElements``...), keys matched case-insensitively."""
    return ci(_loads(raw), name)


def ci(obj: Any, *names: str) -> Any:
    """The first non-empty value under one of ``names``, matching keys case-insensitively."""
    if not isinstance(obj, dict):
        return None
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value not in (None, ""):
            return value
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def document(value: Any) -> dict[str, Any] | None:
    """A policy given as an object, a JSON string, or a URL-encoded JSON string (IAM events)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if not text.startswith("{"):
        text = unquote(text)
    doc = _loads(text)
    return doc if isinstance(doc, dict) else None


def allow_statements(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The Allow statements of a policy document (``Statement`` may be one object or a list)."""
    for st in as_list(ci(doc, "Statement")):
        if isinstance(st, dict) and str(ci(st, "Effect") or "").lower() == "allow":
            yield st


def strings(value: Any) -> list[str]:
    return [str(v) for v in as_list(value)]


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
