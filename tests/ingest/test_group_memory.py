"""Loads run under lean DuckDB memory caps (a file, a group of small files), a file short of memory
loads again under the whole cap, and the rows are checkpointed under the small cap at the end (so
the checkpoint at close does not read them back in bulk)."""

from __future__ import annotations

import json

import pytest

from mlspm.ingest import runner
from mlspm.ingest.formats.cloudtrail import CloudTrail
from mlspm.ingest.formats.generic_events import GenericEvents
from mlspm.ingest.runner import FILE_MEMORY_LIMIT, GROUP_MEMORY_LIMIT
from mlspm.store.database import INGEST_MEMORY_LIMIT, size_bytes


def _close(reported: object, wanted: str) -> bool:
    """DuckDB reports the setting rounded ('122.0 MiB' for 128MB)."""
    have, want = size_bytes(str(reported)), size_bytes(wanted)
    return have is not None and want is not None and abs(have - want) <= want // 100


def test_groups_load_under_the_group_cap_and_are_checkpointed(tmp_path, store, ingest, query, monkeypatch):
    monkeypatch.delenv("MLSPM_MEMORY_LIMIT", raising=False)
    caps: list[object] = []
    original = CloudTrail.load_group

    def spy(self: CloudTrail, ctxs: list) -> None:  # type: ignore[type-arg]
        caps.append(ctxs[0].cur.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        original(self, ctxs)

    monkeypatch.setattr(CloudTrail, "load_group", spy)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(6):
        record = {
            "eventVersion": "1.08",
            "eventTime": f"2026-01-01T00:00:0{n}Z",
            "eventName": "GetObject",
            "eventSource": "s3.amazonaws.com",
            "eventID": f"e-{n}",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u"},
        }
        (inbox / f"ct-{n}.json").write_text(json.dumps({"Records": [record]}))

    report = ingest(inbox)

    assert report.total("loaded") == 6 and query("SELECT count(*) FROM access_events") == [(6,)]
    assert caps and all(_close(cap, GROUP_MEMORY_LIMIT) for cap in caps)
    after = query("SELECT current_setting('memory_limit')")[0][0]
    assert _close(after, INGEST_MEMORY_LIMIT)
    wal = store.path.with_name(store.path.name + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed by the ingest itself


@pytest.mark.parametrize("cap", ["100MB", "4GB"])
def test_a_lower_user_cap_is_kept_for_groups(tmp_path, store, ingest, query, monkeypatch, cap):
    monkeypatch.setenv("MLSPM_MEMORY_LIMIT", cap)
    record = {
        "eventTime": "2026-01-01T00:00:00Z",
        "eventName": "GetObject",
        "eventSource": "s3.amazonaws.com",
        "eventVersion": "1.08",
        "userIdentity": {"type": "Root"},
    }
    for n in range(3):
        (tmp_path / f"ct-{n}.json").write_text(json.dumps({"Records": [{**record, "eventID": f"e{n}"}]}))
    assert ingest(tmp_path).total("loaded") == 3
    assert _close(query("SELECT current_setting('memory_limit')")[0][0], cap)


def _spy_caps(monkeypatch: pytest.MonkeyPatch, fmt: type) -> list[object]:
    caps: list[object] = []
    original = fmt.load

    def spy(self: object, ctx) -> None:  # type: ignore[no-untyped-def]
        caps.append(ctx.cur.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        original(self, ctx)

    monkeypatch.setattr(fmt, "load", spy)
    return caps


def _jsonl(path, n: int):  # type: ignore[no-untyped-def]
    rows = (
        {
            "event_id": f"e{i}",
            "ts": "2026-01-01T00:00:00Z",
            "principal": "p",
            "action": "GetObject",
            "resource": f"s3://b/k{i}",
        }
        for i in range(n)
    )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_a_file_loads_under_the_file_cap(tmp_path, ingest, query, monkeypatch):
    monkeypatch.delenv("MLSPM_MEMORY_LIMIT", raising=False)
    caps = _spy_caps(monkeypatch, GenericEvents)
    assert ingest(_jsonl(tmp_path / "events.jsonl", 50)).total("loaded") == 50
    assert len(caps) == 1 and _close(caps[0], FILE_MEMORY_LIMIT)
    assert _close(query("SELECT current_setting('memory_limit')")[0][0], INGEST_MEMORY_LIMIT)


def test_a_file_short_of_memory_under_the_file_cap_loads_again_under_the_whole_cap(
    tmp_path, ingest, query, monkeypatch
):
    monkeypatch.delenv("MLSPM_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(runner, "FILE_MEMORY_LIMIT", "2MB")  # DuckDB's JSON reader wants 32 MB
    caps = _spy_caps(monkeypatch, GenericEvents)
    (f,) = ingest(_jsonl(tmp_path / "events.jsonl", 500)).files
    assert (f.status, f.counts.loaded, f.counts.rejected) == ("loaded", 500, 0)
    assert [_close(cap, "2MB") for cap in caps] == [True, False] and _close(caps[1], INGEST_MEMORY_LIMIT)
    assert query("SELECT count(*), count(DISTINCT event_id) FROM access_events") == [(500, 500)]
    assert query("SELECT count(*) FROM ingest_runs") == [(1,)] and query("SELECT count(*) FROM rejects") == [
        (0,)
    ]


def test_the_database_its_log_and_its_spill_files_are_never_inputs(tmp_path, store, ingest):
    # The store lives in tmp_path; DuckDB spills to <db>.tmp beside it while a capped load runs.
    spill = store.path.with_name(store.path.name + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 4096)
    _jsonl(tmp_path / "events.jsonl", 5)
    report = ingest(tmp_path)
    assert [f.path.name for f in report.files] == ["events.jsonl"]
