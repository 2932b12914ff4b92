"""What ingest_runs keeps about each file of a grouped load: ids in file order, times that add up."""

from __future__ import annotations

import json
import time


def test_grouped_files_get_ordered_runs_and_times_that_add_up(tmp_path, ingest, query):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(30):
        records = [
            {
                "eventVersion": "1.08",
                "eventTime": f"2026-01-01T00:{n:02d}:{i:02d}Z",
                "eventName": "GetObject",
                "eventSource": "s3.amazonaws.com",
                "eventID": f"e-{n}-{i}",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u"},
                "requestParameters": {"bucketName": "b", "key": f"k{n}"},
            }
            for i in range(5)
        ]
        (inbox / f"ct-{n:02d}.json").write_text(json.dumps({"Records": records}))
    (inbox / "zz-junk.txt").write_text("nothing to see\n")
    clock = time.perf_counter()
    report = ingest(inbox)
    wall = time.perf_counter() - clock

    loaded = [f for f in report.files if f.status == "loaded"]
    assert len(loaded) == 30 and report.total("loaded") == 150
    # Each grouped file carries its share of the group's time: together no more than the wall time.
    assert sum(f.seconds for f in report.files) <= wall + 0.05
    assert all(f.seconds > 0 for f in loaded)

    runs = query(
        "SELECT run_id, path, status, rows_loaded, started_at <= finished_at FROM ingest_runs ORDER BY run_id"
    )
    assert [r[1].rsplit("/", 1)[-1] for r in runs] == sorted(p.name for p in inbox.iterdir())
    assert {r[2] for r in runs[:30]} == {"loaded"} and all(r[3] == 5 for r in runs[:30])
    assert all(r[4] for r in runs)
    assert runs[-1][2] == "unrecognized"
    assert query("SELECT position_kind, path LIKE '%zz-junk.txt' FROM rejects") == [("file", True)]
    # The run ids on the events are the ones recorded for their files.
    assert query(
        "SELECT count(*) FROM access_events e JOIN ingest_runs r USING (run_id) "
        "WHERE r.path LIKE '%ct-' || regexp_extract(e.resource, 'k(\\d+)$', 1).lpad(2, '0') || '.json'"
    ) == [(150,)]
