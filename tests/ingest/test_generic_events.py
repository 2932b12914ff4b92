"""Generic access events (JSON lines and CSV): good rows load, bad rows are rejected with positions."""

from __future__ import annotations

import json
from pathlib import Path


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _event(i: int, **over: object) -> str:
    record = {
        "event_id": f"e{i}",
        "ts": f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
        "principal": "alice",
        "action": "GetObject",
        "resource": f"s3://b/k{i}",
        "bytes_out": 10,
    }
    record.update(over)
    return json.dumps(record)


def test_clean_jsonl_loads_every_record(tmp_path, ingest, query):
    path = _write(tmp_path / "ev.jsonl", [_event(i) for i in range(100)])
    report = ingest(path)
    assert [f.status for f in report.files] == ["loaded"]
    assert report.files[0].format == "generic_events"
    # the fast path (DuckDB reads the file itself) does not number records; ids are still unique
    assert query("SELECT count(*), count(DISTINCT id), count(DISTINCT event_id) FROM access_events") == [
        (100, 100, 100)
    ]
    assert query("SELECT DISTINCT action_class, outcome FROM access_events") == [("read", "unknown")]


def test_bad_records_are_rejected_with_line_numbers_and_the_rest_loads(tmp_path, ingest, query):
    lines = [
        _event(0),
        "",
        "not json",
        _event(1, ts="redacted"),
        _event(2, action_class="stealing"),
        "[1, 2]",
        _event(3, bytes_out="many"),
        _event(4),
    ]
    report = ingest(_write(tmp_path / "ev.jsonl", lines))
    assert report.files[0].counts.loaded == 2
    rejects = query("SELECT position, position_kind, reason, raw FROM rejects ORDER BY position")
    assert [(r[0], r[1]) for r in rejects] == [
        (3, "line"),
        (4, "line"),
        (5, "line"),
        (6, "line"),
        (7, "line"),
    ]
    assert "invalid JSON" in rejects[0][2]
    assert rejects[0][3] == "not json"
    assert '"redacted"' in rejects[1][2]
    assert "action_class" in rejects[2][2]
    assert "not an object" in rejects[3][2]
    assert "bytes_out" in rejects[4][2]
    assert query("SELECT source_pos FROM access_events ORDER BY 1") == [(1,), (8,)]


def test_reingest_adds_nothing_and_overlapping_files_skip_known_events(tmp_path, ingest, query):
    first = _write(tmp_path / "a.jsonl", [_event(i) for i in range(10)])
    ingest(first)
    again = ingest(first)
    assert again.files[0].status == "already_loaded"
    overlap = _write(tmp_path / "b.jsonl", [_event(i) for i in range(5, 15)])
    report = ingest(overlap)
    assert (report.files[0].counts.loaded, report.files[0].counts.duplicate) == (5, 5)
    assert query("SELECT count(*), count(DISTINCT event_id) FROM access_events") == [(15, 15)]


def test_big_files_hashed_during_their_load_still_skip_known_content(tmp_path, ingest, query, monkeypatch):
    from mlspm.ingest import runner

    monkeypatch.setattr(runner, "HASH_AHEAD_BYTES", 0)  # every file counts as big
    first = _write(tmp_path / "a.jsonl", [_event(i) for i in range(10)])
    copy = tmp_path / "copy-of-a.jsonl"
    copy.write_bytes(first.read_bytes())
    report = ingest(first, copy)  # the copy is found out only after its load, which is undone
    assert [f.status for f in report.files] == ["loaded", "already_loaded"]
    assert "a.jsonl" in (report.files[1].message or "")
    assert report.files[0].sha256 == report.files[1].sha256 is not None
    assert query("SELECT count(*) FROM access_events") == [(10,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    # the same path and size again: hashed first, skipped without loading
    again = ingest(first)
    assert [f.status for f in again.files] == ["already_loaded"]
    later = ingest(copy)  # another name, known content: loaded, then undone
    assert [f.status for f in later.files] == ["already_loaded"]
    assert query("SELECT count(*) FROM access_events") == [(10,)]
    assert query("SELECT status, count(*) FROM ingest_runs GROUP BY 1 ORDER BY 1") == [
        ("already_loaded", 3),
        ("loaded", 1),
    ]


def test_events_without_ids_get_content_ids_and_identical_repeats_are_kept(tmp_path, ingest, query):
    line = json.dumps({"ts": "2026-01-01T00:00:00Z", "principal": "p", "action": "InvokeModel"})
    path = _write(tmp_path / "noid.jsonl", [line, line, line])
    ingest(path)
    assert query("SELECT count(*), count(DISTINCT event_id) FROM access_events") == [(3, 3)]
    # the same three lines in another file are recognised as the same events
    report = ingest(_write(tmp_path / "noid2.jsonl", [line, line, line, line]))
    assert (report.files[0].counts.loaded, report.files[0].counts.duplicate) == (1, 3)


def test_epoch_timestamps_and_extra_are_kept(tmp_path, ingest, query):
    lines = [
        json.dumps({"ts": 1767225600, "principal": "p", "action": "x", "extra": {"k": [1, 2]}}),
        json.dumps({"ts": "1767225600123", "principal": "p", "action": "y"}),
    ]
    ingest(_write(tmp_path / "ep.jsonl", lines))
    rows = query("SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%g'), raw FROM access_events ORDER BY action")
    assert rows == [("2026-01-01T00:00:00.000", '{"k":[1,2]}'), ("2026-01-01T00:00:00.123", None)]


def test_csv_with_header(tmp_path, ingest, query):
    path = tmp_path / "events.csv"
    path.write_text(
        "ts,principal,action,resource,status_code,colour\n"
        "2026-01-01T00:00:00Z,alice,GetObject,s3://b/k,200,red\n"
        '2026-01-01T00:00:01Z,bob,"PutObject","s3://b/""q""",403,blue\n'
        "nonsense,carol,GetObject,s3://b/k,200,green\n"
        "2026-01-01T00:00:02Z,dave\n"
    )
    report = ingest(path)
    assert report.files[0].counts.loaded == 2
    assert any("colour" in w for w in report.files[0].warnings)
    assert query("SELECT principal, outcome, resource FROM access_events ORDER BY principal") == [
        ("alice", "success", "s3://b/k"),
        ("bob", "failure", 's3://b/"q"'),
    ]
    assert query("SELECT position FROM rejects ORDER BY 1") == [(4,), (5,)]
