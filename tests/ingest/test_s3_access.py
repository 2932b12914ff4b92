"""Amazon S3 server access logs: real samples load, odd lines parse, secrets are redacted, bad lines fail."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlspm.ingest.formats.base import LIKELY, NO
from mlspm.ingest.formats.s3_access import S3AccessLog, redact, tokenize
from mlspm.ingest.source import take_sample

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
HOST_ID = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234="
FIELDS = (
    "owner",
    "bucket",
    "time",
    "ip",
    "requester",
    "request_id",
    "operation",
    "key",
    "uri",
    "status",
    "error",
    "bytes_sent",
    "object_size",
    "total_time",
    "turnaround",
    "referer",
    "user_agent",
    "version_id",
    "host_id",
    "sig",
    "cipher",
    "auth",
    "host",
    "tls",
    "access_point",
    "acl",
)
DEFAULTS = {
    "owner": OWNER,
    "bucket": "ml-models",
    "time": "[06/Feb/2019:00:00:38 +0000]",
    "ip": "192.0.2.3",
    "requester": "arn:aws:iam::123456789012:user/alice",
    "request_id": "3E57427F3EXAMPLE",
    "operation": "REST.GET.OBJECT",
    "key": "models/bert/weights.bin",
    "uri": '"GET /ml-models/models/bert/weights.bin HTTP/1.1"',
    "status": "200",
    "error": "-",
    "bytes_sent": "4406583",
    "object_size": "4406583",
    "total_time": "41",
    "turnaround": "28",
    "referer": '"-"',
    "user_agent": '"aws-cli/2.15.0 Python/3.11.6 Linux/6.5, botocore/1.34"',
    "version_id": "-",
    "host_id": HOST_ID,
    "sig": "SigV4",
    "cipher": "ECDHE-RSA-AES128-GCM-SHA256",
    "auth": "AuthHeader",
    "host": "ml-models.s3.us-west-2.amazonaws.com",
    "tls": "TLSv1.2",
    "access_point": "-",
    "acl": "-",
}
T0 = int(datetime(2019, 2, 6, 0, 0, 38, tzinfo=UTC).timestamp())


def s3_line(fields: int = 26, **over: str) -> str:
    """An access log line of the first ``fields`` documented fields; values are raw tokens (quote them)."""
    unknown = set(over) - set(FIELDS)
    assert not unknown, unknown
    values = {**DEFAULTS, **over}
    return " ".join(values[name] for name in FIELDS[:fields])


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _epoch(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


# --- real samples -------------------------------------------------------------------------------------


def test_aws_documentation_records_all_load(real_samples, ingest, query):
    path = real_samples / "s3_access_logs" / "awsdocs_LogFormat_example_5records.log"
    report = ingest(path)
    result = report.files[0]
    assert (result.status, result.format) == ("loaded", "s3_access")
    assert (result.counts.loaded, result.counts.rejected) == (5, 0)
    assert query("SELECT count(*), count(DISTINCT event_id) FROM access_events") == [(5, 5)]
    # Line 5, checked by hand against the file: REST.PUT.OBJECT s3-dg.pdf, bytes_sent "-", object_size
    # 4406583, total time 41754 ms, at 06/Feb/2019:00:01:57 +0000.
    put = query(
        "SELECT event_id, epoch(ts)::BIGINT, principal, principal_type, source_ip, service, action, "
        "action_class, resource, outcome, status_code, error_message, bytes_out, object_size, duration_ms, "
        "user_agent, auth_type, region, source_pos FROM access_events WHERE action = 'REST.PUT.OBJECT'"
    )
    assert put == [
        (
            "DD6CC733AEXAMPLE",
            _epoch(2019, 2, 6, 0, 1, 57),
            OWNER,
            "CanonicalUser",
            "192.0.2.3",
            "s3",
            "REST.PUT.OBJECT",
            "write",
            "s3://DOC-EXAMPLE-BUCKET1/s3-dg.pdf",
            "success",
            "200",
            None,
            0,
            4406583,
            41754.0,
            "S3Console/0.4",
            "AuthHeader",
            "us-west-1",
            5,
        )
    ]
    # Line 3: the 404 NoSuchBucketPolicy read of the bucket policy (a bucket-level request, key "-").
    policy = query(
        "SELECT action_class, resource, outcome, status_code, error_message, bytes_out, object_size "
        "FROM access_events WHERE event_id = 'A1206F460EXAMPLE'"
    )
    assert policy == [("read", "s3://DOC-EXAMPLE-BUCKET1", "failure", "404", "NoSuchBucketPolicy", 297, None)]
    # The raw line is kept verbatim (no secrets in it), trailing space included.
    lines = path.read_text().splitlines()
    assert query("SELECT raw FROM access_events WHERE source_pos = 3") == [(lines[2],)]


def test_logstash_spec_lines_all_load(real_samples, ingest, query):
    path = real_samples / "s3_access_logs" / "logstash_patterns_core_aws_spec_samples.log"
    report = ingest(path)
    assert report.files[0].format == "s3_access"
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (3, 0)
    rows = query(
        "SELECT source_pos, epoch(ts)::BIGINT, principal, principal_type, account_id, resource, outcome, "
        "object_size, bytes_out, user_agent, auth_type FROM access_events ORDER BY source_pos"
    )
    assert rows == [
        # legacy 18-field line: no signature/auth fields
        (
            1,
            _epoch(2014, 2, 6, 0, 0, 38),
            "79a5",
            "CanonicalUser",
            None,
            "s3://mybucket",
            "success",
            None,
            113,
            "S3Console/0.4",
            None,
        ),
        # requester "-" is an anonymous request; 304 is not a failure
        (
            2,
            _epoch(2014, 5, 12, 7, 54, 1),
            "anonymous",
            "anonymous",
            None,
            "s3://mybucket/foo/bar.html",
            "success",
            1718,
            0,
            "Mozilla/5.0",
            None,
        ),
        (
            3,
            T0,
            "arn:aws:iam::123456:user/test@elastic.co",
            "IAMUser",
            "123456",
            "s3://awsexamplebucket1",
            "failure",
            None,
            297,
            "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590 "
            "Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64",
            "AuthHeader",
        ),
    ]


# --- detection ----------------------------------------------------------------------------------------


def test_sniff_by_content_only(tmp_path):
    fmt = S3AccessLog()
    # an access log named like JSON is still an access log
    s3 = _write(tmp_path / "looks.json", [s3_line(), s3_line(request_id="B2")])
    assert fmt.sniff(take_sample(s3, s3.stat().st_size)) >= LIKELY
    # one odd line first does not hide the log behind it
    mixed = _write(tmp_path / "mixed", ["garbage first", *[s3_line(request_id=f"R{i}") for i in range(5)]])
    assert fmt.sniff(take_sample(mixed, mixed.stat().st_size)) >= LIKELY
    others = {
        "trail.log": json.dumps(
            {
                "Records": [
                    {
                        "eventVersion": "1.08",
                        "eventSource": "s3.amazonaws.com",
                        "eventTime": "2019-02-06T00:00:38Z",
                    }
                ]
            }
        ),
        "events.log": "\n".join(
            json.dumps({"ts": "2019-02-06T00:00:38Z", "action": s3_line()}) for _ in range(3)
        ),
        "nginx.log": '192.0.2.3 - - [06/Feb/2019:00:00:38 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.0"',
        "events.csv": "ts,principal,action\n2019-02-06T00:00:38Z,alice,GetObject",
    }
    for name, text in others.items():
        path = tmp_path / name
        path.write_text(text + "\n")
        assert fmt.sniff(take_sample(path, path.stat().st_size)) == NO, name


# --- tokenizer and field quirks -----------------------------------------------------------------------


def test_tokenizer_keeps_quoted_and_bracketed_fields_whole():
    line = 'a b [06/Feb/2019:00:00:38 +0000] "GET /x?a=1 HTTP/1.1" "-" "ua, with \\"quote\\" inside" - end'
    assert tokenize(line) == [
        "a",
        "b",
        "[06/Feb/2019:00:00:38 +0000]",
        '"GET /x?a=1 HTTP/1.1"',
        '"-"',
        '"ua, with \\"quote\\" inside"',
        "-",
        "end",
    ]


def test_dash_in_any_field_and_quoted_dash(tmp_path, ingest, query):
    lines = [
        # a lifecycle expiry: no remote ip, AWS as the requester, "-" request uri, no http status
        s3_line(
            ip="-",
            requester="AmazonS3",
            request_id="LC1",
            operation="S3.EXPIRE.OBJECT",
            uri='"-"',
            status="-",
            bytes_sent="-",
            object_size="317",
            total_time="-",
            turnaround="-",
            user_agent='"-"',
            sig="-",
            cipher="-",
            auth="-",
            host="-",
            tls="-",
        ),
        # a multi-object delete member: request uri, referer and user agent unquoted "-"
        s3_line(
            request_id="BD1",
            operation="BATCH.DELETE.OBJECT",
            uri="-",
            status="204",
            bytes_sent="-",
            referer="-",
            user_agent="-",
            total_time="-",
        ),
    ]
    report = ingest(_write(tmp_path / "dash.log", lines))
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (2, 0)
    rows = query(
        "SELECT principal, principal_type, source_ip, status_code, outcome, action_class, bytes_out, "
        "object_size, duration_ms, user_agent, auth_type FROM access_events ORDER BY source_pos"
    )
    assert rows == [
        ("AmazonS3", "AWSService", None, None, "unknown", "delete", 0, 317, None, None, None),
        (
            "arn:aws:iam::123456789012:user/alice",
            "IAMUser",
            "192.0.2.3",
            "204",
            "success",
            "delete",
            0,
            4406583,
            None,
            None,
            "AuthHeader",
        ),
    ]


def test_host_id_with_a_space(tmp_path, ingest, query):
    split_host_id = (
        "qsEq9bDa2VyxyZ4cz0c7oBnF67VYTTij DMlPb9al4CvVBck150CgpEIIYgtSI3HC/atetNVYwPtHZffW6jfpg+BrffhbT9/B"
    )
    lines = [
        # the shape of Elastic's S3.EXPIRE.OBJECT test line: every field after the host id is "-"
        s3_line(
            ip="-",
            requester="AmazonS3",
            request_id="366DB3C4B325AB11",
            operation="S3.EXPIRE.OBJECT",
            key="0/chum/x.sst",
            uri='"-"',
            status="-",
            bytes_sent="-",
            object_size="317",
            total_time="-",
            turnaround="-",
            user_agent='"-"',
            host_id=split_host_id,
            sig="-",
            cipher="-",
            auth="-",
            host="-",
            tls="-",
        ),
        # the same quirk on a presigned download: auth type still found by anchoring on SigV4
        s3_line(
            request_id="HID2",
            host_id=split_host_id,
            auth="QueryString",
            host="ml-models.s3.eu-west-1.amazonaws.com",
        ),
    ]
    report = ingest(_write(tmp_path / "hostid.log", lines))
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (2, 0)
    assert query("SELECT event_id, resource, auth_type, region FROM access_events ORDER BY source_pos") == [
        ("366DB3C4B325AB11", "s3://ml-models/0/chum/x.sst", None, None),
        ("HID2", "s3://ml-models/models/bert/weights.bin", "QueryString", "eu-west-1"),
    ]


def test_field_counts_from_18_to_more_than_26(tmp_path, ingest, query):
    lines = [
        s3_line(18, request_id="F18"),  # legacy: ends with version id "-"
        s3_line(22, request_id="F22", auth="QueryString"),
        s3_line(25, request_id="F25", auth="QueryString"),
        s3_line(26, request_id="F26", auth="QueryString"),
        s3_line(request_id="F28", auth="QueryString") + " future-field another",
    ]
    report = ingest(_write(tmp_path / "counts.log", lines))
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (5, 0)
    assert query("SELECT event_id, auth_type FROM access_events ORDER BY source_pos") == [
        ("F18", None),
        ("F22", "QueryString"),
        ("F25", "QueryString"),
        ("F26", "QueryString"),
        ("F28", "QueryString"),
    ]


def test_principals_time_zones_and_keys(tmp_path, ingest, query):
    lines = [
        s3_line(
            request_id="P1",
            requester="arn:aws:sts::123456789012:assumed-role/TrainingRole/job-42",
            time="[06/Feb/2019:09:00:38 +0900]",
        ),
        s3_line(
            request_id="P2", requester="svc:delivery.logs.amazonaws.com", time="[05/Feb/2019:22:30:38 -0130]"
        ),
        s3_line(
            request_id="P3",
            requester="arn:aws:iam::123456789012:root",
            key="Screen+Shot+2019-09-09+at+9.08.44+AM.png",
        ),
        s3_line(request_id="P4", requester=OWNER, key="models/caf%C3%A9%2Bv2/%5Bfinal%5D.pt"),
    ]
    ingest(_write(tmp_path / "who.log", lines))
    rows = query(
        "SELECT event_id, epoch(ts)::BIGINT, principal_type, principal_role, account_id, resource "
        "FROM access_events ORDER BY source_pos"
    )
    assert rows == [
        (
            "P1",
            T0,
            "AssumedRole",
            "arn:aws:iam::123456789012:role/TrainingRole",
            "123456789012",
            "s3://ml-models/models/bert/weights.bin",
        ),
        ("P2", T0, "AWSService", None, None, "s3://ml-models/models/bert/weights.bin"),
        ("P3", T0, "Root", None, "123456789012", "s3://ml-models/Screen Shot 2019-09-09 at 9.08.44 AM.png"),
        ("P4", T0, "CanonicalUser", None, None, "s3://ml-models/models/café+v2/[final].pt"),
    ]


def test_lines_sharing_a_request_id_are_all_kept(tmp_path, ingest, query):
    # One DeleteObjects request logs a MULTI_OBJECT_DELETE line and a BATCH.DELETE.OBJECT line per key,
    # all with the same request id and second.
    lines = [
        s3_line(
            request_id="MOD1",
            operation="REST.POST.MULTI_OBJECT_DELETE",
            key="-",
            uri='"POST /ml-models?delete HTTP/1.1"',
        )
    ]
    lines += [
        s3_line(
            request_id="MOD1",
            operation="BATCH.DELETE.OBJECT",
            key=f"data/train-{i}.parquet",
            uri="-",
            referer="-",
            user_agent="-",
        )
        for i in range(3)
    ]
    report = ingest(_write(tmp_path / "multi.log", lines))
    assert (report.files[0].counts.loaded, report.files[0].counts.duplicate) == (4, 0)
    assert query(
        "SELECT count(DISTINCT event_id), count(*) FILTER (action_class = 'delete') FROM access_events"
    ) == [(4, 3)]


def test_lines_without_request_id_get_content_ids(tmp_path, ingest, query):
    line = s3_line(request_id="-")
    ingest(_write(tmp_path / "a.log", [line, line]))
    assert query(
        "SELECT count(*), count(DISTINCT event_id), min(event_id LIKE 'h:%') FROM access_events"
    ) == [(2, 2, True)]
    # the same two lines plus one more repeat in another file: only the third copy is new
    report = ingest(_write(tmp_path / "b.log", [line, line, line]))
    assert (report.files[0].counts.loaded, report.files[0].counts.duplicate) == (1, 2)


# --- secrets ------------------------------------------------------------------------------------------

SIG4 = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
TOKEN = "IQoJb3JpZ2luX2VjEJr%2F%2F%2F%2FSECRETSESSIONTOKENVALUE%3D%3D"
CREDENTIAL = "AKIAIOSFODNN7EXAMPLE%2F20190206%2Fus-west-2%2Fs3%2Faws4_request"
SIG2 = "vjbyPxybdZaNmGa%2ByT272YEAiv4%3D"
KEY_ID = "AKIAI44QH8DHBEXAMPLE"


def _presigned_lines() -> list[str]:
    query4 = (
        f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={CREDENTIAL}&X-Amz-Date=20190206T000038Z"
        f"&X-Amz-Expires=3600&X-Amz-Security-Token={TOKEN}&X-Amz-SignedHeaders=host"
        f"&X-Amz-Signature={SIG4}"
    )
    query2 = f"AWSAccessKeyId={KEY_ID}&Expires=1549414838&x-amz-security-token={TOKEN}&Signature={SIG2}"
    return [
        s3_line(
            request_id="PS4",
            auth="QueryString",
            uri=f'"GET /ml-models/models/bert/weights.bin?{query4} HTTP/1.1"',
            referer=f'"https://ml-models.s3.amazonaws.com/models/bert/weights.bin?{query4}"',
        ),
        s3_line(
            request_id="PS2",
            sig="SigV2",
            auth="QueryString",
            uri=f'"GET /ml-models/models/bert/weights.bin?{query2} HTTP/1.1"',
        ),
        # a query string in the key field, plain and URL-encoded
        s3_line(request_id="PSK", auth="QueryString", key=f"models/a.bin?Signature={SIG2}"),
        s3_line(request_id="PSE", auth="QueryString", key=f"models/b.bin%3FX-Amz-Signature%3D{SIG4}"),
        # rejected (impossible date) lines are redacted too
        s3_line(
            request_id="PSX", time="[31/Feb/2019:00:00:38 +0000]", uri=f'"GET /ml-models/x?{query4} HTTP/1.1"'
        ),
    ]


def test_presigned_urls_are_flagged_and_redacted(tmp_path, ingest, query):
    report = ingest(_write(tmp_path / "presigned.log", _presigned_lines()))
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (4, 1)
    assert query("SELECT DISTINCT auth_type FROM access_events") == [("QueryString",)]
    (raw4,), (raw2,) = query(
        "SELECT raw FROM access_events WHERE event_id IN ('PS4', 'PS2') ORDER BY event_id DESC"
    )
    for name in ("X-Amz-Credential", "X-Amz-Security-Token", "X-Amz-Signature"):
        assert raw4.count(f"{name}=REDACTED") == 2  # request uri and referer
    assert "X-Amz-Expires=3600&" in raw4 and "X-Amz-SignedHeaders=host&" in raw4
    for name in ("AWSAccessKeyId", "x-amz-security-token", "Signature"):
        assert f"{name}=REDACTED" in raw2
    assert query("SELECT resource FROM access_events WHERE event_id IN ('PSK', 'PSE') ORDER BY event_id") == [
        ("s3://ml-models/models/b.bin?X-Amz-Signature=REDACTED",),
        ("s3://ml-models/models/a.bin?Signature=REDACTED",),
    ]
    ((reason, raw_rejected),) = query("SELECT reason, raw FROM rejects")
    assert "impossible date" in reason and "X-Amz-Signature=REDACTED" in raw_rejected

    # No secret survives anywhere: every text column of every table is searched.
    secrets = [SIG4, TOKEN, "SECRETSESSIONTOKENVALUE", CREDENTIAL, "AKIAIOSFODNN7EXAMPLE", SIG2, KEY_ID]
    columns = query(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND data_type = 'VARCHAR'"
    )
    assert ("access_events", "raw") in columns and ("rejects", "raw") in columns
    for table, column in columns:
        for secret in secrets:
            hits = query(f'SELECT count(*) FROM "{table}" WHERE contains("{column}", ?)', [secret])
            assert hits == [(0,)], (table, column, secret)


def test_redact_leaves_ordinary_text_alone():
    assert redact("GET /b/k?versioning HTTP/1.1") == "GET /b/k?versioning HTTP/1.1"
    assert redact("GET /b/k?X-AMZ-SIGNATURE=abc&y=1") == "GET /b/k?X-AMZ-SIGNATURE=REDACTED&y=1"
    assert (
        redact("/b/k%3Fa%3D1%26Signature%3Dab%2Bc%26z%3D2") == "/b/k%3Fa%3D1%26Signature%3DREDACTED%26z%3D2"
    )


# --- rejects ------------------------------------------------------------------------------------------


def test_malformed_lines_are_rejected_and_the_rest_loads(tmp_path, ingest, query):
    good = s3_line(request_id="GOOD1")
    lines = [
        good,
        s3_line(request_id="BAD2", time="[31/Feb/2019:00:00:38 +0000]"),
        s3_line(request_id="BAD3", time="[06/Foo/2019:00:00:38 +0000]"),
        s3_line(12, request_id="BAD4"),
        s3_line(request_id="BAD5", user_agent='"aws-cli/2.15.0 Python/3.11.6'),
        "this is not an access log line",
        s3_line(request_id="BAD7", status="OK"),
        s3_line(request_id="BAD8", time="[06/Feb/2019:00:00:38 +0000"),
        s3_line(request_id="BAD9", bytes_sent="12kB"),
        "",
        s3_line(request_id="GOOD11"),
    ]
    path = _write(tmp_path / "bad.log", lines)
    report = ingest(path)
    result = report.files[0]
    assert (result.status, result.format) == ("loaded", "s3_access")
    assert (result.counts.loaded, result.counts.rejected) == (2, 8)
    rejects = query("SELECT position, position_kind, reason, raw FROM rejects ORDER BY position")
    assert [(r[0], r[1]) for r in rejects] == [(n, "line") for n in range(2, 10)]
    reasons = [r[2] for r in rejects]
    assert "impossible date" in reasons[0] and "day is out of range" in reasons[0]
    assert "impossible date" in reasons[1] and "unknown month 'Foo'" in reasons[1]
    assert reasons[2] == "only 12 fields; an S3 access log line has at least 18"
    assert reasons[3] == "unterminated quote"
    assert reasons[4] == "only 7 fields; an S3 access log line has at least 18"
    assert reasons[5] == "http status 'OK' is not a number"
    assert reasons[6] == "unterminated bracket in the time field"
    assert reasons[7] == "bytes_sent '12kB' is not a number"
    assert [r[3] for r in rejects] == lines[1:9]
    assert query("SELECT source_pos, event_id FROM access_events ORDER BY 1") == [
        (1, "GOOD1"),
        (11, "GOOD11"),
    ]


def test_over_long_line_is_rejected_redacted(tmp_path, ingest, query, config):
    long_line = s3_line(
        request_id="LONG", uri=f'"GET /ml-models/k?X-Amz-Signature={SIG4}&pad={"x" * 3000} HTTP/1.1"'
    )
    path = _write(tmp_path / "long.log", [s3_line(request_id="OK1"), long_line, s3_line(request_id="OK3")])
    report = ingest(path, cfg=config.with_(max_record_bytes=2000))
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (2, 1)
    ((position, reason, raw, size),) = query("SELECT position, reason, raw, raw_bytes FROM rejects")
    assert position == 2 and "over the 2,000-byte limit" in reason
    assert size == len(long_line) and "X-Amz-Signature=REDACTED" in raw and SIG4 not in raw


# --- containers and idempotence -----------------------------------------------------------------------


def test_gzip_log_loads(real_samples, tmp_path, ingest, query):
    data = (real_samples / "s3_access_logs" / "awsdocs_LogFormat_example_5records.log").read_bytes()
    packed = tmp_path / "access-2019-02-06-00-00-38-EXAMPLE"  # no extension: detected by content
    packed.write_bytes(gzip.compress(data))
    report = ingest(packed)
    assert (report.files[0].status, report.files[0].format, report.files[0].counts.loaded) == (
        "loaded",
        "s3_access",
        5,
    )
    assert query("SELECT resource FROM access_events WHERE event_id = 'DD6CC733AEXAMPLE'") == [
        ("s3://DOC-EXAMPLE-BUCKET1/s3-dg.pdf",)
    ]
    # the same records uncompressed (another file, another sha256) add nothing
    plain = tmp_path / "plain.log"
    plain.write_bytes(data)
    again = ingest(plain)
    assert (again.files[0].counts.loaded, again.files[0].counts.duplicate) == (0, 5)


def test_reingest_adds_nothing(tmp_path, ingest, query):
    path = _write(tmp_path / "a.log", [s3_line(request_id=f"R{i}") for i in range(10)])
    assert ingest(path).files[0].counts.loaded == 10
    again = ingest(path)
    assert again.files[0].status == "already_loaded"
    overlap = _write(tmp_path / "b.log", [s3_line(request_id=f"R{i}") for i in range(5, 15)])
    report = ingest(overlap)
    assert (report.files[0].counts.loaded, report.files[0].counts.duplicate) == (5, 5)
    assert query("SELECT count(*), count(DISTINCT event_id) FROM access_events") == [(15, 15)]


@pytest.mark.parametrize("crlf", [False, True])
def test_windows_line_endings_and_blank_lines(tmp_path, ingest, query, crlf):
    sep = "\r\n" if crlf else "\n"
    path = tmp_path / "crlf.log"
    path.write_text(sep.join(["", s3_line(request_id="W1"), "   ", s3_line(request_id="W2"), ""]), newline="")
    report = ingest(path)
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (2, 0)
    assert query("SELECT source_pos FROM access_events ORDER BY 1") == [(2,), (4,)]
