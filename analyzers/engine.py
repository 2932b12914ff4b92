"""The analysis engine: runs every analyzer, turns what fires into stable findings, never touches triage.

A finding's fingerprint is a hash of the analyzer id and the keys the finding is about, so running
again updates the same finding (``last_seen``, evidence, summary) instead of adding one; a finding that
no longer fires is marked inactive, never deleted. One analyzer failing is recorded with its error and
duration, and the others still run.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzers.model import Analyzer, AnalyzerContext, DiscoveredAsset, Fired, SharedQueries
from analyzers.registry import analyzers as registered
from analyzers.settings import AnalyzerSettings
from mlspm import __version__
from mlspm.ingest.bulk import temp_table
from mlspm.ingest.linking import relink_new_locators
from mlspm.store import Cursor, Store
from mlspm.triage import reopen_expired

MACROS = (Path(__file__).resolve().parent / "macros.sql").read_text(encoding="utf-8")
EVIDENCE_CAP = 10_000
"""Evidence rows kept per finding and kind; ``evidence_count`` still says how many there were."""


@dataclass
class AnalyzerResult:
    id: str
    status: str  # ok | error | disabled
    seconds: float = 0.0
    fired: int = 0
    error: str | None = None


@dataclass
class AnalysisReport:
    run_id: int
    data_until: datetime | None
    results: list[AnalyzerResult] = field(default_factory=list)
    new: int = 0
    still_active: int = 0
    no_longer_firing: int = 0
    reopened: int = 0
    discovered_assets: int = 0

    @property
    def errors(self) -> list[AnalyzerResult]:
        return [r for r in self.results if r.status == "error"]


def fingerprint(analyzer_id: str, key: str) -> str:
    return hashlib.sha256(f"{analyzer_id}\x1f{key}".encode()).hexdigest()[:20]


def analyze(
    store: Store,
    settings: AnalyzerSettings | None = None,
    *,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
) -> AnalysisReport:
    """Run the analyzers (all, or ``only`` these ids) and store what they find."""
    settings = settings or AnalyzerSettings()
    # Discovering analyzers go first and their assets are registered at once, so every other analyzer
    # sees events already linked to them: the same input on the first run as on every later one.
    chosen = sorted(
        (a for a in registered() if not only or a.meta.id in only), key=lambda a: not a.meta.discovers
    )
    started = now or datetime.now(UTC)
    with store.cursor() as cur:
        data_until = cur.execute("SELECT max(ts) FROM access_events").fetchall()[0][0]
        run_id = int(cur.execute("SELECT nextval('analysis_run_seq')").fetchall()[0][0])
    report = AnalysisReport(run_id=run_id, data_until=data_until)
    fired: list[tuple[Analyzer, Fired]] = []
    params_used: dict[str, dict[str, Any]] = {}
    runnable: list[tuple[Analyzer, dict[str, Any]]] = []
    for analyzer in chosen:
        if not settings.enabled(analyzer.meta):
            report.results.append(AnalyzerResult(analyzer.meta.id, "disabled"))
            continue
        params_used[analyzer.meta.id] = settings.params(analyzer.meta)
        runnable.append((analyzer, params_used[analyzer.meta.id]))

    _Outcome = tuple[AnalyzerResult, list[Fired], list[DiscoveredAsset]]
    shared = SharedQueries()
    cursors = _ThreadCursors(store)

    def run_one(analyzer: Analyzer, params: dict[str, Any]) -> _Outcome:
        clock = time.perf_counter()
        try:
            cur = cursors.get()
            clock = time.perf_counter()  # the analyzer's own time: its thread's cursor is set up once
            ctx = AnalyzerContext(cur=cur, params=params, data_until=data_until, shared=shared)
            results = list(analyzer.run(ctx))
        except Exception as exc:  # one analyzer's failure is recorded; the others still run
            error = f"{type(exc).__name__}: {exc}"
            return AnalyzerResult(analyzer.meta.id, "error", time.perf_counter() - clock, error=error), [], []
        seconds = time.perf_counter() - clock
        return AnalyzerResult(analyzer.meta.id, "ok", seconds, fired=len(results)), results, ctx.discovered

    def record(analyzer: Analyzer, outcome: _Outcome) -> None:
        result, results, discovered = outcome
        report.results.append(result)
        fired.extend((analyzer, f) for f in results)
        if discovered:
            with store.transaction() as cur:
                _register_discovered(cur, discovered, report)

    first = [(a, p) for a, p in runnable if a.meta.discovers]
    rest = [(a, p) for a, p in runnable if not a.meta.discovers]
    with cursors:
        for analyzer, params in first:
            record(analyzer, run_one(analyzer, params))
        # The others only read, on their thread's cursor: two at a time keep both cores busy through
        # the single-threaded stretches of each query and the Python analyzers. The slowest of the
        # previous run start first, so no long one is left running alone at the end; results keep
        # registry order.
        took = _previous_seconds(store)
        order = sorted(range(len(rest)), key=lambda i: -took.get(rest[i][0].meta.id, 0.0))
        with ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool:
            futures = {i: pool.submit(run_one, *rest[i]) for i in order}
        for i, (analyzer, _params) in enumerate(rest):
            record(analyzer, futures[i].result())
    _store(store, report, fired, settings, params_used, started)
    return report


class _ThreadCursors:
    """One read cursor per thread for the whole analysis, its helper macros created once: creating
    them costs 5-8 ms, as much as a small analyzer's whole query. Analyzers only read (each statement
    sees what is committed), so one after another on the same cursor see the same store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open = ExitStack()

    def get(self) -> Cursor:
        cur: Cursor | None = getattr(self._local, "cur", None)
        if cur is None:
            with self._lock:
                cur = self._open.enter_context(self._store.cursor())
            cur.execute(MACROS)
            self._local.cur = cur
        return cur

    def __enter__(self) -> _ThreadCursors:
        return self

    def __exit__(self, *exc: object) -> None:
        self._open.close()


def _previous_seconds(store: Store) -> dict[str, float]:
    """How long each analyzer took in the latest run (empty before the first)."""
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT analyzer_id, seconds FROM analyzer_runs "
            "WHERE run_id = (SELECT max(run_id) FROM analyzer_runs) AND seconds IS NOT NULL"
        ).fetchall()
    return {str(a): float(s) for a, s in rows}


def _store(
    store: Store,
    report: AnalysisReport,
    fired: list[tuple[Analyzer, Fired]],
    settings: AnalyzerSettings,
    params_used: dict[str, dict[str, Any]],
    started: datetime,
) -> None:
    ok_ids = [r.id for r in report.results if r.status == "ok"]
    rows = []
    # per finding one row of id lists, unnested in SQL: appending half a million single rows from
    # Python took longer than the largest analyzer
    evidence: list[tuple[str, str, list[int]]] = []
    seen: set[str] = set()
    for analyzer, f in fired:
        meta = analyzer.meta
        fp = fingerprint(meta.id, f.key)
        if fp in seen:  # an analyzer reporting the same key twice: keep the first
            continue
        seen.add(fp)
        severity = (f.severity or meta.severity).value
        rule = settings.suppression_for(meta.id, f.principal, f.asset_id, started.date())
        count = f.evidence_count if f.evidence_count is not None else len(f.event_ids) + len(f.scan_ids)
        rows.append(
            (
                fp,
                meta.id,
                meta.title,
                meta.category,
                severity,
                f.principal,
                f.asset_id,
                f.resource,
                f.first_seen,
                f.last_seen,
                f.summary,
                f.details_json or json.dumps(f.details, default=str),
                count,
                list(meta.frameworks),
                rule.label if rule else None,
            )
        )
        if f.event_ids:
            evidence.append((fp, "event", list(f.event_ids[:EVIDENCE_CAP])))
        if f.scan_ids:
            evidence.append((fp, "scan", list(f.scan_ids[:EVIDENCE_CAP])))
    with store.transaction() as cur:
        temp_table(cur, "_fired", _FIRED_COLUMNS, rows)
        temp_table(
            cur, "_evidence", [("fingerprint", "VARCHAR"), ("kind", "VARCHAR"), ("ids", "BIGINT[]")], evidence
        )
        temp_table(cur, "_ran", [("analyzer_id", "VARCHAR")], [(i,) for i in ok_ids])
        report.new = int(
            cur.execute(
                "SELECT count(*) FROM _fired WHERE fingerprint NOT IN (SELECT fingerprint FROM findings)"
            ).fetchall()[0][0]
        )
        report.still_active = len(rows) - report.new
        report.no_longer_firing = int(
            cur.execute(
                "SELECT count(*) FROM findings WHERE active AND analyzer_id IN (SELECT analyzer_id FROM _ran) "
                "AND fingerprint NOT IN (SELECT fingerprint FROM _fired)"
            ).fetchall()[0][0]
        )
        cur.execute(_UPSERT, [report.run_id, started, started])
        cur.execute(
            "UPDATE findings SET active = false WHERE analyzer_id IN (SELECT analyzer_id FROM _ran) "
            "AND fingerprint NOT IN (SELECT fingerprint FROM _fired)"
        )
        cur.execute("DELETE FROM finding_evidence WHERE fingerprint IN (SELECT fingerprint FROM _fired)")
        cur.execute("INSERT INTO finding_evidence SELECT fingerprint, kind, unnest(ids) FROM _evidence")
        report.reopened = reopen_expired(cur, started)
        for name in ("_fired", "_evidence", "_ran"):
            cur.execute(f"DROP TABLE {name}")
        cur.execute(
            "INSERT INTO analysis_runs VALUES (?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.run_id,
                started,
                report.data_until,
                len(ok_ids),
                len(report.errors),
                report.new,
                report.new + report.still_active,
                report.no_longer_firing,
                __version__,
                json.dumps(params_used, default=str),
            ],
        )
        for r in report.results:
            cur.execute(
                "INSERT INTO analyzer_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    report.run_id,
                    r.id,
                    r.status,
                    r.error,
                    round(r.seconds, 4),
                    r.fired,
                    json.dumps(params_used.get(r.id, {}), default=str),
                ],
            )


_FIRED_COLUMNS = [
    ("fingerprint", "VARCHAR"),
    ("analyzer_id", "VARCHAR"),
    ("title", "VARCHAR"),
    ("category", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("principal", "VARCHAR"),
    ("asset_id", "VARCHAR"),
    ("resource", "VARCHAR"),
    ("first_seen", "TIMESTAMPTZ"),
    ("last_seen", "TIMESTAMPTZ"),
    ("summary", "VARCHAR"),
    ("details", "VARCHAR"),
    ("evidence_count", "BIGINT"),
    ("frameworks", "VARCHAR[]"),
    ("suppressed_by", "VARCHAR"),
]

_UPSERT = """
INSERT INTO findings (fingerprint, analyzer_id, title, category, severity, principal, asset_id, resource,
                      first_seen, last_seen, active, summary, details, evidence_count, frameworks,
                      suppressed_by, first_run_id, last_run_id, first_detected_at, last_detected_at)
SELECT fingerprint, analyzer_id, title, category, severity, principal, asset_id, resource, first_seen,
       last_seen, true, summary, details, evidence_count, frameworks, suppressed_by, $1, $1, $2, $3
FROM _fired
ON CONFLICT (fingerprint) DO UPDATE SET
    title = excluded.title, category = excluded.category, severity = excluded.severity,
    principal = excluded.principal, asset_id = excluded.asset_id, resource = excluded.resource,
    first_seen = least(findings.first_seen, excluded.first_seen),
    last_seen = greatest(findings.last_seen, excluded.last_seen),
    active = true, summary = excluded.summary, details = excluded.details,
    evidence_count = excluded.evidence_count, frameworks = excluded.frameworks,
    suppressed_by = excluded.suppressed_by, last_run_id = excluded.last_run_id,
    last_detected_at = excluded.last_detected_at
"""


def _register_discovered(cur: Cursor, assets: list[DiscoveredAsset], report: AnalysisReport) -> None:
    """Shadow assets become assets with source 'discovered' (an inventory entry later takes over).

    A discovered asset inside an inventoried one (model files in a production bucket) inherits its
    environment and classification: what lies in a production bucket is production data, and the
    analyzers that judge by sensitivity must not lose sight of it once its events link to the new asset.
    """
    new_locators: list[tuple[str, str]] = []
    for asset in {a.asset_id: a for a in assets}.values():
        container = cur.execute(_CONTAINER, [asset.uri.lower()]).fetchall() if asset.uri else []
        environment, classification = container[0] if container else (None, None)
        inserted = cur.execute(
            "INSERT INTO assets (asset_id, kind, name, uri, environment, classification, source, run_id, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'discovered', NULL, now()) ON CONFLICT (asset_id) DO NOTHING",
            [asset.asset_id, asset.kind, asset.name, asset.uri, environment, classification],
        ).fetchall()
        report.discovered_assets += int(inserted[0][0]) if inserted else 0
        for locator in asset.locators:
            kind = "prefix" if locator.endswith("/") else "exact"
            added = cur.execute(
                "INSERT INTO asset_locators SELECT ?, ?, ?, NULL WHERE NOT EXISTS "
                "(SELECT 1 FROM asset_locators WHERE asset_id = ? AND locator = ?)",
                [asset.asset_id, locator.lower(), kind, asset.asset_id, locator.lower()],
            ).fetchall()
            if added and added[0][0]:
                new_locators.append((locator.lower(), kind))
    # Nothing new (every later analysis of the same data): nothing to relink.
    relink_new_locators(cur, new_locators)


# The inventoried asset whose prefix locator holds a URI (the longest, as linking decides).
_CONTAINER = """
SELECT a.environment, a.classification FROM asset_locators l JOIN assets a USING (asset_id)
WHERE l.kind = 'prefix' AND a.source <> 'discovered' AND starts_with(?, l.locator)
ORDER BY length(l.locator) DESC, a.asset_id LIMIT 1
"""
