"""QueryService: everything the TUI shows, as typed calls (each safe to run in a worker thread)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlspm.enums import TriageStatus
from mlspm.findings import FINDINGS_VIEW, Finding, FindingFilter, evidence_scans, history
from mlspm.findings import query as query_findings
from mlspm.query import readonly
from mlspm.query.model import (
    EVENT_COLUMNS,
    EVENT_PIVOT_COLUMNS,
    PIVOT_COLUMNS,
    SORT_COLUMNS,
    AssetDetail,
    AssetRow,
    Count,
    EventFilter,
    EventPage,
    Overview,
    SqlResult,
    Timeline,
)
from mlspm.query.search import parse as search_expression
from mlspm.store import Store
from mlspm.triage import Change, set_status

if TYPE_CHECKING:
    from mlspm.report import FrameworkInfo, RuleInfo

_SEV = "list_position(['info','low','medium','high','critical'], severity)"
_WORST = "['info','low','medium','high','critical'][max(" + _SEV + ")]"
_OPEN = "status IN ('open', 'investigating', 'confirmed') AND active AND suppressed_by IS NULL"


class QueryService:
    """Reads (and triage writes) for the UI; one cursor per call, so calls may run on any thread."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- overview ---------------------------------------------------------------------------------
    def overview(self) -> Overview:
        with self.store.cursor() as cur:

            def pairs(sql: str, params: Sequence[Any] = ()) -> dict[str, int]:
                return {str(k): int(v) for k, v in cur.execute(sql, list(params)).fetchall()}

            view = f"({FINDINGS_VIEW}) v"
            by_severity = pairs(f"SELECT severity, count(*) FROM {view} WHERE {_OPEN} GROUP BY 1")  # noqa: S608
            by_category = pairs(
                f"SELECT category, count(*) FROM {view} WHERE {_OPEN} GROUP BY 1 ORDER BY 2 DESC, 1"  # noqa: S608
            )
            by_status = pairs(
                f"SELECT status, count(*) FROM {view} WHERE active GROUP BY 1 ORDER BY 2 DESC, 1"  # noqa: S608
            )
            by_framework = pairs(
                f"SELECT split_part(fw, ':', 1), count(DISTINCT fingerprint) FROM {view}, unnest(frameworks) t(fw) "  # noqa: S608
                f"WHERE {_OPEN} GROUP BY 1 ORDER BY 2 DESC, 1"
            )
            runs = cur.execute(
                "SELECT run_id, started_at FROM analysis_runs ORDER BY run_id DESC LIMIT 2"
            ).fetchall()
            latest = runs[0] if runs else None
            previous = runs[1] if len(runs) > 1 else None
            new = 0
            if latest:
                new = (
                    int(
                        cur.execute(
                            "SELECT count(*) FROM findings WHERE first_run_id = ?", [latest[0]]
                        ).fetchall()[0][0]
                    )
                    if previous
                    else 0
                )
            assets = cur.execute(
                f"SELECT asset_id, count(*), {_WORST} FROM {view} WHERE {_OPEN} AND asset_id IS NOT NULL "  # noqa: S608
                f"GROUP BY 1 ORDER BY max({_SEV}) DESC, 2 DESC, 1 LIMIT 8"
            ).fetchall()
            principals = cur.execute(
                f"SELECT principal, count(*), {_WORST} FROM {view} WHERE {_OPEN} AND principal IS NOT NULL "  # noqa: S608
                f"GROUP BY 1 ORDER BY max({_SEV}) DESC, 2 DESC, 1 LIMIT 8"
            ).fetchall()
            # Kept by ingest, so the overview reads a few hundred rows, not every event.
            per_day = cur.execute(
                "SELECT day::TIMESTAMPTZ, sum(events)::BIGINT FROM daily_activity GROUP BY 1 ORDER BY 1"
            ).fetchall()
            span = (
                sum(n for _, n in per_day),
                per_day[0][0] if per_day else None,
                per_day[-1][0] if per_day else None,
            )
            n_assets = int(cur.execute("SELECT count(*) FROM assets").fetchall()[0][0])
            batch = cur.execute(
                "SELECT count(*), coalesce(sum(rows_loaded), 0) FROM ingest_runs WHERE batch_id = "
                "(SELECT batch_id FROM ingest_runs ORDER BY run_id DESC LIMIT 1) AND status = 'loaded'"
            ).fetchall()[0]
        return Overview(
            findings_by_severity=by_severity,
            findings_by_category=by_category,
            findings_by_status=by_status,
            findings_by_framework=by_framework,
            new_since_previous=new,
            previous_run_at=previous[1] if previous else None,
            latest_run_at=latest[1] if latest else None,
            riskiest_assets=[(str(a), int(n), str(w)) for a, n, w in assets],
            riskiest_principals=[(str(p), int(n), str(w)) for p, n, w in principals],
            activity_per_day=[(d, int(n)) for d, n in per_day],
            events=int(span[0]),
            assets=n_assets,
            data_from=span[1],
            data_until=span[2],
            last_batch_files=int(batch[0]),
            last_batch_rows=int(batch[1]),
        )

    # -- findings ---------------------------------------------------------------------------------
    def findings(
        self,
        flt: FindingFilter,
        *,
        search: str | None = None,
        sort: str = "severity",
        descending: bool = True,
        group_filter: dict[str, Any] | None = None,
    ) -> list[Finding]:
        """Findings matching the filter, a search expression (see `search.parse`) and a pivot group, sorted."""
        if sort not in SORT_COLUMNS:
            raise ValueError(f"cannot sort by {sort!r}")
        with self.store.cursor() as cur:
            rows = query_findings(cur, flt)
        if search:
            keep = search_expression(search)
            rows = [f for f in rows if keep(f)]
        for column, value in (group_filter or {}).items():
            if column not in PIVOT_COLUMNS:
                raise ValueError(f"cannot group by {column!r}")
            rows = [f for f in rows if _value(f, column) == value]
        key = _SORT_KEYS.get(sort, lambda f: (_value(f, sort) is None, str(_value(f, sort) or "")))
        rows.sort(key=key, reverse=descending)
        return rows

    def pivot(self, flt: FindingFilter, columns: Sequence[str]) -> list[Count]:
        """Counts of findings grouped by one or two allow-listed columns (VisiData's frequency table)."""
        if not 1 <= len(columns) <= 2 or any(c not in PIVOT_COLUMNS for c in columns):
            raise ValueError(f"group by one or two of: {', '.join(PIVOT_COLUMNS)}")
        with self.store.cursor() as cur:
            rows = query_findings(cur, flt)
        groups: dict[tuple[Any, ...], list[Finding]] = {}
        for f in rows:
            groups.setdefault(tuple(_value(f, c) for c in columns), []).append(f)
        order = ["info", "low", "medium", "high", "critical"]
        counts = [
            Count(
                key,
                len(items),
                sum(1 for f in items if TriageStatus(f.status).is_open),
                max((f.severity for f in items), key=order.index),
            )
            for key, items in groups.items()
        ]
        counts.sort(key=lambda c: (-c.count, str(c.key)))
        return counts

    def finding(self, fingerprint: str) -> Finding | None:
        with self.store.cursor() as cur:
            rows = query_findings(cur, FindingFilter(fingerprints=[fingerprint], include_inactive=True))
        return rows[0] if rows else None

    def related(self, f: Finding, limit: int = 50) -> list[Finding]:
        """Other findings on the same principal or asset."""
        with self.store.cursor() as cur:
            rows = cur.execute(
                f"SELECT fingerprint FROM ({FINDINGS_VIEW}) v WHERE fingerprint <> ? AND "  # noqa: S608
                "((principal IS NOT NULL AND principal = ?) OR (asset_id IS NOT NULL AND asset_id = ?)) "
                "ORDER BY severity_rank DESC, last_seen DESC LIMIT ?",
                [f.fingerprint, f.principal, f.asset_id, limit],
            ).fetchall()
            fps = [r[0] for r in rows]
            return query_findings(cur, FindingFilter(fingerprints=fps, include_inactive=True)) if fps else []

    def evidence_scans(self, fingerprint: str, limit: int = 200) -> list[tuple[Any, ...]]:
        """(scanned_at, scanner, target, member, severity, operator, message) rows behind a finding."""
        with self.store.cursor() as cur:
            return evidence_scans(cur, fingerprint, limit)

    def write_report(
        self,
        fmt: str,
        path: Path,
        fingerprints: Sequence[str],
        rules: Mapping[str, RuleInfo],
        frameworks: Mapping[str, FrameworkInfo] | None = None,
    ) -> int:
        """Write these findings as a report (any of ``mlspm.report.FORMATS``); returns how many."""
        from mlspm.report import write_report  # not on the workbench's start path (~0.1 s of imports)

        flt = FindingFilter(fingerprints=tuple(fingerprints), include_inactive=True)
        return write_report(self.store, fmt, path, flt, rules, frameworks)

    def triage_history(self, fingerprint: str) -> list[tuple[Any, ...]]:
        with self.store.cursor() as cur:
            return history(cur, fingerprint)

    def triage(
        self,
        fingerprints: Sequence[str],
        status: TriageStatus,
        *,
        actor: str,
        note: str | None = None,
        assignee: str | None = None,
        expires_at: datetime | None = None,
    ) -> list[Change]:
        return set_status(
            self.store, fingerprints, status, note=note, assignee=assignee, expires_at=expires_at, actor=actor
        )

    # -- events -----------------------------------------------------------------------------------
    def events(
        self,
        flt: EventFilter,
        *,
        after: tuple[datetime, int] | None = None,
        before: tuple[datetime, int] | None = None,
        limit: int = 200,
    ) -> EventPage:
        """A page of events in (ts, id) order — keyset paging, so any page costs the same at 10M rows."""
        where, params = _event_where(flt)
        order = "ASC"
        if after is not None:
            where += " AND (e.ts, e.id) > (?, ?)"
            params += [after[0], after[1]]
        elif before is not None:
            where += " AND (e.ts, e.id) < (?, ?)"
            params += [before[0], before[1]]
            order = "DESC"
        cols = ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
        source = _event_source(flt)
        with self.store.cursor() as cur:
            rows = cur.execute(
                f"SELECT {cols} FROM {source} WHERE {where} ORDER BY e.ts {order}, e.id {order} LIMIT ?",  # noqa: S608
                [*params, limit + 1],
            ).fetchall()
        has_more = len(rows) > limit
        rows = rows[:limit]
        if order == "DESC":
            rows.reverse()
        first = (rows[0][1], rows[0][0]) if rows else None
        last = (rows[-1][1], rows[-1][0]) if rows else None
        return EventPage(rows, EVENT_COLUMNS, has_more, first, last)

    def event_pivot(
        self, flt: EventFilter, column: str, *, limit: int = 500
    ) -> list[tuple[Any, int, Any, Any]]:
        """(value, events, first, last) of one allow-listed column over the filtered events, busiest first."""
        if column not in EVENT_PIVOT_COLUMNS:
            raise ValueError(f"cannot group events by {column!r}")
        where, params = _event_where(flt)
        source = _event_source(flt)
        with self.store.cursor() as cur:
            return cur.execute(
                f"SELECT e.{column}, count(*) AS n, min(e.ts), max(e.ts) FROM {source} WHERE {where} "  # noqa: S608
                "GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?",
                [*params, limit],
            ).fetchall()

    def event_raw(self, event_id: int) -> tuple[str | None, str | None, int | None]:
        """(raw record, source file, position) of one event."""
        with self.store.cursor() as cur:
            rows = cur.execute(
                "SELECT e.raw, r.path, e.source_pos FROM access_events e LEFT JOIN ingest_runs r USING (run_id) "
                "WHERE e.id = ?",
                [event_id],
            ).fetchall()
        return rows[0] if rows else (None, None, None)

    def timeline(self, flt: EventFilter, bucket: str = "hour") -> Timeline:
        """Events per hour or day for the filter, with the entity's own median and p95 bucket."""
        if bucket not in ("hour", "day"):
            raise ValueError("bucket is hour or day")
        where, params = _event_where(flt)
        source = _event_source(flt)
        with self.store.cursor() as cur:
            points = cur.execute(
                f"SELECT date_trunc('{bucket}', e.ts) AS b, count(*) FROM {source} WHERE {where} "  # noqa: S608
                "GROUP BY 1 ORDER BY 1",
                params,
            ).fetchall()
        counts = sorted(n for _, n in points)
        median = float(counts[len(counts) // 2]) if counts else 0.0
        p95 = float(counts[min(len(counts) - 1, int(len(counts) * 0.95))]) if counts else 0.0
        return Timeline(bucket, [(b, int(n)) for b, n in points], median, p95)

    def first_seen_facts(self, flt: EventFilter) -> list[str]:
        """Plain sentences: when this principal first touched each asset, and first seen addresses."""
        facts: list[str] = []
        with self.store.cursor() as cur:
            if flt.principal:
                start = cur.execute("SELECT min(ts) FROM access_events").fetchall()[0][0]
                for asset, first in cur.execute(
                    "SELECT asset_id, min(ts) FROM access_events WHERE principal = ? AND asset_id IS NOT NULL "
                    "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
                    [flt.principal],
                ).fetchall():
                    if start and first > start:
                        facts.append(f"first access to {asset}: {first:%Y-%m-%d %H:%M} UTC")
                for ip, first, n in cur.execute(
                    "SELECT source_ip, min(ts), count(*) FROM access_events WHERE principal = ? AND source_ip "
                    "IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
                    [flt.principal],
                ).fetchall():
                    facts.append(f"address {ip} first seen {first:%Y-%m-%d %H:%M} UTC ({n:,} events)")
            if flt.asset_id:
                for principal, first, n in cur.execute(
                    "SELECT principal, min(ts), count(*) FROM access_events WHERE asset_id = ? AND principal IS "
                    "NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
                    [flt.asset_id],
                ).fetchall():
                    facts.append(f"{principal} first used it {first:%Y-%m-%d %H:%M} UTC ({n:,} events)")
        return facts

    # -- assets -----------------------------------------------------------------------------------
    def assets(self, search: str | None = None) -> list[AssetRow]:
        with self.store.cursor() as cur:
            rows = cur.execute(
                f"""SELECT a.asset_id, a.kind, a.name, a.environment, a.owner, a.classification, a.source,
                           coalesce(f.n, 0), f.worst, coalesce(e.n, 0)
                    FROM assets a
                    LEFT JOIN (SELECT asset_id, count(*) AS n, {_WORST} AS worst FROM ({FINDINGS_VIEW}) v
                               WHERE {_OPEN} GROUP BY 1) f USING (asset_id)
                    LEFT JOIN (SELECT asset_id, count(*) AS n FROM access_events WHERE asset_id IS NOT NULL
                               GROUP BY 1) e USING (asset_id)
                    ORDER BY coalesce(list_position(['info','low','medium','high','critical'], f.worst), 0) DESC,
                             coalesce(f.n, 0) DESC, a.asset_id"""  # noqa: S608
            ).fetchall()
        assets = [AssetRow(*r) for r in rows]
        if search:
            needle = search.lower()
            assets = [
                a for a in assets if needle in f"{a.asset_id} {a.owner} {a.environment} {a.kind}".lower()
            ]
        return assets

    def asset(self, asset_id: str) -> AssetDetail | None:
        with self.store.cursor() as cur:
            result = cur.execute("SELECT * FROM assets WHERE asset_id = ?", [asset_id])
            names = [d[0] for d in result.description or []]
            rows = result.fetchall()
            if not rows:
                return None
            detail = AssetDetail(
                asset=dict(zip(names, rows[0], strict=True)),
                upstream=cur.execute(
                    "SELECT relation, src_asset FROM lineage WHERE dst_asset = ? ORDER BY 1, 2", [asset_id]
                ).fetchall(),
                downstream=cur.execute(
                    "SELECT relation, dst_asset FROM lineage WHERE src_asset = ? ORDER BY 1, 2", [asset_id]
                ).fetchall(),
                scans=cur.execute(
                    "SELECT scanned_at, scanner, kind, severity, target, member, module_operator, message "
                    "FROM scan_results WHERE asset_id = ? ORDER BY scanned_at DESC, severity LIMIT 100",
                    [asset_id],
                ).fetchall(),
                top_principals=cur.execute(
                    "SELECT principal, count(*), max(ts) FROM access_events WHERE asset_id = ? AND principal IS "
                    "NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
                    [asset_id],
                ).fetchall(),
                permissions=cur.execute(
                    "SELECT principal, privilege FROM permissions WHERE asset_id = ? ORDER BY 1", [asset_id]
                ).fetchall(),
                findings=int(
                    cur.execute(
                        f"SELECT count(*) FROM ({FINDINGS_VIEW}) v WHERE asset_id = ? AND {_OPEN}",  # noqa: S608
                        [asset_id],
                    ).fetchall()[0][0]
                ),
                locators=[
                    r[0]
                    for r in cur.execute(
                        "SELECT DISTINCT locator FROM asset_locators WHERE asset_id = ? ORDER BY 1",
                        [asset_id],
                    ).fetchall()
                ],
            )
        return detail

    # -- SQL console --------------------------------------------------------------------------------
    def sql(self, text: str, *, limit: int = 1000, seconds: float = 30.0) -> SqlResult:
        """Run one read-only statement (raises SqlRefused with the reason for anything else)."""
        with self.store.cursor() as cur:
            return readonly.run(cur, text, limit=limit, seconds=seconds)

    def lock_down(self) -> None:
        with self.store.cursor() as cur:
            readonly.lock_down(cur)

    def interrupt(self) -> None:
        self.store.interrupt()


def _value(f: Finding, column: str) -> Any:
    return getattr(f, column)


_ORDER = ["info", "low", "medium", "high", "critical"]
_SORT_KEYS: dict[str, Any] = {
    "severity": lambda f: (_ORDER.index(f.severity), f.last_seen.timestamp() if f.last_seen else 0.0),
    "evidence_count": lambda f: f.evidence_count,
    "first_seen": lambda f: f.first_seen.timestamp() if f.first_seen else 0.0,
    "last_seen": lambda f: f.last_seen.timestamp() if f.last_seen else 0.0,
}


def _event_where(flt: EventFilter) -> tuple[str, list[Any]]:
    clauses, params = ["true"], []
    for column in EVENT_PIVOT_COLUMNS:
        value = getattr(flt, column)
        if value is not None:
            clauses.append(f"e.{column} = ?")
            params.append(value)
    if flt.since is not None:
        clauses.append("e.ts >= ?")
        params.append(flt.since)
    if flt.until is not None:
        clauses.append("e.ts < ?")
        params.append(flt.until)
    if flt.fingerprint is not None:
        clauses.append("v.fingerprint = ? AND v.kind = 'event'")
        params.append(flt.fingerprint)
    return " AND ".join(clauses), params


def _event_source(flt: EventFilter) -> str:
    if flt.fingerprint is not None:
        return "finding_evidence v JOIN access_events e ON e.id = v.id"
    return "access_events e"
