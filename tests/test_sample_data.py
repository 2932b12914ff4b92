"""The demo estate generator: deterministic bytes, well-formed sources, labels, a static hostile pickle."""

from __future__ import annotations

import calendar
import csv
import gzip
import hashlib
import json
import pickletools
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sample_data import DEFAULT_DAYS, DEFAULT_SEED, generate

FAMILIES = {"supply_chain", "access_control", "model_theft", "data_poisoning", "compliance"}
SEVERITIES = ("info", "low", "medium", "high", "critical")
# Fields of an S3 server access log line: bracketed time, quoted strings, or bare tokens.
S3_TOKEN = re.compile(r'\[[^\]]*\]|"[^"]*"|\S+')
CT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
GATEWAY_KEYS = {
    "event_id",
    "ts",
    "principal",
    "principal_type",
    "source_ip",
    "user_agent",
    "service",
    "action",
    "action_class",
    "resource",
    "outcome",
    "status_code",
    "bytes_in",
    "bytes_out",
    "duration_ms",
}


def _epoch(s: str) -> int:
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("estate")
    return out, generate(out)


@pytest.fixture(scope="module")
def labels(estate: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return json.loads((estate[0] / "labels.json").read_text())


def test_generation_is_deterministic(estate: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    first, result = estate
    again = generate(tmp_path / "again", seed=DEFAULT_SEED, days=DEFAULT_DAYS)
    a, b = _files(first), _files(tmp_path / "again")
    assert a.keys() == b.keys()
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []
    assert again["events"] == result["events"]


def test_another_seed_changes_the_bytes_not_the_story(tmp_path: Path, labels: dict[str, Any]) -> None:
    result = generate(tmp_path / "other", seed=7, days=14)
    other = json.loads((tmp_path / "other" / "labels.json").read_text())
    assert [i["kind"] for i in other["incidents"]] == [i["kind"] for i in labels["incidents"]]
    assert result["events"]["total"] > 30_000


def test_volume_and_sources(estate: tuple[Path, dict[str, Any]]) -> None:
    _, result = estate
    events = result["events"]
    assert 50_000 <= events["total"] <= 200_000
    assert events["cloudtrail"] > 3_000 and events["s3_access"] > 300 and events["gateway"] > 30_000


def test_cloudtrail_files_are_gzip_json_records(estate: tuple[Path, dict[str, Any]]) -> None:
    root = estate[0] / "logs" / "cloudtrail" / "AWSLogs"
    files = sorted(root.rglob("*.json.gz"))
    assert files
    names = Counter()
    event_ids: set[str] = set()
    for path in files:
        assert re.fullmatch(r"\d{12}_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz", path.name)
        raw = path.read_bytes()
        assert raw[:2] == b"\x1f\x8b"
        doc = json.loads(gzip.decompress(raw))
        assert list(doc) == ["Records"] and doc["Records"]
        for rec in doc["Records"]:
            assert CT_TIME.match(rec["eventTime"])
            for key in (
                "eventVersion",
                "userIdentity",
                "eventSource",
                "eventName",
                "awsRegion",
                "eventID",
                "requestID",
                "eventType",
                "recipientAccountId",
                "eventCategory",
                "readOnly",
            ):
                assert key in rec, (path.name, key)
            assert rec["eventID"] not in event_ids
            event_ids.add(rec["eventID"])
            names[rec["eventName"]] += 1
            if "errorCode" in rec:
                assert rec["errorMessage"]
            if rec["eventCategory"] == "Data":
                assert rec["resources"] and "bytesTransferredOut" in rec["additionalEventData"]
    for needed in (
        "CreateModel",
        "CreateEndpointConfig",
        "UpdateEndpoint",
        "CreateEndpoint",
        "CreateTrainingJob",
        "DescribeModel",
        "ListModels",
        "ListModelPackages",
        "DescribeModelPackage",
        "InvokeModel",
        "GetObject",
        "PutObject",
        "ListObjects",
        "PutBucketPolicy",
        "PutBucketAcl",
        "AttachRolePolicy",
        "AssumeRole",
    ):
        assert names[needed] > 0, needed


def test_s3_access_lines_have_enough_fields(estate: tuple[Path, dict[str, Any]]) -> None:
    root = estate[0] / "logs" / "s3"
    auth = Counter()
    anonymous = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}", path.name)
        for line in path.read_text().splitlines():
            fields = S3_TOKEN.findall(line)
            assert 18 <= len(fields) <= 26, line
            assert fields[1] == path.parent.name
            assert fields[8].startswith('"') and fields[16].startswith('"')
            auth[fields[21]] += 1
            if fields[4] == "-":
                anonymous += 1
            if fields[21] == "QueryString":
                assert "X-Amz-Signature=" in fields[8]
    assert auth["QueryString"] >= 3 and auth["AuthHeader"] > 100
    assert anonymous >= 10


def test_gateway_lines_are_generic_access_events(estate: tuple[Path, dict[str, Any]]) -> None:
    files = sorted((estate[0] / "logs" / "gateway").glob("inference-*.jsonl"))
    assert files
    for path in files:
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            assert rec.keys() >= GATEWAY_KEYS
            assert rec["ts"].endswith("Z") and rec["action"] == "InvokeEndpoint"
            assert (
                rec["resource"].startswith("arn:aws:sagemaker:us-east-1:") and ":endpoint/" in rec["resource"]
            )


def test_labels_cover_every_family_inside_the_period(labels: dict[str, Any]) -> None:
    start, end = _epoch(labels["estate"]["start"]), _epoch(labels["estate"]["end"])
    incidents = labels["incidents"]
    assert {i["family"] for i in incidents} == FAMILIES
    assert len({i["id"] for i in incidents}) == len(incidents)
    for inc in incidents:
        assert inc["family"] in FAMILIES and inc["kind"] and inc["description"]
        assert inc["asset_id"] or inc["resource"]
        assert start <= _epoch(inc["start"]) <= _epoch(inc["end"]) < end, inc["id"]
        assert SEVERITIES.index(inc["expected_min_severity"]) >= SEVERITIES.index("medium")
    behavioural = [i for i in incidents if i["principal"]]
    assert len({i["start"] for i in behavioural}) == len(behavioural)  # each at its own time
    assert len(labels["benign"]) >= 4


def test_volume_spike_is_in_the_gateway_log(
    estate: tuple[Path, dict[str, Any]], labels: dict[str, Any]
) -> None:
    spike = next(i for i in labels["incidents"] if i["kind"] == "inference_volume_spike")
    lo, hi = _epoch(spike["start"]), _epoch(spike["end"])
    inside = outside = 0
    for path in sorted((estate[0] / "logs" / "gateway").glob("inference-*.jsonl")):
        for line in path.read_text().splitlines():
            if spike["principal"] not in line:
                continue
            t = _epoch(json.loads(line)["ts"][:19] + "Z")
            if lo <= t < hi:
                inside += 1
            else:
                outside += 1
    outside_hours = DEFAULT_DAYS * 24 - 6
    assert inside >= 5000
    assert outside / outside_hours < 10  # its own usual rate is a handful an hour


def _opcodes(data: bytes) -> list[tuple[str, Any]]:
    return [(op.name, arg) for op, arg, _ in pickletools.genops(data)]


def test_hostile_pickle_calls_posix_system_statically(estate: tuple[Path, dict[str, Any]]) -> None:
    models = estate[0] / "models"
    pickles = sorted(models.rglob("*.pkl"))
    hostile = [p for p in pickles if ("GLOBAL", "posix system") in _opcodes(p.read_bytes())]
    assert [p.relative_to(models).as_posix() for p in hostile] == [
        "halyard-ml-models/churn-predictor/1.4.0/model.pkl"
    ]
    ops = [name for name, _ in _opcodes(hostile[0].read_bytes())]
    assert ops.index("GLOBAL") < ops.index("REDUCE")
    for benign in set(pickles) - set(hostile):
        names = {name for name, _ in _opcodes(benign.read_bytes())}
        assert not names & {"GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ", "NEWOBJ", "BUILD"}, benign


def test_safetensors_header_is_well_formed(estate: tuple[Path, dict[str, Any]]) -> None:
    (path,) = sorted((estate[0] / "models").rglob("*.safetensors"))
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    assert len(data) == 8 + n + end


def test_inventory_links_and_planted_gaps(
    estate: tuple[Path, dict[str, Any]], labels: dict[str, Any]
) -> None:
    out = estate[0]
    rows = list(csv.DictReader((out / "inventory" / "assets.csv").open()))
    by_id = {r["asset_id"]: r for r in rows}
    assert len(by_id) == len(rows)
    assert {"endpoint", "bucket", "dataset", "model", "registry", "training_job"} <= {r["kind"] for r in rows}
    assert sum(1 for r in rows if not r["owner"]) == 1
    assert sum(1 for r in rows if not r["environment"]) == 1
    assert [r["asset_id"] for r in rows if r["kind"] == "bucket" and r["encrypted"] == "false"]
    mismatched = []
    for path in (out / "models").rglob("*"):
        if path.is_file():
            key = path.relative_to(out / "models" / "halyard-ml-models").as_posix()
            name, version = key.split("/")[:2]
            row = by_id[f"model:{name}@{version}"]
            if row["sha256"] != hashlib.sha256(path.read_bytes()).hexdigest():
                mismatched.append(row["asset_id"])
    mismatch = next(i for i in labels["incidents"] if i["kind"] == "hash_mismatch")
    assert mismatched == [mismatch["asset_id"]]
    bom = json.loads((out / "inventory" / "ml-bom.cdx.json").read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    refs = {c["bom-ref"] for c in bom["components"]}
    for comp in bom["components"]:
        assert comp["bom-ref"] in by_id  # the two inventories describe the same assets
        if comp["type"] == "machine-learning-model" and "modelCard" in comp:
            assert comp["hashes"][0]["content"] == by_id[comp["bom-ref"]]["sha256"]
            assert comp["externalReferences"][0]["url"].startswith("s3://")
            for ds in comp["modelCard"]["modelParameters"]["datasets"]:
                assert ds["ref"] in refs


def test_modelscan_report_current_schema(estate: tuple[Path, dict[str, Any]]) -> None:
    (path,) = sorted((estate[0] / "reports").glob("modelscan-*.json"))
    report = json.loads(path.read_text())
    summary = report["summary"]
    assert summary["modelscan_version"] == "0.8.8" and summary["absolute_path"] == "/srv/ml-artifacts"
    assert (
        summary["total_issues"] == len(report["issues"]) == sum(summary["total_issues_by_severity"].values())
    )
    assert summary["scanned"]["total_scanned"] == len(summary["scanned"]["scanned_files"])
    (issue,) = report["issues"]
    assert (issue["module"], issue["operator"], issue["severity"]) == ("posix", "system", "CRITICAL")
    assert report["errors"] == []


def test_no_file_exceeds_5_mb(estate: tuple[Path, dict[str, Any]]) -> None:
    sizes = {p: p.stat().st_size for p in estate[0].rglob("*") if p.is_file()}
    assert max(sizes.values()) <= 5 * 1024 * 1024


def test_generator_never_unpickles() -> None:
    source = "".join(p.read_text() for p in (Path(__file__).parent.parent / "sample_data").glob("*.py"))
    assert not re.search(r"pickle\.(load|loads|Unpickler)\b|__reduce__", source)


def test_days_out_of_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="days"):
        generate(tmp_path, days=5)
