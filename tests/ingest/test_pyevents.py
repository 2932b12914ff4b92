"""The shared Python event path: record reading in every JSON shape, time parsing, staging with rejects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from mlspm.config import Config
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import NO
from mlspm.ingest.pyevents import EventWriter, json_records, parse_time
from mlspm.ingest.source import take_sample
from mlspm.store import Store


class _Toy:
    """A throwaway format: {"t": time, "who": principal, "op": action} records."""

    name: ClassVar[str] = "toy"
    title: ClassVar[str] = "toy"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, _sample: object) -> int:
        return NO

    def load(self, ctx: LoadContext) -> None:
        writer = EventWriter(ctx)
        for rec in json_records(ctx):
            if rec.value is None:
                writer.reject(rec, rec.error or "invalid")
                continue
            ts = parse_time(rec.value.get("t"))
            if ts is None:
                writer.reject(rec, "no time")
                continue
            writer.add(
                rec.position,
                {"ts": ts, "principal": rec.value.get("who"), "action": rec.value.get("op")},
                rec.raw,
            )
        writer.finish()


def _load(
    tmp_path: Path, name: str, text: str
) -> tuple[int, list[tuple[object, ...]], list[tuple[object, ...]]]:
    path = tmp_path / name
    path.write_text(text)
    config = Config(db_path=tmp_path / "db.duckdb")
    with Store(config.db_path) as store, store.transaction() as cur:
        run_id = 1
        ctx = LoadContext(cur, path, run_id, take_sample(path, path.stat().st_size), config, "toy")
        _Toy().load(ctx)
        ctx.flush_rejects()
        events = cur.execute(
            "SELECT source_pos, principal, action, action_class, event_id FROM access_events ORDER BY 1"
        ).fetchall()
        rejects = cur.execute("SELECT position, position_kind, reason FROM rejects ORDER BY 1").fetchall()
    return ctx.counts.loaded, events, rejects


def test_json_lines_with_a_bad_line_and_a_wrapped_record(tmp_path):
    lines = [
        json.dumps({"t": "2025-01-02T03:04:05.123456789Z", "who": "alice", "op": "GetObject"}),
        "{not json",
        json.dumps({"log": {"t": 1735787045000, "who": "bob", "op": "PutObject"}}),
        json.dumps({"who": "carol", "op": "GetObject"}),
        json.dumps([1, 2]),
    ]
    _, events, rejects = _load(tmp_path, "a.jsonl", "\n".join(lines) + "\n")
    assert [(p, w, a, c) for p, w, a, c, _ in events] == [
        (1, "alice", "GetObject", "read"),
        (3, "bob", "PutObject", "write"),
    ]
    assert all(str(e[4]).startswith("h:") for e in events)
    assert [(p, k) for p, k, _ in rejects] == [(2, "line"), (4, "line"), (5, "line")]
    assert "invalid JSON" in rejects[0][2] and rejects[1][2] == "no time" and "not an object" in rejects[2][2]


@pytest.mark.parametrize(
    "doc",
    [
        [
            {"t": "2025-01-01 00:00:00", "who": "a", "op": "x"},
            {"t": "2025-01-01T00:00:01+02:00", "who": "b", "op": "y"},
        ],
        {
            "records": [
                {"t": "2025-01-01 00:00:00", "who": "a", "op": "x"},
                {"t": "2025-01-01T00:00:01+02:00", "who": "b", "op": "y"},
            ]
        },
    ],
)
def test_documents(tmp_path, doc):
    _, events, rejects = _load(tmp_path, "d.json", json.dumps(doc, indent=1))
    assert [e[1] for e in events] == ["a", "b"] and rejects == []


def test_parse_time():
    assert parse_time("2025-01-02T03:04:05Z") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2025-01-02 03:04:05.1234567890") == datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert parse_time(1735787045) == parse_time(1735787045000) == parse_time("1735787045000000")
    assert parse_time("yesterday") is None and parse_time(None) is None and parse_time(True) is None
