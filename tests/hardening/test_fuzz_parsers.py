"""Parsers fuzzed with hypothesis: no crash, no hang, and every record lands in its table or in rejects.

Two kinds of input: well-formed records with hostile values (structure kept, so conservation can be
counted exactly), and real third-party samples with random byte damage (anything may happen to the
structure, but never a crash, a hang, or a file that is neither loaded nor rejected).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mlspm.config import Config
from mlspm.ingest import Status, ingest_paths
from mlspm.store import Store

BUDGET_SECONDS = 20.0  # per file; each example here is a few KB
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "-",
            "null",
            "[bold red]x[/]\x1b[2J",
            '=HYPERLINK("http://evil")',
            "<script>alert(1)</script>",
            "\u202e\u0000\ud7ff",
            "9" * 400,
            "../../etc/passwd",
        ]
    ),
)
json_value = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), hostile_text
)


class _Run:
    """One store per test; every example is a new file (new content, so never 'already loaded')."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.config = Config(db_path=tmp_path / "fuzz.duckdb")
        self.store = Store(self.config.db_path)
        self.n = 0

    def ingest(self, content: bytes, suffix: str = ".log", *, fuzzing: bool = True):
        self.n += 1
        path = self.dir / f"f{self.n}{suffix}"
        path.write_bytes(content)
        clock = time.perf_counter()
        report = ingest_paths(self.store, [path], self.config)
        took = time.perf_counter() - clock
        assert took < BUDGET_SECONDS, f"{took:.1f} s on {len(content)} bytes"
        (result,) = report.files
        assert not result.internal_error, result.message  # a parser crash, not a refusal with a reason
        if fuzzing:
            assume(result.status != Status.ALREADY_LOADED)  # hypothesis drew the same content again
        return result


@pytest.fixture
def run(tmp_path):
    r = _Run(tmp_path)
    yield r
    r.store.close()


def _generic_event(values: dict[str, object]) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": "e",
        "ts": "2026-01-01T00:00:00Z",
        "principal": "alice",
        "action": "GetObject",
        "resource": "s3://b/k",
    }
    base.update(values)
    return base


@FUZZ
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                ["event_id", "ts", "principal", "action", "resource", "bytes_out", "outcome", "extra"]
            ),
            json_value,
            max_size=4,
        ),
        min_size=1,
        max_size=30,
    )
)
def test_generic_json_lines_conserve_records(run, overrides):
    lines = [
        json.dumps(_generic_event({"event_id": f"id{i}", **o}), allow_nan=True)
        for i, o in enumerate(overrides)
    ]
    result = run.ingest(("\n".join(lines) + "\n").encode(), ".jsonl")
    if result.status == Status.LOADED:
        c = result.counts
        assert c.loaded + c.duplicate + c.rejected == len(lines), (c, lines)


_S3_GOOD = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
    '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" '
    '"S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 '
    "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -"
)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 40), hostile_text), min_size=1, max_size=20))
def test_s3_access_log_lines_conserve_records(run, edits):
    lines = []
    for field, text in edits:
        tokens = _S3_GOOD.split(" ")
        if field < len(tokens) and "\n" not in text and "\r" not in text:
            tokens[field] = text.replace(" ", "_") or "-"
        lines.append(" ".join(tokens))
    lines.insert(0, _S3_GOOD)  # keeps the file recognisable as an S3 access log
    result = run.ingest(("\n".join(lines) + "\n").encode())
    assert result.status == Status.LOADED, result.message
    c = result.counts
    assert c.loaded + c.duplicate + c.rejected == len(lines), (c, lines)


@FUZZ
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "eventTime",
                    "eventName",
                    "eventSource",
                    "userIdentity",
                    "requestParameters",
                    "errorCode",
                    "resources",
                    "eventID",
                ]
            ),
            json_value,
            max_size=4,
        ),
        min_size=1,
        max_size=15,
    )
)
def test_cloudtrail_records_conserve_records(run, overrides):
    records = []
    for i, o in enumerate(overrides):
        rec: dict[str, object] = {
            "eventVersion": "1.08",
            "eventTime": "2026-01-01T00:00:00Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "eventID": f"id-{i}",
            "awsRegion": "us-east-1",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/a"},
            "requestParameters": {"bucketName": "b", "key": "k"},
        }
        rec.update(o)
        records.append(rec)
    result = run.ingest(json.dumps({"Records": records}, allow_nan=True).encode(), ".json")
    if result.status == Status.LOADED:
        c = result.counts
        assert c.loaded + c.duplicate + c.rejected == len(records), (c, records)


def _real_files(root: Path) -> list[Path]:
    picks = [
        "cloudtrail/aws_docs/s3_userguide_01_ListBuckets.json",
        "s3_access_logs/awsdocs_LogFormat_example_5records.log",
        "inventory/cyclonedx_mlbom/Model-Card-With-Dataset_bom.cdx1.7.json",
        "scanners/modelscan/notebook_keras_fashion_mnist_v0.5-era.json",
        "panther_tests/aws_cloudtrail.tests.jsonl",
    ]
    extra = sorted(
        p for p in root.rglob("*") if p.is_file() and p.stat().st_size < 64_000 and p.name != "PROVENANCE.md"
    )
    chosen = [root / p for p in picks if (root / p).exists()]
    return chosen + [p for p in extra if p not in chosen][:: max(1, len(extra) // 25)]


@pytest.mark.parametrize("seed", range(3))
def test_damaged_real_samples_never_crash(run, real_samples, seed):
    rng = random.Random(seed)
    for path in _real_files(real_samples):
        data = bytearray(path.read_bytes()[:64_000])
        for _ in range(rng.randint(1, 8)):
            op = rng.choice(["flip", "cut", "insert", "dup"])
            at = rng.randrange(max(1, len(data)))
            if op == "flip" and data:
                data[at] = rng.randrange(256)
            elif op == "cut":
                del data[at : at + rng.randint(1, 200)]
            elif op == "insert":
                data[at:at] = rng.choice([b"\n", b"{", b"\x00", b"\x1b[2J", b'"', b"\xff\xfe", b"}]"])
            else:
                data[at:at] = data[at : at + rng.randint(1, 300)]
        result = run.ingest(bytes(data), path.suffix or ".txt", fuzzing=False)
        assert result.status in (Status.LOADED, Status.ALREADY_LOADED) or result.message, (path, result)
