"""AWS CloudTrail: the real delivered files, every container shape, normalization, rejects."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest


def _event(i: int = 0, **over: object) -> dict[str, object]:
    event: dict[str, object] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice@example.com",
            "arn": "arn:aws:sts::111122223333:assumed-role/DataScientist/alice@example.com",
            "accountId": "111122223333",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/DataScientist"}},
        },
        "eventTime": f"2026-03-01T10:00:{i % 60:02d}Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "[aws-cli/2.15.0]",
        "requestParameters": {"bucketName": "ml-models", "key": f"fraud/v3/model-{i}.pkl"},
        "additionalEventData": {"bytesTransferredOut": 1048576.0, "AuthenticationMethod": "AuthHeader"},
        "eventID": f"00000000-0000-0000-0000-{i:012d}",
        "recipientAccountId": "111122223333",
    }
    event.update(over)
    return event


def _records(path: Path, events: list[dict[str, object]], *, gz: bool = False) -> Path:
    data = json.dumps({"Records": events}).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_all_2900_real_invictus_records_load(real_samples, ingest, query):
    report = ingest(real_samples / "cloudtrail" / "invictus_aws_dataset" / "gz")
    assert len(report.files) == 55
    assert all(f.status == "loaded" and f.format == "cloudtrail" for f in report.files)
    assert report.total("loaded") == 2900
    assert report.total("rejected") == 0
    assert query(
        "SELECT count(*), count(DISTINCT event_id), count(principal), min(ts)::DATE::VARCHAR "
        "FROM access_events"
    ) == [(2900, 2900, 2900, "2023-07-10")]
    # 34 typed AWSService identities and 42 that only say invokedBy (FORMATS.md: 'null type, seen')
    assert query("SELECT principal_type, count(*) FROM access_events GROUP BY 1 ORDER BY 2 DESC") == [
        ("IAMUser", 2748),
        ("AssumedRole", 76),
        ("AWSService", 76),
    ]
    # the uncompressed copies hold the same events: nothing new
    plain = ingest(real_samples / "cloudtrail" / "invictus_aws_dataset" / "plain")
    assert (plain.total("loaded"), plain.total("duplicate")) == (0, 3)


def test_aws_documentation_examples(real_samples, ingest, query):
    report = ingest(real_samples / "cloudtrail" / "aws_docs")
    assert report.total("loaded") == 13
    assert report.total("rejected") == 2  # the two Insights events are summaries, not access events
    assert query("SELECT DISTINCT reason FROM rejects") == [
        ("CloudTrail Insights event (a summary of unusual activity, not an access event)",)
    ]
    rows = dict(query("SELECT action, resource FROM access_events"))
    assert rows["CreateEndpoint"] == "arn:aws:sagemaker:us-west-2:123456789012:endpoint/exampleendpoint"
    assert rows["PutObject"] == "s3://DOC-EXAMPLE-BUCKET1/path/upload.sh"
    assert rows["PutRecord"].endswith(":feature-group/your-feature-group-name")
    assert rows["CreateUser"] == "arn:aws:iam::123456789012:user/Bob"
    assert query("SELECT outcome, status_code FROM access_events WHERE action = 'UpdateTrail'") == [
        ("failure", "TrailNotFoundException")
    ]
    assert query("SELECT bytes_in, bytes_out FROM access_events WHERE action = 'PutObject'") == [(10, 20)]


def test_panther_normalized_events_including_space_separated_timestamps(real_samples, ingest, query):
    report = ingest(real_samples / "panther_tests" / "aws_cloudtrail.tests.jsonl")
    (f,) = report.files
    # 485 test records: 428 CloudTrail events load; 38 other log types, 19 without a usable eventTime
    # and 2 without an eventName are rejected with their line numbers
    assert (f.format, f.counts.loaded, f.counts.rejected) == ("cloudtrail", 428, 57)
    reasons = dict(query("SELECT reason, count(*) FROM rejects GROUP BY 1"))
    assert reasons["not a CloudTrail event (no eventTime and no eventName)"] == 38
    assert reasons["missing eventTime"] == 17
    assert query("SELECT DISTINCT position_kind FROM rejects") == [("line",)]
    # '2019-01-01 00:00:00' and '2021-01-01 00:00:00.000000000' style times are read as UTC
    spaced = query(
        'SELECT count(*) FROM access_events WHERE regexp_matches(raw, \'"event[tT]ime":"[0-9-]+ \')'
    )
    assert spaced[0][0] >= 100
    # lower-cased key variants are normalized too
    assert (
        query("SELECT count(*) FROM access_events WHERE raw LIKE '%\"eventname\"%' AND action IS NOT NULL")[
            0
        ][0]
        > 0
    )


def test_normalization_of_an_assumed_role_s3_data_event(tmp_path, ingest, query):
    ingest(_records(tmp_path / "a.json", [_event(1)]))
    row = query(
        "SELECT principal, principal_type, principal_role, account_id, service, action, action_class, "
        "resource, outcome, bytes_out, auth_type, source_ip, user_agent FROM access_events"
    )
    assert row == [
        (
            "arn:aws:sts::111122223333:assumed-role/DataScientist/alice@example.com",
            "AssumedRole",
            "arn:aws:iam::111122223333:role/DataScientist",
            "111122223333",
            "s3",
            "GetObject",
            "read",
            "s3://ml-models/fraud/v3/model-1.pkl",
            "success",
            1048576,
            "AuthHeader",
            "203.0.113.7",
            "[aws-cli/2.15.0]",
        )
    ]


@pytest.mark.parametrize(
    ("name", "action_class"),
    [
        ("InvokeModel", "invoke"),
        ("ListModels", "list"),
        ("DescribeModel", "read"),
        ("PutObject", "write"),
        ("DeleteModel", "delete"),
        ("PutBucketPolicy", "permission_change"),
        ("AttachRolePolicy", "permission_change"),
        ("GetBucketPolicy", "read"),
        ("AssumeRole", "admin"),
        ("CreateTrainingJob", "write"),
    ],
)
def test_action_classes(tmp_path, ingest, query, name, action_class):
    ingest(_records(tmp_path / "a.json", [_event(1, eventName=name)]))
    assert query("SELECT action_class FROM access_events") == [(action_class,)]


def test_every_container_shape_is_read(tmp_path, ingest, query):
    e = [_event(i) for i in range(6)]
    (tmp_path / "lines.log").write_text("\n".join(json.dumps(x) for x in e[:2]) + "\n")
    (tmp_path / "single").write_text(json.dumps(e[2], indent=2))
    (tmp_path / "bridge.json").write_text(
        json.dumps(
            {"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.s3", "detail": e[3]}
        )
    )
    (tmp_path / "lookup.json").write_text(
        json.dumps(
            {"Events": [{"EventId": "x", "EventName": "GetObject", "CloudTrailEvent": json.dumps(e[4])}]},
            indent=2,
        )
    )
    (tmp_path / "array.json").write_text(json.dumps([e[5]]))
    (tmp_path / "no-extension").write_bytes(gzip.compress(json.dumps({"Records": [_event(7)]}).encode()))
    report = ingest(tmp_path)
    assert {f.path.name: (f.format, f.counts.loaded) for f in report.files} == {
        "lines.log": ("cloudtrail", 2),
        "single": ("cloudtrail", 1),
        "bridge.json": ("cloudtrail", 1),
        "lookup.json": ("cloudtrail", 1),
        "array.json": ("cloudtrail", 1),
        "no-extension": ("cloudtrail", 1),
    }
    assert query("SELECT count(DISTINCT event_id) FROM access_events") == [(7,)]


def test_digest_files_are_recognised_and_skipped(tmp_path, ingest, query):
    digest = {
        "awsAccountId": "111122223333",
        "digestStartTime": "2026-03-01T10:00:00Z",
        "digestEndTime": "2026-03-01T11:00:00Z",
        "digestPublicKeyFingerprint": "abc",
        "logFiles": [],
    }
    (tmp_path / "digest.json").write_text(json.dumps(digest))
    (f,) = ingest(tmp_path / "digest.json").files
    assert (f.status, f.format, f.counts.loaded) == ("loaded", "cloudtrail_digest", 0)
    assert "digest" in (f.message or "")


def test_malformed_records_file_is_one_reject_with_position(tmp_path, ingest, query):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"Records": [_event(1), _event(2)]}, indent=1)[:-3])
    (f,) = ingest(path).files
    assert f.status == "failed"
    assert "invalid JSON" in (f.message or "") and "line" in (f.message or "")
    assert query("SELECT position_kind, count(*) FROM rejects GROUP BY 1") == [("file", 1)]
    assert query("SELECT count(*) FROM access_events") == [(0,)]


def test_bad_records_are_rejected_and_the_rest_load(tmp_path, ingest, query):
    bad_time = _event(2, eventTime="yesterday")
    no_time = _event(3)
    del no_time["eventTime"]
    (f,) = ingest(_records(tmp_path / "a.json", [_event(1), bad_time, no_time, "text", _event(5)])).files
    assert (f.counts.loaded, f.counts.rejected) == (2, 3)
    assert query("SELECT position, reason FROM rejects ORDER BY 1") == [
        (2, 'eventTime "yesterday" is not a timestamp'),
        (3, "missing eventTime"),
        (4, "not a JSON object"),
    ]


def test_reingest_adds_nothing_and_redelivered_events_are_skipped(tmp_path, ingest, query):
    first = _records(tmp_path / "a.json.gz", [_event(i) for i in range(5)], gz=True)
    ingest(first)
    assert ingest(first).files[0].status == "already_loaded"
    # AWS may deliver an event twice: same eventID and content in another file
    (f,) = ingest(_records(tmp_path / "b.json", [_event(i) for i in range(3, 8)])).files
    assert (f.counts.loaded, f.counts.duplicate) == (3, 2)
    assert query("SELECT count(*) FROM access_events") == [(8,)]


def test_a_delivery_folder_of_small_and_big_files_keeps_every_record_at_its_position(tmp_path, ingest, query):
    """Small files are split in one statement, big ones one by one: same rows, same positions."""
    inbox = tmp_path / "AWSLogs"
    inbox.mkdir()
    expected: dict[str, list[str]] = {}
    for n in range(6):
        events = [_event(n * 1000 + i) for i in range(4 + n)]
        name = f"ct-{n}.json.gz" if n % 2 else f"ct-{n}.json"
        _records(inbox / name, events, gz=n % 2 == 1)
        expected[name] = [str(e["eventID"]) for e in events]
    big = [_event(900_000 + i, responseElements={"pad": "x" * 600}) for i in range(400)]
    _records(inbox / "ct-big.json", big)  # over the 256 KiB detection sample
    expected["ct-big.json"] = [str(e["eventID"]) for e in big]
    # A damaged Records file in the same group: it falls back alone and is rejected with its reason.
    (inbox / "ct-broken.json").write_text(json.dumps({"Records": [_event(7)]})[:-5])
    report = ingest(inbox)
    status = {f.path.name: (f.status, f.counts.loaded) for f in report.files}
    assert status.pop("ct-broken.json")[0] == "failed"
    assert status == {name: ("loaded", len(ids)) for name, ids in expected.items()}
    rows = query(
        "SELECT r.path, e.source_pos, e.event_id FROM access_events e JOIN ingest_runs r USING (run_id) "
        "ORDER BY r.path, e.source_pos"
    )
    got: dict[str, list[str]] = {}
    for path, pos, event_id in rows:
        got.setdefault(Path(path).name, []).append(event_id)
        assert pos == len(got[Path(path).name])  # positions 1, 2, 3, ... in file order
    assert got == expected


def _big(i0: int, n: int = 400) -> list[dict[str, object]]:
    """Enough padded events to pass the 256 KiB detection sample (a file loaded on its own)."""
    return [_event(i0 + i, responseElements={"pad": "x" * 600}) for i in range(n)]


def test_big_records_files_in_any_valid_layout_keep_each_record_as_written(tmp_path, ingest, query):
    pretty = _big(0)
    (tmp_path / "pretty.json").write_text(json.dumps({"Records": pretty}, indent=2).replace("\n", "\r\n"))
    extra_key = _big(10_000)
    (tmp_path / "extra-key.json").write_text(json.dumps({"Records": extra_key, "note": "after the array"}))
    first, second = _big(20_000, 200), _big(30_000, 200)
    (tmp_path / "two-docs.json").write_text(
        json.dumps({"Records": first}) + "\n" + json.dumps({"Records": second})
    )
    report = ingest(tmp_path)
    assert {f.path.name: (f.status, f.counts.loaded) for f in report.files} == {
        "pretty.json": ("loaded", 400),
        "extra-key.json": ("loaded", 400),
        "two-docs.json": ("loaded", 400),
    }
    rows = query(
        "SELECT e.source_pos, e.raw FROM access_events e JOIN ingest_runs r USING (run_id) "
        "WHERE r.path LIKE '%pretty.json' ORDER BY e.source_pos"
    )
    assert [pos for pos, _ in rows] == list(range(1, 401))
    assert [json.loads(raw) for _, raw in rows] == pretty
    assert "\r\n" in rows[0][1]  # the record's own text, as the file has it


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda text: text[:-5], "invalid JSON"),
        (lambda text: text.replace("}]}", "},]}"), "invalid JSON"),
        (lambda text: text.replace("}, {", "} {", 1), "invalid JSON"),
    ],
    ids=["truncated", "trailing-comma", "missing-comma"],
)
def test_a_damaged_big_records_file_is_one_reject_with_the_reason(tmp_path, ingest, query, damage, reason):
    (tmp_path / "big.json").write_text(damage(json.dumps({"Records": _big(0)})))
    (f,) = ingest(tmp_path).files
    assert f.status == "failed" and reason in (f.message or "")
    assert query("SELECT position_kind, count(*) FROM rejects GROUP BY 1") == [("file", 1)]
    assert query("SELECT count(*) FROM access_events") == [(0,)]
