"""Loads run under lean DuckDB memory caps (a file, a group of small files), a file short of memory
loads again under the whole cap, and the rows are checkpointed under the small cap at the end (so
the checkpoint at close does not read them back in bulk)."""

from __future__ import annotations

import json
from pathlib import Path

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


def _spy_caps(monkeypatch: pytest.MonkeyPatch, fmt: type, method: str) -> list[object]:
    """The memory cap in force each time ``fmt.method`` (load or load_group) runs."""
    caps: list[object] = []
    original = getattr(fmt, method)

    def spy(self: object, arg: object) -> None:
        ctx = arg[0] if isinstance(arg, list) else arg
        caps.append(ctx.cur.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])  # type: ignore[attr-defined]
        original(self, arg)

    monkeypatch.setattr(fmt, method, spy)
    return caps


def _cloudtrail_files(folder: Path, count: int) -> None:
    for n in range(count):
        record = {
            "eventVersion": "1.08",
            "eventTime": f"2026-01-01T00:00:0{n}Z",
            "eventName": "GetObject",
            "eventSource": "s3.amazonaws.com",
            "eventID": f"e-{n}",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u"},
        }
        (folder / f"ct-{n}.json").write_text(json.dumps({"Records": [record]}))


def _jsonl(path: Path, n: int) -> Path:
    rows = (
        {"event_id": f"e{i}", "ts": "2026-01-01T00:00:00Z", "principal": "p", "action": "GetObject",
         "resource": f"s3://b/k{i}"}
        for i in range(n)
    )  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_groups_load_under_the_group_cap_and_are_checkpointed(tmp_path, store, ingest, query, monkeypatch):
    monkeypatch.delenv("MLSPM_MEMORY_LIMIT", raising=False)
    caps = _spy_caps(monkeypatch, CloudTrail, "load_group")
    _cloudtrail_files(tmp_path, 6)

    report = ingest(tmp_path)

    assert report.total("loaded") == 6 and query("SELECT count(*) FROM access_events") == [(6,)]
    assert caps and all(_close(cap, GROUP_MEMORY_LIMIT) for cap in caps)
    assert _close(query("SELECT current_setting('memory_limit')")[0][0], INGEST_MEMORY_LIMIT)
    wal = store.path.with_name(store.path.name + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed by the ingest itself


@pytest.mark.parametrize(("users_cap", "group_cap"), [("100MB", "100MB"), ("4GB", GROUP_MEMORY_LIMIT)])
def test_a_lower_user_cap_holds_for_groups_and_the_users_cap_returns(
    tmp_path, ingest, query, monkeypatch, users_cap, group_cap
):
    monkeypatch.setenv("MLSPM_MEMORY_LIMIT", users_cap)
    caps = _spy_caps(monkeypatch, CloudTrail, "load_group")
    _cloudtrail_files(tmp_path, 3)
    assert ingest(tmp_path).total("loaded") == 3
    assert caps and all(_close(cap, group_cap) for cap in caps)
    assert _close(query("SELECT current_setting('memory_limit')")[0][0], users_cap)


def test_a_file_loads_under_the_file_cap(tmp_path, ingest, query, monkeypatch):
    monkeypatch.delenv("MLSPM_MEMORY_LIMIT", raising=False)
    caps = _spy_caps(monkeypatch, GenericEvents, "load")
    assert ingest(_jsonl(tmp_path / "events.jsonl", 50)).total("loaded") == 50
    assert len(caps) == 1 and _close(caps[0], FILE_MEMORY_LIMIT)
    assert _close(query("SELECT current_setting('memory_limit')")[0][0], INGEST_MEMORY_LIMIT)


def test_a_file_short_of_memory_under_the_file_cap_loads_again_under_the_whole_cap(
    tmp_path, ingest, query, monkeypatch
):
    monkeypatch.delenv("MLSPM_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(runner, "FILE_MEMORY_LIMIT", "2MB")  # DuckDB's JSON reader wants 32 MB
    caps = _spy_caps(monkeypatch, GenericEvents, "load")
    (f,) = ingest(_jsonl(tmp_path / "events.jsonl", 500)).files
    assert (f.status, f.counts.loaded, f.counts.rejected) == ("loaded", 500, 0)
    # Straight to the whole cap, not down the slower exact pass first.
    assert len(caps) == 2 and _close(caps[0], "2MB") and _close(caps[1], INGEST_MEMORY_LIMIT)
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


def test_a_file_short_of_memory_even_under_the_whole_cap_fails_alone_saying_what_to_raise(
    tmp_path, ingest, query, monkeypatch
):
    monkeypatch.setenv("MLSPM_MEMORY_LIMIT", "10MB")
    (tmp_path / "a").mkdir()
    too_big = _jsonl(tmp_path / "a" / "events.jsonl", 500)
    _cloudtrail_files(tmp_path, 2)  # Records files: split without DuckDB's JSON reader
    report = ingest(tmp_path)
    status = {f.path.name: f.status for f in report.files}
    assert status == {"events.jsonl": "failed", "ct-0.json": "loaded", "ct-1.json": "loaded"}
    (failed,) = report.failed
    assert "ran out of memory" in (failed.message or "") and "MLSPM_MEMORY_LIMIT" in (failed.message or "")
    assert query("SELECT path, position_kind FROM rejects") == [(str(too_big), "file")]
