"""One hostile byte in one logged field must not make a whole log unloadable (an evasion vector)."""

from __future__ import annotations

import json

from mlspm.ingest import Status


def _lines(n: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "event_id": f"e{i}",
                "ts": "2026-01-01T00:00:00Z",
                "principal": "alice",
                "action": "GetObject",
                "resource": f"s3://b/k{i}",
                "user_agent": "boto3",
            }
        ).encode()
        for i in range(n)
    ]


def test_a_nul_and_a_latin1_byte_in_a_field_cost_at_most_their_records(tmp_path, ingest, query):
    lines = _lines(200)
    lines[50] = lines[50].replace(b"boto3", b"bo\x00to3")  # a NUL smuggled into a user agent
    lines[120] = lines[120].replace(b"boto3", b"caf\xe9")  # a Latin-1 byte: not UTF-8
    path = tmp_path / "gateway.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    (result,) = ingest(path).files
    assert result.status == Status.LOADED, result.message
    c = result.counts
    assert c.loaded + c.rejected == 200 and c.loaded >= 198
    agents = dict(query("SELECT event_id, user_agent FROM access_events WHERE event_id IN ('e120', 'e7')"))
    assert agents.get("e7") == "boto3"
    assert query("SELECT count(*) FROM rejects")[0][0] == c.rejected


def test_a_binary_file_is_still_refused(tmp_path, ingest):
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x80\x04\x95" + bytes(range(256)) * 40)
    (result,) = ingest(path).files
    assert result.status == Status.UNREADABLE and "binary" in (result.message or "")
