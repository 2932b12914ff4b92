"""What the database holds: row counts per table, per format and per status, and the time span of events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mlspm.store import Store

TABLES = ("access_events", "assets", "lineage", "permissions", "scan_results", "ingest_runs", "rejects")


@dataclass
class Stats:
    database: str
    tables: dict[str, int] = field(default_factory=dict)
    events_by_format: dict[str, int] = field(default_factory=dict)
    events_by_action_class: dict[str, int] = field(default_factory=dict)
    first_event: str | None = None
    last_event: str | None = None
    principals: int = 0
    assets_by_kind: dict[str, int] = field(default_factory=dict)
    events_linked_to_assets: int = 0
    scan_results_by_kind: dict[str, int] = field(default_factory=dict)
    scan_issues_by_severity: dict[str, int] = field(default_factory=dict)
    files_by_status: dict[str, int] = field(default_factory=dict)
    files_by_format: dict[str, int] = field(default_factory=dict)
    rejects_by_reason: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def collect(store: Store) -> Stats:
    stats = Stats(database=str(store.path))
    with store.cursor() as cur:
        for table in TABLES:
            row = cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0]  # noqa: S608 (allow-listed)
            stats.tables[table] = int(row[0]) if row else 0

        def pairs(sql: str) -> dict[str, int]:
            return {str(k): int(v) for k, v in cur.execute(sql).fetchall()}

        stats.events_by_format = pairs(
            "SELECT source_format, count(*) FROM access_events GROUP BY 1 ORDER BY 2 DESC"
        )
        stats.events_by_action_class = pairs(
            "SELECT action_class, count(*) FROM access_events GROUP BY 1 ORDER BY 2 DESC"
        )
        row = cur.execute(
            "SELECT strftime(min(ts), '%Y-%m-%dT%H:%M:%SZ'), strftime(max(ts), '%Y-%m-%dT%H:%M:%SZ'), "
            "count(DISTINCT principal), count(asset_id) FROM access_events"
        ).fetchall()[0]
        if row:
            stats.first_event, stats.last_event = row[0], row[1]
            stats.principals, stats.events_linked_to_assets = int(row[2]), int(row[3])
        stats.assets_by_kind = pairs("SELECT kind, count(*) FROM assets GROUP BY 1 ORDER BY 2 DESC")
        stats.scan_results_by_kind = pairs(
            "SELECT kind, count(*) FROM scan_results GROUP BY 1 ORDER BY 2 DESC"
        )
        stats.scan_issues_by_severity = pairs(
            "SELECT severity, count(*) FROM scan_results WHERE kind = 'issue' GROUP BY 1 "
            "ORDER BY list_position(['critical','high','medium','low','info'], severity)"
        )
        stats.files_by_status = pairs("SELECT status, count(*) FROM ingest_runs GROUP BY 1 ORDER BY 2 DESC")
        stats.files_by_format = pairs(
            "SELECT coalesce(format, '(none)'), count(*) FROM ingest_runs WHERE status = 'loaded' "
            "GROUP BY 1 ORDER BY 2 DESC"
        )
        stats.rejects_by_reason = pairs(
            "SELECT regexp_replace(reason, '\"[^\"]*\"|''[^'']*''|[0-9][0-9,]*', '…', 'g') AS r, count(*) "
            "FROM rejects GROUP BY 1 ORDER BY 2 DESC LIMIT 15"
        )
    return stats
