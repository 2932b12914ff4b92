"""Access-event formats normalized in Python: a JSON record reader and a writer into access_events.

For sources whose records need more than column mapping (nested payloads, per-vendor quirks) and
that arrive in moderate volumes (audit logs, inference-server logs). A format yields one
``(position, raw text, record)`` at a time from :func:`json_records`, turns each record into a dict
of ``events.EVENT_FIELDS`` (or a reject reason), and hands it to :class:`EventWriter`, which stages
rows, derives ids for records without one, moves them into ``access_events`` with de-duplication,
and keeps every rejected record with its reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mlspm.ingest import events
from mlspm.ingest.bulk import RowBuffer
from mlspm.ingest.context import LoadContext
from mlspm.ingest.rules import action_class, outcome_from_status
from mlspm.ingest.source import iter_lines

# Keys under which exporters wrap a list of records in one JSON document.
LIST_KEYS = ("records", "Records", "entries", "items", "events", "logs", "data")


@dataclass(frozen=True)
class RawRecord:
    """One input record: its 1-based position, its raw text, and the parsed object (None if invalid)."""

    position: int
    kind: str
    """'line' (JSON lines) or 'record' (an element of a JSON document)."""
    raw: str
    value: dict[str, Any] | None
    error: str | None = None


def json_records(ctx: LoadContext, *, unwrap: Sequence[str] = ("log",)) -> Iterator[RawRecord]:
    """Every record of a JSON-lines file, a JSON array, or a document wrapping a list (``records`` ...).

    A record wrapped by a test/SIEM exporter under one of ``unwrap`` (``{"log": {...}}``) is unwrapped.
    Invalid lines come out with ``value`` None and ``error`` set: the caller rejects them.
    """
    sample = ctx.sample
    if sample.stripped.startswith("[") or (sample.stripped.startswith("{") and not sample.first_records):
        yield from _document_records(ctx, unwrap)
        return
    if sample.stripped.startswith("{") and len(sample.lines) == 1 and sample.complete:
        doc = sample.document
        if isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in LIST_KEYS):
            yield from _document_records(ctx, unwrap)
            return
    for line in iter_lines(ctx.path, ctx.config.max_record_bytes):
        if line.data is None:
            text = line.head.decode("utf-8", "replace")
            yield RawRecord(
                line.number, "line", text, None, f"line longer than {ctx.config.max_record_bytes} bytes"
            )
            continue
        text = line.data.decode("utf-8", "replace")
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:
            yield RawRecord(line.number, "line", text, None, f"invalid JSON: {exc}")
            continue
        if isinstance(value, dict) and any(isinstance(value.get(k), list) for k in LIST_KEYS):
            # a wrapper document per line (Azure diagnostic settings write {"records": [...]} lines)
            for i, item in enumerate(_list_of(value), 1):
                yield _as_record(line.number, "line", json.dumps(item), item, unwrap, suffix=f" item {i}")
            continue
        yield _as_record(line.number, "line", text, value, unwrap)


def _list_of(doc: dict[str, Any]) -> list[Any]:
    for key in LIST_KEYS:
        if isinstance(doc.get(key), list):
            return list(doc[key])
    return []


def _document_records(ctx: LoadContext, unwrap: Sequence[str]) -> Iterator[RawRecord]:
    text = ctx.whole_text()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        yield RawRecord(1, "record", text, None, f"invalid JSON document: {exc}")
        return
    items = doc if isinstance(doc, list) else _list_of(doc) if isinstance(doc, dict) else None
    if items is None or (isinstance(doc, dict) and not items and not any(k in doc for k in LIST_KEYS)):
        items = [doc]
    for i, item in enumerate(items, 1):
        yield _as_record(i, "record", json.dumps(item), item, unwrap)


def _as_record(
    position: int, kind: str, raw: str, value: Any, unwrap: Sequence[str], suffix: str = ""
) -> RawRecord:
    if not isinstance(value, dict):
        return RawRecord(position, kind, raw, None, f"a JSON {type(value).__name__}{suffix}, not an object")
    for key in unwrap:
        inner = value.get(key)
        if isinstance(inner, dict):
            return RawRecord(position, kind, raw, inner)
    return RawRecord(position, kind, raw, value)


class EventWriter:
    """Stages normalized events for one file and moves them into ``access_events`` on :meth:`finish`."""

    def __init__(self, ctx: LoadContext, position_kind: str = "line") -> None:
        self.ctx = ctx
        self.position_kind = position_kind
        events.create_stage(ctx.cur)
        self._rows = RowBuffer(ctx.cur, events.STAGE, events.STAGE_NAMES)
        self._missing_ids = 0

    def add(self, position: int, event: Mapping[str, Any], raw: str) -> None:
        """One normalized event (keys from ``events.EVENT_FIELDS``; ``ts`` a datetime; ``raw`` kept)."""
        unknown = set(event) - set(events.EVENT_FIELDS)
        if unknown:  # a bug in a format, not bad input
            raise ValueError(f"unknown event fields: {sorted(unknown)}")
        values = dict(event)
        values.setdefault("raw", raw)
        if not values.get("event_id"):
            values["event_id"] = None
            self._missing_ids += 1
        if values.get("action_class") is None:
            values["action_class"] = action_class(values.get("action")).value
        if values.get("outcome") is None:
            values["outcome"] = outcome_from_status(values.get("status_code"))
        self._rows.append(
            (self.ctx.run_id, position, None, *(values.get(name) for name in events.EVENT_FIELDS))
        )

    def reject(self, record: RawRecord, reason: str) -> None:
        self.ctx.reject(record.position, record.kind, reason, record.raw)

    def finish(self) -> None:
        self._rows.flush()
        if self._missing_ids:
            derive_missing_ids(self.ctx)
        events.finish_events([self.ctx], self.position_kind)
        events.drop_stage(self.ctx.cur)


def derive_missing_ids(ctx: LoadContext) -> None:
    """Records without an id get one from their content (and their rank among identical records)."""
    ctx.cur.execute(
        f"""
        UPDATE {events.STAGE} AS s SET event_id = d.event_id
        FROM (
            SELECT rowid AS rid,
                   'h:' || h || ':' || row_number() OVER (PARTITION BY h ORDER BY pos) AS event_id
            FROM (
                SELECT rowid, pos, md5(concat_ws(chr(31), ts, principal, action, resource, source_ip,
                                                 user_agent, status_code, bytes_out, bytes_in, raw)) AS h
                FROM {events.STAGE} WHERE event_id IS NULL AND reject_reason IS NULL
            )
        ) d
        WHERE s.rowid = d.rid
        """  # noqa: S608 (trusted identifiers)
    )


def parse_time(value: Any) -> datetime | None:
    """A timestamp as sources write it: ISO 8601 (Z or offset, space or T, any fraction), epoch s/ms/µs/ns.

    Naive times are taken as UTC. Returns None when ``value`` is not a time.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        for scale in (1.0, 1e3, 1e6, 1e9):  # seconds, ms, µs, ns: the first that lands before 2100
            if abs(number / scale) < 4_102_444_800:
                try:
                    return datetime.fromtimestamp(number / scale, UTC)
                except (OverflowError, OSError, ValueError):
                    return None
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return parse_time(int(text))
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    if "." in text:  # Python accepts at most 6 fraction digits: cut nanoseconds
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = head + "." + tail[: min(digits, 6)] + tail[digits:] if digits else head + tail
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def content_id(*parts: Any) -> str:
    """A stable id from a record's identifying parts (when the source has no event id of its own)."""
    return (
        "h:"
        + hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:32]
    )


def get_path(doc: Any, path: str, *, any_case: bool = False) -> Any:
    """``doc`` at a dotted path (``a.b.0.c``); None when any step is missing.

    With ``any_case``, a key not found as written matches case-insensitively (``callerIp`` finds
    ``callerIP``), stray quotes around it ignored: exporters rename keys (Panther lower-cases
    ``insertId`` and writes ``callerIP``; one Azure test event has the malformed key ``tenantId"``).
    """
    for step in path.split("."):
        if isinstance(doc, dict):
            if any_case and step not in doc:
                low = step.lower()
                doc = next((v for k, v in doc.items() if k.strip().strip("\"'").lower() == low), None)
            else:
                doc = doc.get(step)
        elif isinstance(doc, list) and step.isdigit() and int(step) < len(doc):
            doc = doc[int(step)]
        else:
            return None
        if doc is None:
            return None
    return doc


def first(doc: Any, *paths: str) -> Any:
    """The first non-empty value among ``paths``."""
    for path in paths:
        value = get_path(doc, path)
        if value not in (None, "", [], {}):
            return value
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int, a numeric string or a float; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except ValueError:
            return None
    return None
