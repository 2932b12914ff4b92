"""Amazon Bedrock model-invocation logs: the real sample loads, bodies are never stored, wrappers and ids."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from mlspm.ingest.formats.base import CERTAIN, NO
from mlspm.ingest.formats.bedrock_invocation import BedrockInvocation, model_resource
from mlspm.ingest.source import take_sample

SAMPLE = "panther_tests/aws_bedrock_modelinvocation.tests.jsonl"
PROMPT = "Summarise the Q3 layoffs memo for Jane Doe, SSN 078-05-1120"
ANSWER = "Here is the summary of the confidential memo"


def _record(**over: object) -> dict[str, object]:
    record: dict[str, object] = {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": "2025-03-04T05:06:07Z",
        "accountId": "123456789012",
        "region": "us-east-1",
        "requestId": "req-1",
        "operation": "InvokeModel",
        "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/app/i-0abc"},
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": {"messages": [{"role": "user", "content": PROMPT}]},
            "inputTokenCount": 25,
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": {"content": [{"text": ANSWER}], "stop_reason": "end_turn"},
            "outputTokenCount": 11,
        },
    }
    record.update(over)
    return record


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_real_sample_loads_with_tokens_and_without_bodies(real_samples, ingest, query):
    report = ingest(real_samples / SAMPLE)
    result = report.files[0]
    assert (result.format, result.counts.loaded, result.counts.rejected) == ("bedrock_invocation", 6, 0)
    rows = query(
        "SELECT action, action_class, principal, principal_type, principal_role, account_id, region, service,"
        " resource, outcome, bytes_in, bytes_out, duration_ms, raw->>'$._mlspm.tokens.total',"
        " raw->>'$._mlspm.guardrail_action', raw->>'$._mlspm.stop_reason' FROM access_events ORDER BY source_pos"
    )
    model = "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
    suspicious = "arn:aws:sts::111111111111:assumed-role/role_details/suspicious.user"
    role = "arn:aws:iam::111111111111:role/role_details"
    assert rows[0][:13] == (
        "Converse", "invoke", suspicious, "AssumedRole", role, "111111111111", "us-west-2", "bedrock",
        model, "success", 88, 188, 249.0,
    )  # fmt: skip
    # Token counts from the records' usage blocks survive the redaction, queryable in raw.
    assert [r[13] for r in rows] == ["2000", "5000", "0", "0", "0", None]
    assert [r[0] for r in rows] == [
        "Converse",
        "Converse",
        "ListModels",
        "Converse",
        "Converse",
        "InvokeModel",
    ]
    assert [r[1] for r in rows] == ["invoke", "invoke", "list", "invoke", "invoke", "invoke"]
    assert rows[4][15] == "guardrail_intervened" and rows[5][14] == "INTERVENED"
    raws = " ".join(r[0] for r in query("SELECT raw FROM access_events"))
    for text in ("very suspicious question", "shouldn't ask", "helpful assistant", "_test_name"):
        assert text not in raws
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_prompts_and_responses_are_never_stored(tmp_path, ingest, query):
    streamed = _record(
        requestId="req-2",
        operation="InvokeModelWithResponseStream",
        output={
            "outputBodyJson": [
                {"type": "content_block_delta", "delta": {"text": ANSWER}},
                {"amazon-bedrock-invocationMetrics": {"inputTokenCount": 7, "outputTokenCount": 9,
                                                      "invocationLatency": 812}},
            ]
        },
    )  # fmt: skip
    offloaded = _record(requestId="req-3", input={"inputBodyS3Path": "s3://logs/big/input.json"})
    no_time = _record(requestId="req-4", timestamp=None)
    lines = [
        json.dumps(_record()),
        json.dumps(streamed),
        json.dumps(offloaded),
        json.dumps(no_time),
        '{"schemaType": "ModelInvocationLog", "input": {"inputBodyJson": "' + PROMPT + '"',  # cut short
        json.dumps({"unrelated": PROMPT}),
    ]
    report = ingest(_write(tmp_path / "invocations.log", lines))
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (3, 3)
    everything = " ".join(
        str(v)
        for row in query("SELECT raw FROM access_events UNION ALL SELECT raw FROM rejects")
        for v in row
    )
    assert PROMPT not in everything and ANSWER not in everything and "078-05-1120" not in everything
    body = json.dumps(_record()["input"]["inputBodyJson"], sort_keys=True, separators=(",", ":"))  # type: ignore[index]
    first = json.loads(query("SELECT raw FROM access_events WHERE event_id = 'req-1'")[0][0])
    assert first["input"]["inputBodyJson"] == {
        "redacted": True,
        "sha256": hashlib.sha256(body.encode()).hexdigest(),
        "bytes": len(body.encode()),
    }
    assert first["_mlspm"]["tokens"] == {
        "input": 25,
        "output": 11,
        "total": 36,
        "cache_read": None,
        "cache_write": None,
    }
    assert first["_mlspm"]["stop_reason"] == "end_turn"
    rows = query(
        "SELECT event_id, action_class, bytes_in, duration_ms FROM access_events ORDER BY source_pos"
    )
    assert rows[1][:2] == ("req-2", "invoke") and rows[1][3] == 812.0
    assert rows[2][0] == "req-3" and rows[2][2] is None  # the body lives in S3: its path is kept, no size
    assert "s3://logs/big/input.json" in query("SELECT raw FROM access_events WHERE event_id = 'req-3'")[0][0]
    assert query("SELECT position, reason FROM rejects ORDER BY position")[0] == (4, "missing timestamp")
    reasons = [r[0] for r in query("SELECT reason FROM rejects ORDER BY position")]
    assert reasons[1].startswith("invalid JSON") and reasons[2].startswith(
        "not a Bedrock model-invocation record"
    )


def test_cloudwatch_export_errors_and_model_ids(tmp_path, ingest, query):
    failed = _record(requestId="req-9", errorCode="ThrottlingException")
    profile = _record(
        requestId="req-10", modelId="us.anthropic.claude-3-5-sonnet-20240620-v1:0", operation="Converse"
    )
    custom = _record(
        requestId="req-11", modelId="arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"
    )
    export = {"events": [{"timestamp": 1, "message": json.dumps(r)} for r in (failed, profile, custom)]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, indent=1))
    report = ingest(path)
    assert (report.files[0].format, report.files[0].counts.loaded) == ("bedrock_invocation", 3)
    assert query("SELECT event_id, outcome, status_code, resource FROM access_events ORDER BY event_id") == [
        ("req-10", "success", None,
         "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("req-11", "success", None, "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"),
        ("req-9", "failure", "ThrottlingException",
         "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
    ]  # fmt: skip
    assert PROMPT not in " ".join(r[0] for r in query("SELECT raw FROM access_events"))


def test_model_resource_partitions():
    assert model_resource("amazon.titan-text-express-v1", "cn-north-1", "1", None) == (
        "arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.titan-text-express-v1"
    )
    assert model_resource("meta.llama3-8b", None, None, None) == "meta.llama3-8b"  # no region: kept as given


def test_detected_by_content_not_name(tmp_path, real_samples):
    path = tmp_path / "cloudtrail_2025.json"
    path.write_text(json.dumps(_record()) + "\n")
    fmt = BedrockInvocation()
    assert fmt.sniff(take_sample(path, path.stat().st_size)) == CERTAIN
    # A CloudTrail event about the logging configuration mentions ModelInvocationLogging, not a log record.
    trail = tmp_path / "bedrock_invocations.jsonl"
    trail.write_text(
        json.dumps(
            {"eventVersion": "1.09", "eventSource": "bedrock.amazonaws.com", "eventTime": "2025-01-01T00:00:00Z",
             "eventName": "DeleteModelInvocationLoggingConfiguration", "userIdentity": {"type": "IAMUser"}}
        ) + "\n"
    )  # fmt: skip
    assert fmt.sniff(take_sample(trail, trail.stat().st_size)) == NO
    sample = real_samples / "panther_tests" / "aws_cloudtrail.tests.jsonl"
    assert fmt.sniff(take_sample(sample, sample.stat().st_size)) == NO
