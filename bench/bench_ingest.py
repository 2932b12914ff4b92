"""Ingest throughput and peak memory of mlspm beside DuckDB's own reader on the same files.

Each measurement runs in a fresh subprocess (so peak RSS is its own); baseline and mlspm alternate
and the medians of several runs are reported.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import data

_GENERIC_COLUMNS = (
    "{'event_id':'VARCHAR','ts':'TIMESTAMPTZ','principal':'VARCHAR','principal_type':'VARCHAR',"
    "'source_ip':'VARCHAR','user_agent':'VARCHAR','service':'VARCHAR','action':'VARCHAR',"
    "'action_class':'VARCHAR','resource':'VARCHAR','outcome':'VARCHAR','status_code':'VARCHAR',"
    "'bytes_in':'BIGINT','bytes_out':'BIGINT','duration_ms':'DOUBLE'}"
)
_CT_STRUCT = (
    "STRUCT(eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR, eventID VARCHAR, awsRegion VARCHAR, "
    "sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR, "
    "recipientAccountId VARCHAR, userIdentity STRUCT(type VARCHAR, arn VARCHAR, principalId VARCHAR, "
    "accountId VARCHAR, sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR))), "
    'requestParameters STRUCT(bucketName VARCHAR, "key" VARCHAR, modelName VARCHAR), '
    "additionalEventData STRUCT(bytesTransferredOut BIGINT))[]"
)

_GENERIC_NAMES = ", ".join(
    name.split("'")[1] for name in _GENERIC_COLUMNS.strip("{}").split(",") if ":" in name
)

_BASELINE = {
    "generic": f"""
CREATE TABLE ev AS SELECT * FROM read_json('{{path}}', format='newline_delimited', columns={_GENERIC_COLUMNS})
""",
    # The same reader, but writing into mlspm's own (wider) access_events table: what mlspm must fill.
    "generic_same_table": f"""
INSERT INTO access_events (id, {_GENERIC_NAMES}, source_format, run_id)
SELECT 0, {_GENERIC_NAMES}, 'generic_events', 1
FROM read_json('{{path}}', format='newline_delimited', columns={_GENERIC_COLUMNS});
CREATE VIEW ev AS SELECT * FROM access_events
""",
    # The same reader keeping each record's raw JSON too, as mlspm must (evidence shows the original).
    "cloudtrail_with_raw": """
CREATE TABLE ev AS
SELECT r->>'eventID' AS event_id, (r->>'eventTime')::TIMESTAMPTZ AS ts, r->>'$.userIdentity.arn' AS principal,
       r->>'eventName' AS action, r->>'eventSource' AS service, r::VARCHAR AS raw
FROM (SELECT unnest(Records) AS r FROM read_json('{path}/*.json.gz', columns={'Records': 'JSON[]'}))
""",
    "cloudtrail": f"""
CREATE TABLE ev AS
SELECT r.eventID AS event_id, r.eventTime::TIMESTAMPTZ AS ts, r.userIdentity.arn AS principal,
       r.userIdentity.type AS principal_type, r.userIdentity.sessionContext.sessionIssuer.arn AS role,
       r.recipientAccountId AS account_id, r.awsRegion AS region, r.sourceIPAddress AS source_ip,
       r.userAgent AS user_agent, r.eventSource AS service, r.eventName AS action,
       r.requestParameters.bucketName AS bucket, r.requestParameters."key" AS key,
       r.requestParameters.modelName AS model, r.errorCode AS error_code, r.errorMessage AS error_message,
       r.additionalEventData.bytesTransferredOut AS bytes_out
FROM (SELECT unnest(Records) AS r FROM read_json('{{path}}/*.json.gz', columns={{'Records': '{_CT_STRUCT}'}}))
""",
}

# One delivered file holding every record (a busy account's file, or a merged export): a 110 MB
# document, past read_json's 16 MB default object size.
_ONE_DOCUMENT = ", maximum_object_size=536870912"
for _name in ("cloudtrail", "cloudtrail_with_raw"):
    _BASELINE[f"{_name}_one_file"] = _BASELINE[_name].replace("/*.json.gz'", "/*.json.gz'" + _ONE_DOCUMENT)

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
kind, which, path, db = sys.argv[1:5]
if which in ("duckdb", "duckdb_schema"):
    import duckdb
    sql = json.loads(sys.argv[5])
    if which == "duckdb_schema":  # mlspm's schema already in place, created outside the timing
        from mlspm.store import Store
        Store(Path(db)).close()
    con = duckdb.connect(db)
    con.execute("SET TimeZone='UTC'")
    t = time.perf_counter()
    con.execute(sql.replace("{path}", path))
    rows = con.execute("SELECT count(*) FROM ev").fetchone()[0]
    con.close()
else:
    from mlspm.config import Config
    from mlspm.ingest import ingest_paths
    from mlspm.store import Store
    cfg = Config(db_path=Path(db))
    with Store(cfg.db_path) as store:
        t = time.perf_counter()
        report = ingest_paths(store, [Path(path)], cfg)
        rows = report.total("loaded")
        assert not report.failed, [f.message for f in report.failed]
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _measure(kind: str, which: str, path: Path, baseline: str | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        sql = _BASELINE[baseline or kind]
        cmd = [sys.executable, "-c", _CHILD, kind, which, str(path), db, json.dumps(sql)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    repeats: int = 3, generic_events: int = 1_000_000, cloudtrail_records: int = 100_000
) -> dict[str, object]:
    # name: (files, baseline SQL, second baseline SQL). Delivered CloudTrail comes as files of a
    # thousand records, as thousands of small ones (a quiet account's 5-minute deliveries: per-file
    # costs show) and as one big document (where holding the whole document shows).
    inputs = {
        "generic": (data.generic_jsonl(generic_events), "generic", "generic_same_table"),
        "cloudtrail": (data.cloudtrail_dir(cloudtrail_records), "cloudtrail", "cloudtrail_with_raw"),
        "cloudtrail_small_files": (
            data.cloudtrail_dir(cloudtrail_records, per_file=25),
            "cloudtrail",
            "cloudtrail_with_raw",
        ),
        "cloudtrail_one_file": (
            data.cloudtrail_dir(cloudtrail_records, per_file=cloudtrail_records),
            "cloudtrail_one_file",
            "cloudtrail_with_raw_one_file",
        ),
    }
    results: dict[str, object] = {}
    for kind, (path, sql, second) in inputs.items():
        base, mine, same = [], [], []
        for _ in range(repeats):
            base.append(_measure(sql, "duckdb", path))
            mine.append(_measure(sql, "mlspm", path))
            which = "duckdb_schema" if kind == "generic" else "duckdb"  # the schema: into access_events
            same.append(_measure(kind, which, path, second))
        b_s = statistics.median(r["seconds"] for r in base)
        m_s = statistics.median(r["seconds"] for r in mine)
        b_mb = statistics.median(r["peak_mb"] for r in base)
        m_mb = statistics.median(r["peak_mb"] for r in mine)
        rows = mine[0]["rows"]
        results[kind] = {
            "rows": rows,
            "duckdb_seconds": round(b_s, 3),
            "mlspm_seconds": round(m_s, 3),
            "mlspm_events_per_s": round(rows / m_s),
            "time_ratio": round(m_s / b_s, 2),
            "duckdb_peak_mb": round(b_mb),
            "mlspm_peak_mb": round(m_mb),
            "memory_ratio": round(m_mb / b_mb, 2),
            "runs_seconds": {
                "duckdb": [round(r["seconds"], 2) for r in base],
                "mlspm": [round(r["seconds"], 2) for r in mine],
            },
        }
        s_s = statistics.median(r["seconds"] for r in same)
        s_mb = statistics.median(r["peak_mb"] for r in same)
        results[kind].update(  # type: ignore[attr-defined]
            {
                "second_baseline": "into access_events" if kind == "generic" else "keeping raw records",
                "second_baseline_seconds": round(s_s, 3),
                "time_ratio_second": round(m_s / s_s, 2),
                "second_baseline_peak_mb": round(s_mb),
                "memory_ratio_second": round(m_mb / s_mb, 2),
            }
        )
    return results


def report(results: dict[str, object]) -> str:
    goals = {"generic": 1.25, "cloudtrail": 1.5, "cloudtrail_small_files": 1.5, "cloudtrail_one_file": 1.5}
    lines = [
        "ingest (median of runs; baseline = DuckDB read_json with explicit columns, same files, same run)"
    ]
    for kind, r in results.items():
        assert isinstance(r, dict)
        lines.append(
            f"  {kind:22s} {r['rows']:>9,} rows  mlspm {r['mlspm_seconds']:.2f}s "
            f"({r['mlspm_events_per_s']:,}/s)  duckdb {r['duckdb_seconds']:.2f}s  "
            f"ratio {r['time_ratio']:.2f}x (goal ≤ {goals[kind]}x)  peak {r['mlspm_peak_mb']} MB "
            f"vs {r['duckdb_peak_mb']} MB = {r['memory_ratio']:.2f}x (goal ≤ 1.5x)"
        )
        lines.append(
            f"  {'':22s} second baseline, DuckDB's reader {r['second_baseline']}: "
            f"{r['second_baseline_seconds']:.2f}s → ratio {r['time_ratio_second']:.2f}x, "
            f"peak {r['second_baseline_peak_mb']} MB → {r['memory_ratio_second']:.2f}x"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    figures = run()
    print(report(figures))
    print(json.dumps(figures, indent=1))
    print(f"({time.perf_counter() - started:.0f}s)")
