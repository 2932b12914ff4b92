"""Amazon Bedrock model-invocation logs: who invoked which model, token counts kept, prompts never stored.

Bedrock writes one JSON record per invocation (``schemaType`` = ``ModelInvocationLog``) to CloudWatch
Logs or, gzipped as JSON lines, to S3. This format reads those JSON lines, JSON arrays, CloudWatch
exports (``aws logs filter-log-events`` output: ``{"events": [{"message": "<record>"}]}``, and
subscription/Firehose payloads with ``logEvents``) and SIEM test wrappers (``{"log": {...}}``).

Normalization:

=============== =============================================================================
principal       ``identity.arn`` (type and role derived from the ARN)
action          ``operation`` (InvokeModel, Converse, ConverseStream, ...) → action_class invoke
resource        ``modelId`` when it is an ARN; a bare foundation-model id becomes
                ``arn:<partition>:bedrock:<region>::foundation-model/<id>`` and a cross-region
                inference-profile id (``us.``/``eu.``/... prefix) becomes
                ``arn:<partition>:bedrock:<region>:<account>:inference-profile/<id>``, the ARNs the
                Bedrock API and inventories use
outcome         failure when ``errorCode`` is set (kept as status_code), else success
bytes_in/out    the size of the logged input / output body (compact JSON), not token counts
duration_ms     the latency the output body reports (``metrics.latencyMs`` or invocation metrics)
raw             the record with every prompt and response body replaced by
                ``{"redacted": true, "sha256": ..., "bytes": N}``, plus ``_mlspm``: token counts
                (``tokens.input/output/total/cache_read/cache_write``), latency, stop reason and
                guardrail action read from the bodies before they were dropped
=============== =============================================================================

Prompts and responses are personal data and secrets in waiting: they are never stored, not even in
``rejects`` (an unreadable record is kept as its size and hash only).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from mlspm.enums import ActionClass
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.pyevents import EventWriter, RawRecord, as_int, first, json_records, parse_time
from mlspm.ingest.rules import action_class
from mlspm.ingest.source import Sample

_SCHEMA = "ModelInvocationLog"
# The schemaType key and value, also inside a CloudWatch message string (quotes escaped there).
_SCHEMA_RE = re.compile(r'schemaType\\?"\s*:\s*\\?"ModelInvocationLog\\?"')
# Keys that hold what a caller sent or a model answered (JSON bodies, text, base64 media): dropped.
# The *S3Path keys only say where a large body was offloaded and are kept.
_BODY_KEY = re.compile(r"^(input|output)(Body|Text|Image|Video|Audio|Document)", re.IGNORECASE)
# Cross-region inference profiles are named by a geography prefix before the model id.
_PROFILE_PREFIX = re.compile(r"^(us|eu|apac|ap|us-gov|ca|jp|au|global)\.[a-z0-9-]+\.", re.IGNORECASE)
_ARN = re.compile(r"^arn:([\w-]+):(iam|sts)::(\d*):(.+)$")
_INVOKE_OPERATIONS = re.compile(r"^(Invoke|Converse)", re.IGNORECASE)


def redact_body(value: Any) -> dict[str, Any]:
    """What is kept of a prompt or response body: its size and hash (of the compact JSON or the text)."""
    text = value if isinstance(value, str) else _compact(value)
    data = text.encode("utf-8", "replace")
    return {"redacted": True, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def redact_record(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """A copy of ``record`` without bodies, and the size in bytes of each body it dropped."""
    clean = dict(record)
    sizes: dict[str, int] = {}
    for side in ("input", "output"):
        part = record.get(side)
        if not isinstance(part, dict):
            continue
        kept = dict(part)
        for key, value in part.items():
            # Numbers (a video's duration) say nothing of the content; paths to S3 are locations.
            if (
                _BODY_KEY.match(key)
                and not key.lower().endswith("s3path")
                and isinstance(value, str | dict | list)
            ):
                kept[key] = redact_body(value)
                sizes[side] = sizes.get(side, 0) + int(kept[key]["bytes"])
        clean[side] = kept
    return clean, sizes


def _chunks(body: Any) -> Iterator[dict[str, Any]]:
    """The JSON objects of an output body: the body itself, or each chunk of a streamed response."""
    if isinstance(body, dict):
        yield body
    elif isinstance(body, list):
        for chunk in body:
            if isinstance(chunk, dict):
                yield chunk


def summarize(record: dict[str, Any]) -> dict[str, Any]:
    """Token counts, latency, stop reason and guardrail action: read from the bodies before redaction."""
    tokens: dict[str, int | None] = {
        "input": as_int(first(record, "input.inputTokenCount")),
        "output": as_int(first(record, "output.outputTokenCount")),
        "total": None,
        "cache_read": as_int(first(record, "input.cacheReadInputTokenCount")),
        "cache_write": as_int(first(record, "input.cacheWriteInputTokenCount")),
    }
    latency: float | None = None
    stop: str | None = None
    guardrail: str | None = None
    for chunk in _chunks(first(record, "output.outputBodyJson")):
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            # Converse (inputTokens) and Anthropic Messages (input_tokens) name them differently.
            for name, keys in (
                ("input", ("inputTokens", "input_tokens")),
                ("output", ("outputTokens", "output_tokens")),
                ("total", ("totalTokens", "total_tokens")),
            ):
                for key in keys:
                    if tokens[name] is None and as_int(usage.get(key)) is not None:
                        tokens[name] = as_int(usage.get(key))
        metrics = chunk.get("amazon-bedrock-invocationMetrics")
        if isinstance(metrics, dict):
            tokens["input"] = tokens["input"] or as_int(metrics.get("inputTokenCount"))
            tokens["output"] = tokens["output"] or as_int(metrics.get("outputTokenCount"))
            if latency is None and isinstance(metrics.get("invocationLatency"), int | float):
                latency = float(metrics["invocationLatency"])
        timing = chunk.get("metrics")
        if latency is None and isinstance(timing, dict) and isinstance(timing.get("latencyMs"), int | float):
            latency = float(timing["latencyMs"])
        reason = first(chunk, "stopReason", "stop_reason", "completionReason")
        if isinstance(reason, str):
            stop = reason
        action = chunk.get("amazon-bedrock-guardrailAction")
        if isinstance(action, str):
            guardrail = action
    if tokens["total"] is None and tokens["input"] is not None and tokens["output"] is not None:
        tokens["total"] = tokens["input"] + tokens["output"]
    summary: dict[str, Any] = {"tokens": tokens}
    if latency is not None:
        summary["latency_ms"] = latency
    if stop is not None:
        summary["stop_reason"] = stop
    if guardrail is not None:
        summary["guardrail_action"] = guardrail
    return summary


def _partition(identity: str | None, region: str | None) -> str:
    m = _ARN.match(identity or "")
    if m:
        return m.group(1)
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def model_resource(model_id: str, region: str | None, account: str | None, identity: str | None) -> str:
    """The model's ARN: kept when ``modelId`` is one, else built from the id, region and account."""
    if model_id.startswith("arn:") or not region:
        return model_id
    partition = _partition(identity, region)
    if _PROFILE_PREFIX.match(model_id):
        return f"arn:{partition}:bedrock:{region}:{account or ''}:inference-profile/{model_id}"
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"


def principal_kind(arn: str) -> tuple[str, str | None]:
    """(principal_type, principal_role) of an IAM/STS ARN."""
    m = _ARN.match(arn)
    if m is None:
        return "Unknown", None
    partition, service, account, rest = m.groups()
    if service == "sts" and rest.startswith("assumed-role/"):
        return "AssumedRole", f"arn:{partition}:iam::{account}:role/{rest.split('/')[1]}"
    if service == "sts" and rest.startswith("federated-user/"):
        return "FederatedUser", None
    if rest.startswith("user/"):
        return "IAMUser", None
    if rest.startswith("role/"):
        return "Role", None
    if rest == "root":
        return "Root", None
    return "Unknown", None


def _is_invocation(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if value.get("schemaType") == _SCHEMA:
        return True
    return {"modelId", "operation", "identity", "requestId"} <= value.keys()


def _unwrap(value: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The invocation records a JSON object carries (itself, or CloudWatch messages); None if it is none."""
    if _is_invocation(value):
        return [value]
    messages: list[Any] = []
    if isinstance(value.get("logEvents"), list):  # CloudWatch subscription / Firehose payload
        messages = [e.get("message") for e in value["logEvents"] if isinstance(e, dict)]
    elif "message" in value:  # one CloudWatch event (filter-log-events, Logs Insights exports)
        messages = [value.get("message")]
    found: list[dict[str, Any]] = []
    for message in messages:
        try:
            inner = json.loads(message) if isinstance(message, str) else message
        except ValueError:
            return None
        if not _is_invocation(inner):
            return None
        found.append(inner)
    return found or None


def _safe_raw(text: str) -> str:
    """What a reject of an unreadable record keeps: no text (it may hold a prompt), only size and hash."""
    return json.dumps(redact_body(text))


class BedrockInvocation:
    """Amazon Bedrock model-invocation logs (CloudWatch Logs or S3 delivery) → access_events."""

    name: ClassVar[str] = "bedrock_invocation"
    title: ClassVar[str] = "Amazon Bedrock model-invocation log"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        records = sample.first_records
        if records:
            hits = 0
            for record in records[:20]:
                inner = record.get("log") if isinstance(record.get("log"), dict) else record
                if isinstance(inner, dict) and _unwrap(inner):
                    hits += 1
            if hits and hits * 2 >= len(records[:20]):
                return CERTAIN
        text = sample.stripped
        if text.startswith(("{", "[")) and _SCHEMA_RE.search(text[:200_000]):
            return CERTAIN if '"modelId' in text or '\\"modelId' in text else LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        writer = EventWriter(ctx)
        for rec in json_records(ctx):
            if rec.value is None:
                ctx.reject(rec.position, rec.kind, rec.error or "not a JSON object", _safe_raw(rec.raw))
                continue
            found = _unwrap(rec.value)
            if found is None:
                ctx.reject(
                    rec.position,
                    rec.kind,
                    "not a Bedrock model-invocation record (no schemaType ModelInvocationLog or "
                    "modelId/operation/identity/requestId)",
                    _safe_raw(rec.raw),
                )
                continue
            for record in found:
                self._add(writer, rec, record)
        writer.finish()

    def _add(self, writer: EventWriter, rec: RawRecord, record: dict[str, Any]) -> None:
        clean, sizes = redact_record(record)
        clean["_mlspm"] = summarize(record)
        raw = json.dumps(clean, ensure_ascii=False)
        ts = parse_time(record.get("timestamp"))
        if ts is None:
            reason = (
                "missing timestamp" if record.get("timestamp") in (None, "") else "timestamp is not a time"
            )
            writer.reject(RawRecord(rec.position, rec.kind, raw, None), reason)
            return
        operation = record.get("operation")
        model_id = record.get("modelId")
        if not isinstance(operation, str) or not operation:
            writer.reject(RawRecord(rec.position, rec.kind, raw, None), "missing operation")
            return
        principal = first(record, "identity.arn")
        region = record.get("region") if isinstance(record.get("region"), str) else None
        account = record.get("accountId") if isinstance(record.get("accountId"), str) else None
        resource = (
            model_resource(model_id, region, account, principal)
            if isinstance(model_id, str) and model_id
            else None
        )
        if not principal and not resource:
            writer.reject(RawRecord(rec.position, rec.kind, raw, None), "no identity.arn and no modelId")
            return
        kind, role = principal_kind(principal) if isinstance(principal, str) else (None, None)
        error = record.get("errorCode") if isinstance(record.get("errorCode"), str) else None
        latency = clean["_mlspm"].get("latency_ms")
        writer.add(
            rec.position,
            {
                "event_id": record.get("requestId") or None,
                "ts": ts,
                "principal": principal if isinstance(principal, str) else None,
                "principal_type": kind,
                "principal_role": role,
                "account_id": account,
                "region": region,
                "service": "bedrock",
                "action": operation,
                # Every Invoke*/Converse* operation runs the model, whatever the rules make of its name.
                "action_class": ActionClass.INVOKE.value
                if _INVOKE_OPERATIONS.match(operation)
                else action_class(operation).value,
                "resource": resource,
                "outcome": "failure" if error else "success",
                "status_code": error,
                "error_message": record.get("errorMessage")
                if isinstance(record.get("errorMessage"), str)
                else None,
                "bytes_in": sizes.get("input"),
                "bytes_out": sizes.get("output"),
                "duration_ms": latency,
            },
            raw,
        )
