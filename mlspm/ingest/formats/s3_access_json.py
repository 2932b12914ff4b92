"""Amazon S3 server access logs already parsed into JSON (Athena tables, SIEM exports, Panther).

The same records as the text format with the fields as keys (``bucket``, ``requester``, ``operation``,
``key``, ``httpstatus``...; lower-cased names as Athena's documented table uses them). They are
normalized exactly as the text lines are: principal from the requester (``-`` or absent is
anonymous), resource ``s3://bucket/key``, presigned access from the authentication type, and
signatures and tokens in the request URI redacted in what is stored.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import LIKELY, NO
from mlspm.ingest.formats.s3_access import _classify, redact
from mlspm.ingest.pyevents import EventWriter, as_int, json_records, parse_time
from mlspm.ingest.source import Sample

# Keys that together only an S3 access-log record has (case-folded).
_SIGNATURE = {"bucketowner", "bucket", "operation", "requestid"}


def _fold(record: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower().replace("_", ""): v for k, v in record.items()}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "-") else text


class S3AccessJson:
    """S3 server access log records as JSON objects (one per line, or a JSON array)."""

    name: ClassVar[str] = "s3_access_json"
    title: ClassVar[str] = "Amazon S3 server access log (parsed JSON)"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        records = sample.first_records
        if not records:
            return NO
        hits = 0
        for record in records[:20]:
            wrapped = record.get("log")
            inner: dict[str, Any] = wrapped if isinstance(wrapped, dict) else record
            if set(_fold(inner)) >= _SIGNATURE:
                hits += 1
        return LIKELY if hits and hits * 2 >= min(len(records), 20) else NO

    def load(self, ctx: LoadContext) -> None:
        writer = EventWriter(ctx)
        for record in json_records(ctx):
            if record.value is None:
                writer.reject(record, record.error or "not a JSON object")
                continue
            fields = _fold(record.value)
            if not _SIGNATURE & set(fields):
                writer.reject(record, "not an S3 access-log record (no bucket, operation or request id)")
                continue
            ts = parse_time(fields.get("time") or fields.get("requestdatetime"))
            if ts is None:
                writer.reject(record, f"missing or unreadable time {fields.get('time')!r}")
                continue
            operation = _text(fields.get("operation"))
            bucket = _text(fields.get("bucket"))
            if not operation or not bucket:
                writer.reject(record, "missing operation or bucket")
                continue
            principal, kind, role, account = _classify(_text(fields.get("requester")) or "-")
            key = _text(fields.get("key"))
            status = _text(fields.get("httpstatus"))
            writer.add(
                record.position,
                {
                    "event_id": _text(fields.get("requestid")),
                    "ts": ts,
                    "principal": principal,
                    "principal_type": kind,
                    "principal_role": role,
                    "account_id": account,
                    "source_ip": _text(fields.get("remoteip")),
                    "user_agent": _text(fields.get("useragent")),
                    "service": "s3",
                    "action": operation,
                    "resource": f"s3://{bucket}/{key}" if key else f"s3://{bucket}",
                    "status_code": status,
                    "error_message": _text(fields.get("errorcode")),
                    "bytes_out": as_int(fields.get("bytessent")),
                    "object_size": as_int(fields.get("objectsize")),
                    "duration_ms": as_int(fields.get("totaltime")),
                    "auth_type": _text(fields.get("authenticationtype")),
                    "outcome": None if status else "unknown",
                },
                redact(json.dumps(record.value)),
            )
        writer.finish()
