"""The findings filter language of the `/` box: words and `field:value` / `severity>=high` terms."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from mlspm.errors import MlspmError
from mlspm.findings import Finding

_ORDER = ["info", "low", "medium", "high", "critical"]
# field name (and short aliases) -> how to read it from a finding; matching is by substring, case-folded
_FIELDS: dict[str, Callable[[Finding], object]] = {
    "severity": lambda f: f.severity,
    "status": lambda f: f.status,
    "category": lambda f: f.category,
    "analyzer": lambda f: f.analyzer_id,
    "principal": lambda f: f.principal,
    "asset": lambda f: f.asset_id or f.resource,
    "resource": lambda f: f.resource,
    "assignee": lambda f: f.assignee,
    "fingerprint": lambda f: f.fingerprint,
}
_ALIASES = {"sev": "severity", "cat": "category", "who": "principal", "fp": "fingerprint", "by": "assignee"}
_TERM = re.compile(r"^(?P<neg>[-!]?)(?P<field>[a-z_]+)(?P<op>:|>=|<=|=|>|<)(?P<value>.+)$")


_HINT = "e.g. severity>=high status:open category:model_theft principal:alice -analyzer:off_hours word"


class SearchError(MlspmError):
    """A filter expression that cannot be understood (the message says why, the hint what is valid)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, _HINT)


@dataclass(frozen=True)
class _Test:
    negate: bool
    check: Callable[[Finding], bool]

    def __call__(self, f: Finding) -> bool:
        return self.check(f) != self.negate


def _haystack(f: Finding) -> str:
    parts = (f.summary, f.principal, f.asset_id, f.resource, f.analyzer_id, f.title, f.fingerprint)
    return " ".join(str(v) for v in (*parts, f.assignee, f.note) if v).lower()


def _severity_test(op: str, value: str) -> Callable[[Finding], bool]:
    if value not in _ORDER:
        raise SearchError(f"unknown severity {value!r} (expected one of: {', '.join(_ORDER)})")
    want = _ORDER.index(value)
    compare: dict[str, Callable[[int], bool]] = {
        ":": lambda r: r == want,
        "=": lambda r: r == want,
        ">=": lambda r: r >= want,
        "<=": lambda r: r <= want,
        ">": lambda r: r > want,
        "<": lambda r: r < want,
    }
    return lambda f: compare[op](_ORDER.index(f.severity))


def _word(needle: str) -> Callable[[Finding], bool]:
    return lambda f: needle in _haystack(f)


def _contains(read: Callable[[Finding], object], value: str) -> Callable[[Finding], bool]:
    return lambda f: value in str(read(f) or "").lower()


def parse(expression: str) -> Callable[[Finding], bool]:
    """A predicate for ``expression``: every term must hold (words match anywhere in the finding).

    ``severity>=high status:open category:model_theft principal:alice -analyzer:off_hours "two words"``
    """
    try:
        tokens = shlex.split(expression)
    except ValueError as exc:
        raise SearchError(f"cannot read the filter: {exc}") from None
    tests: list[_Test] = []
    for token in tokens:
        match = _TERM.match(token.lower())
        field = match and _ALIASES.get(match["field"], match["field"])
        if not match or field not in _FIELDS:
            tests.append(_Test(False, _word(token.lower())))
            continue
        op, value, negate = match["op"], match["value"], bool(match["neg"])
        if field == "severity":
            tests.append(_Test(negate, _severity_test(op, value)))
        elif op in (":", "="):
            tests.append(_Test(negate, _contains(_FIELDS[field], value)))
        else:
            raise SearchError(f"{field} takes ':' (contains), not {op!r}; only severity compares")
    return lambda f: all(t(f) for t in tests)


FIELDS = tuple(_FIELDS)
