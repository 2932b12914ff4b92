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

_BASELINE = {
    "generic": f"""
CREATE TABLE ev AS SELECT * FROM read_json('{{path}}', format='newline_delimited', columns={_GENERIC_COLUMNS})
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

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
kind, which, path, db = sys.argv[1:5]
if which == "duckdb":
    import duckdb
    sql = json.loads(sys.argv[5])
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


def _measure(kind: str, which: str, path: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        cmd = [sys.executable, "-c", _CHILD, kind, which, str(path), db, json.dumps(_BASELINE[kind])]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    repeats: int = 3, generic_events: int = 1_000_000, cloudtrail_records: int = 100_000
) -> dict[str, object]:
    inputs = {
        "generic": data.generic_jsonl(generic_events),
        "cloudtrail": data.cloudtrail_dir(cloudtrail_records),
    }
    results: dict[str, object] = {}
    for kind, path in inputs.items():
        base, mine = [], []
        for _ in range(repeats):
            base.append(_measure(kind, "duckdb", path))
            mine.append(_measure(kind, "mlspm", path))
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
    return results


def report(results: dict[str, object]) -> str:
    goals = {"generic": 1.25, "cloudtrail": 1.5}
    lines = [
        "ingest (median of runs; baseline = DuckDB read_json with explicit columns, same files, same run)"
    ]
    for kind, r in results.items():
        assert isinstance(r, dict)
        lines.append(
            f"  {kind:10s} {r['rows']:>9,} rows  mlspm {r['mlspm_seconds']:.2f}s "
            f"({r['mlspm_events_per_s']:,}/s)  duckdb {r['duckdb_seconds']:.2f}s  "
            f"ratio {r['time_ratio']:.2f}x (goal ≤ {goals[kind]}x)  peak {r['mlspm_peak_mb']} MB "
            f"vs {r['duckdb_peak_mb']} MB = {r['memory_ratio']:.2f}x (goal ≤ 1.5x)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    figures = run()
    print(report(figures))
    print(json.dumps(figures, indent=1))
    print(f"({time.perf_counter() - started:.0f}s)")
