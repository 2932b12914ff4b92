"""The findings filter language: words, field terms, severity comparisons, negation, errors."""

from __future__ import annotations

import pytest

from mlspm.findings import Finding
from mlspm.query.search import SearchError, parse


def _finding(fp: str, severity: str, status: str = "open", **kw: object) -> Finding:
    values: dict[str, object] = {
        "fingerprint": fp,
        "analyzer_id": "usage_inference_volume_spike",
        "title": "Inference volume far above the caller's own baseline",
        "category": "model_theft",
        "severity": severity,
        "principal": "arn:aws:iam::1:user/alice",
        "asset_id": "endpoint:fraud",
        "resource": None,
        "first_seen": None,
        "last_seen": None,
        "active": True,
        "status": status,
        "assignee": None,
        "note": None,
        "expires_at": None,
        "frameworks": [],
        "evidence_count": 1,
        "summary": "alice invoked fraud 5,700 times in 6 h",
        "suppressed_by": None,
        "details": None,
    }
    values.update(kw)
    return Finding(**values)  # type: ignore[arg-type]


ROWS = [
    _finding("a", "critical"),
    _finding("b", "high", status="false_positive"),
    _finding("c", "low", analyzer_id="usage_human_off_hours", principal="arn:aws:iam::1:user/bob"),
    _finding("d", "medium", category="data_poisoning", asset_id="dataset:train"),
]


def _keep(expression: str) -> list[str]:
    keep = parse(expression)
    return [f.fingerprint for f in ROWS if keep(f)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("", ["a", "b", "c", "d"]),
        ("severity>=high", ["a", "b"]),
        ("sev<medium", ["c"]),
        ("severity:medium", ["d"]),
        ("status:open", ["a", "c", "d"]),
        ("-status:false_positive category:model_theft", ["a", "c"]),
        ("principal:bob", ["c"]),
        ("asset:train", ["d"]),
        ("!analyzer:off_hours severity>=medium status:open", ["a", "d"]),
        ("5,700 bob", ["c"]),
        ('"invoked fraud"', ["a", "b", "c", "d"]),
        ("s3://nowhere", []),
        ("ALICE Severity>=CRITICAL", ["a"]),
    ],
)
def test_expressions(expression: str, expected: list[str]) -> None:
    assert _keep(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("severity>=urgent", "unknown severity 'urgent'"),
        ("status>open", "status takes ':'"),
        ('"unclosed', "cannot read the filter"),
    ],
)
def test_bad_expressions_say_why(expression: str, message: str) -> None:
    with pytest.raises(SearchError, match=message) as info:
        parse(expression)
    assert "severity>=high" in info.value.hint
