"""S3 server access logs already parsed into JSON: the real Panther sample and a damaged variant."""

from __future__ import annotations

import json

from mlspm.ingest import Status


def test_panther_parsed_records(real_samples, ingest, query):
    path = real_samples / "panther_tests" / "aws_s3serveraccess_parsed.tests.jsonl"
    (result,) = ingest(path).files
    assert result.status == Status.LOADED and result.format == "s3_access_json"
    # 16 records: 11 complete; 5 test stubs without time, bucket or operation are rejected with reasons
    assert (result.counts.loaded, result.counts.rejected) == (11, 5)
    rows = query(
        "SELECT principal, principal_type, action, resource, outcome, status_code FROM access_events "
        "WHERE principal LIKE '%jim-bob'"
    )
    assert rows == [
        (
            "arn:aws:iam::123456789012:user/jim-bob",
            "IAMUser",
            "REST.GET.OBJECT",
            "s3://panther-bootstrap-processeddata-AF1341JAK/AWSLogs/o-wwwwwwgggg/234567890123/CloudTrail-Digest/"
            "ca-central-1/2020/02/14/234567890123_CloudTrail-Digest_ca-central-1_POrgTrail_us-east-1_"
            "20200214T001007Z.json.gz",
            "success",
            "200",
        )
    ]
    assert query("SELECT count(*) FROM access_events WHERE principal = 'anonymous'")[0][0] >= 1
    reasons = {r for (r,) in query("SELECT DISTINCT reason FROM rejects")}
    assert all("time" in r or "operation" in r or "S3" in r for r in reasons), reasons


def test_damaged_records_are_rejected_beside_good_ones(tmp_path, ingest, query):
    good = {
        "bucket": "b",
        "bucketowner": "o",
        "operation": "REST.GET.OBJECT",
        "requestid": "r1",
        "time": "2026-01-01 00:00:00",
        "requester": "-",
        "key": "m/model.pkl",
        "httpstatus": 200,
        "authenticationtype": "QueryString",
        "requesturi": "GET /m/model.pkl?X-Amz-Signature=abc123 HTTP/1.1",
    }
    lines = [json.dumps(good), json.dumps({**good, "requestid": "r2", "time": "yesterday"}), "{broken"]
    path = tmp_path / "cloudtrail.json"  # a misleading name: detection is by content
    path.write_text("\n".join(lines) + "\n")
    (result,) = ingest(path).files
    assert result.format == "s3_access_json"
    assert (result.counts.loaded, result.counts.rejected) == (1, 2)
    assert query("SELECT principal, auth_type, resource FROM access_events") == [
        ("anonymous", "QueryString", "s3://b/m/model.pkl")
    ]
    assert "abc123" not in str(query("SELECT raw FROM access_events")[0][0])
