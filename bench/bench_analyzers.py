"""Every analyzer over 10M access events: time through the engine beside the same SQL run bare.

The database is generated in SQL (cached under bench/out/data): a month of activity by 500
principals over 60 endpoints, 400 model objects and 40 datasets, with an inventory that links them,
scan results, permissions and lineage, plus a few planted anomalies so analyzers have work to do.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.data import OUT

EVENTS = 10_000_000

_GENERATE = """
INSERT INTO access_events (id, event_id, ts, principal, principal_type, principal_role, account_id, region,
    source_ip, user_agent, service, action, action_class, resource, asset_id, outcome, status_code,
    bytes_out, bytes_in, object_size, auth_type, source_format, run_id, source_pos, raw)
SELECT i, 'e' || i, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds((i * 259200)::BIGINT),
       CASE WHEN k % 10 < 7 THEN 'arn:aws:iam::123456789012:user/u' || (p % 120)
            ELSE 'arn:aws:sts::123456789012:assumed-role/svc' || (p % 40) || '/s' END,
       CASE WHEN k % 10 < 7 THEN 'IAMUser' ELSE 'AssumedRole' END, NULL, '123456789012', 'us-east-1',
       '10.' || (p % 200) || '.' || (k % 7) || '.' || (p % 50), 'boto3/1.34', svc, act, cls, res, NULL,
       CASE WHEN k % 53 = 0 THEN 'failure' ELSE 'success' END,
       CASE WHEN k % 53 = 0 THEN 'AccessDenied' ELSE '200' END,
       CASE WHEN cls = 'read' THEN 1000000 + k % 900000000 ELSE 800 + k % 4000 END, 300 + k % 2000, NULL,
       CASE WHEN k % 997 = 0 THEN 'QueryString' ELSE 'AuthHeader' END, 'bench', 1, i, NULL
FROM (
    SELECT i, k, p,
           CASE WHEN k % 100 < 70 THEN 'sagemaker-runtime' ELSE 's3' END AS svc,
           CASE WHEN k % 100 < 70 THEN 'InvokeEndpoint' WHEN k % 100 < 90 THEN 'GetObject'
                WHEN k % 100 < 95 THEN 'PutObject' WHEN k % 100 < 98 THEN 'ListObjects'
                WHEN k % 100 < 99 THEN 'DescribeModel' ELSE 'PutBucketPolicy' END AS act,
           CASE WHEN k % 100 < 70 THEN 'invoke' WHEN k % 100 < 90 THEN 'read' WHEN k % 100 < 95 THEN 'write'
                WHEN k % 100 < 98 THEN 'list' WHEN k % 100 < 99 THEN 'read' ELSE 'permission_change' END AS cls,
           CASE WHEN k % 100 < 70 THEN 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep' || (k % 60)
                WHEN k % 100 < 90 THEN 's3://bench-models/m' || (k % 400) || '/model.pkl'
                WHEN k % 100 < 95
                    THEN 's3://bench-datasets/d' || (k % 40) || '/part-' || (k % 1000) || '.parquet'
                WHEN k % 100 < 98 THEN 's3://bench-models'
                WHEN k % 100 < 99 THEN 'arn:aws:sagemaker:us-east-1:123456789012:model/m' || (k % 400)
                ELSE 's3://bench-datasets' END AS res
    FROM (SELECT i, hash(i) % 1000003 AS k, hash(i * 31 + 7) % 100003 AS p FROM range($n) t(i))
)
"""

_INVENTORY = """
INSERT INTO assets (asset_id, kind, name, version, uri, owner, environment, classification, format, sha256,
                    public, encrypted, source, updated_at)
SELECT 'model:m' || i || '@1', 'model', 'm' || i, '1', 's3://bench-models/m' || i || '/', 'team' || (i % 9),
       CASE WHEN i % 3 = 0 THEN 'prod' ELSE 'dev' END, 'internal', 'pickle', sha256(i::VARCHAR), false,
       i % 50 <> 0, 'bench', now() FROM range(400) t(i)
UNION ALL
SELECT 'dataset:d' || i, 'dataset', 'd' || i, NULL, 's3://bench-datasets/d' || i || '/', 'data',
       'prod', 'confidential', 'parquet', NULL, false, true, 'bench', now() FROM range(40) t(i)
UNION ALL
SELECT 'endpoint:ep' || i, 'endpoint', 'ep' || i, NULL, 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep' || i,
       'serving', 'prod', 'internal', NULL, NULL, false, true, 'bench', now() FROM range(60) t(i);
INSERT INTO asset_locators SELECT asset_id, lower(uri), CASE WHEN uri LIKE '%/' THEN 'prefix' ELSE 'exact' END, 1
FROM assets;
INSERT INTO lineage SELECT 'model:m' || i || '@1', 'trained_on', 'dataset:d' || (i % 40), 'bench', 1
    FROM range(400) t(i);
INSERT INTO lineage SELECT 'model:m' || i || '@1', 'deployed_as', 'endpoint:ep' || (i % 60), 'bench', 1
    FROM range(60) t(i);
INSERT INTO permissions SELECT 'arn:aws:iam::123456789012:user/u' || (i % 150), 'dataset:d' || (i % 40), 'write',
    NULL, 'bench', 1 FROM range(300) t(i);
INSERT INTO scan_results (id, run_id, scanner, scanner_version, scanned_at, target, member, sha256, asset_id, kind,
                          rule_id, severity_raw, severity, message, module_operator, source_pos, raw)
SELECT i, 1, 'modelscan', '0.8.8', TIMESTAMPTZ '2026-01-15 00:00:00+00', '/srv/bench-models/m' || i || '/model.pkl',
       NULL, sha256(i::VARCHAR), 'model:m' || i || '@1', CASE WHEN i % 97 = 0 THEN 'issue' ELSE 'scanned' END,
       'modelscan:PickleUnsafeOpScan:posix.system', 'CRITICAL', CASE WHEN i % 97 = 0 THEN 'critical' END,
       'Use of unsafe operator', 'posix.system', i, NULL FROM range(400) t(i);
"""


def database(events: int = EVENTS) -> Path:
    """The benchmark database with ``events`` access events (built once, then reused)."""
    from mlspm.ingest.linking import relink_all
    from mlspm.store import Store

    path = OUT / f"analyzers_{events}.duckdb"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    with Store(tmp) as store, store.cursor() as cur:
        cur.execute(_GENERATE.replace("$n", str(events)))
        cur.execute(_INVENTORY)
        relink_all(cur)
        cur.execute("CHECKPOINT")
    tmp.rename(path)
    return path


def run(events: int = EVENTS, repeats: int = 3) -> dict[str, object]:
    from analyzers.engine import MACROS, analyze
    from analyzers.registry import analyzers
    from analyzers.sql import SqlAnalyzer
    from mlspm.store import Store

    db = database(events)
    per: dict[str, dict[str, float | None]] = {}
    with Store(db) as store:
        for analyzer in analyzers():
            ident = analyzer.meta.id
            engine_s, bare_s, call_s = [], [], []
            for _ in range(repeats):
                clock = time.perf_counter()
                report = analyze(store, only=[ident])
                call_s.append(time.perf_counter() - clock)
                assert not report.errors, report.errors
                engine_s.append(report.results[0].seconds)
                if isinstance(analyzer, SqlAnalyzer):
                    params = analyzer.meta.defaults()
                    with store.cursor() as cur:
                        cur.execute(MACROS)
                        until = cur.execute("SELECT max(ts) FROM access_events").fetchall()[0][0]
                        bound = {n: (until if n == "data_until" else params[n]) for n in analyzer.used}
                        clock = time.perf_counter()
                        cur.execute(analyzer.sql, bound).fetchall()
                        bare_s.append(time.perf_counter() - clock)
            e = statistics.median(engine_s)
            c = statistics.median(call_s)
            b = statistics.median(bare_s) if bare_s else None
            per[ident] = {
                "engine_s": round(e, 3),
                "bare_sql_s": round(b, 3) if b else None,
                "ratio": round(e / b, 2) if b else None,
                "analyze_call_s": round(c, 3),
            }
            print(
                f"  {ident:38s} in engine {e:6.2f}s"
                + (f"   bare SQL {b:6.2f}s   {e / b:5.2f}x" if b else "   (Python analyzer)")
                + f"   whole `analyze --only` {c:5.2f}s"
            )
        totals = []
        for _ in range(repeats):
            clock = time.perf_counter()
            analyze(store)
            totals.append(time.perf_counter() - clock)
    total = statistics.median(totals)
    print(f"  whole pack in one `mlspm analyze`: {total:.2f}s (goal ≤ 10 s) over {events:,} events")
    return {"events": events, "analyzers": per, "whole_pack_s": round(total, 2)}


if __name__ == "__main__":
    run()
