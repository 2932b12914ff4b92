"""Bad input never stops a load: each unreadable file is one clear reject, the good data beside it loads."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def _good(path: Path, n: int = 3) -> Path:
    lines = [
        json.dumps(
            {"event_id": f"g{i}", "ts": "2026-01-01T00:00:00Z", "principal": "p", "action": "GetObject"}
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_directory_of_bad_files_beside_good_ones(tmp_path, ingest, query):
    d = tmp_path / "inbox"
    d.mkdir()
    _good(d / "good.jsonl")
    whole = gzip.compress(json.dumps({"Records": [{"eventVersion": "1.08", "eventName": "x"}] * 50}).encode())
    (d / "truncated.json.gz").write_bytes(whole[: len(whole) // 2])
    (d / "binary.bin").write_bytes(bytes(range(256)) * 40)
    (d / "empty.log").write_bytes(b"")
    (d / "blank.log").write_text("  \n\n")
    (d / "brace.json").write_text(
        '{"Records": [{"eventVersion": "1.08", "eventTime": "2026-01-01T00:00:00Z", '
        '"eventName": "GetObject", "eventSource": "s3.amazonaws.com"}]'
    )
    (d / "latin1.log").write_bytes("caf\xe9 ol\xe9\n".encode("latin-1"))
    (d / "utf16.json").write_bytes('{"a": 1}'.encode("utf-16"))
    (d / "prose.txt").write_text("Dear diary, today I trained a model.\n")
    report = ingest(d)
    by_name = {f.path.name: f for f in report.files}
    assert by_name["good.jsonl"].status == "loaded" and by_name["good.jsonl"].counts.loaded == 3
    expected = {
        "truncated.json.gz": ("unreadable", "truncated"),
        "binary.bin": ("unreadable", "binary"),
        "empty.log": ("unreadable", "empty"),
        "blank.log": ("unreadable", "whitespace"),
        "brace.json": ("failed", "invalid JSON"),
        "latin1.log": ("unreadable", "not UTF-8"),
        "utf16.json": ("unreadable", "UTF-16"),
        "prose.txt": ("unrecognized", "not a supported format"),
    }
    for name, (status, words) in expected.items():
        assert by_name[name].status == status, (name, by_name[name].message)
        assert words in (by_name[name].message or ""), (name, by_name[name].message)
    # every one of them is recorded: one whole-file reject each, and its ingest_runs row
    assert query("SELECT count(*) FROM rejects WHERE position_kind = 'file'") == [(len(expected),)]
    assert query("SELECT count(*) FROM ingest_runs") == [(len(expected) + 1,)]
    assert query("SELECT count(*) FROM access_events") == [(3,)]


def test_an_s3_line_with_an_impossible_date_is_one_reject(tmp_path, ingest, query):
    good = (
        "79a5 bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a5 3E57427F3EXAMPLE REST.GET.OBJECT key "
        '"GET /bucket/key HTTP/1.1" 200 - 113 113 7 - "-" "S3Console/0.4" -'
    )
    bad = good.replace("06/Feb/2019", "31/Feb/2019").replace("3E57427F3EXAMPLE", "3E57427F3EXAMPLF")
    path = tmp_path / "access.log"
    path.write_text(f"{good}\n{bad}\n")
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded, f.counts.rejected) == ("s3_access", 1, 1)
    assert query("SELECT position, position_kind FROM rejects") == [(2, "line")]


def test_one_50_mb_line_is_rejected_and_the_lines_around_it_load(tmp_path, ingest, query):
    path = _good(tmp_path / "big.jsonl", 2)
    huge = json.dumps(
        {"ts": "2026-01-01T00:00:00Z", "principal": "p", "action": "x", "extra": {"pad": "a" * (50 << 20)}}
    )
    with open(path, "a") as fh:
        fh.write(huge + "\n")
        fh.write(
            json.dumps({"event_id": "after", "ts": "2026-01-01T00:00:01Z", "principal": "p", "action": "y"})
            + "\n"
        )
    (f,) = ingest(path).files
    assert (f.counts.loaded, f.counts.rejected) == (3, 1)
    (position, reason, size, kept) = query("SELECT position, reason, raw_bytes, strlen(raw) FROM rejects")[0]
    assert position == 3 and "over the" in reason and size > 50 << 20 and kept <= 64 * 1024


def test_reject_reasons_never_hold_more_than_the_configured_raw_text(tmp_path, ingest, query, config):
    path = _good(tmp_path / "long.jsonl", 1)
    with open(path, "a") as fh:
        fh.write("{" + "x" * 200_000 + "\n")
    ingest(path, cfg=config.with_(reject_raw_bytes=100))
    assert query("SELECT position, strlen(raw), raw_bytes FROM rejects") == [(2, 100, 200_001)]
