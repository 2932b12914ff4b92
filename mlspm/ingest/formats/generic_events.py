"""The documented generic access-event format: JSON lines or CSV whose keys are access_events columns.

Fields (only ``ts`` and ``action`` are required, plus a ``principal`` or a ``resource``):

=============== ===========================================================================
ts              when it happened: ISO 8601 (zone offset or ``Z``; none means UTC) or epoch s/ms
action          the source's action name (``GetObject``, ``POST /v2/models/m/infer``, ...)
principal       who (ARN, e-mail, service account, ``anonymous``)
resource        what (``s3://bucket/key``, an ARN, a model id)
event_id        the source's unique id; used to skip records loaded before (derived if absent)
action_class    read | write | delete | invoke | list | permission_change | admin | other
                (derived from ``action`` when absent)
outcome         success | failure | unknown (derived from ``status_code`` when absent)
principal_type, principal_role, account_id, region, source_ip, user_agent, service,
status_code, error_message, auth_type                                   text
bytes_out, bytes_in, object_size                                        integers
duration_ms                                                             number
extra           a JSON object kept verbatim as the event's raw record
=============== ===========================================================================

Keys outside this list are not stored (a warning names them): put what must be kept under ``extra``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, ClassVar

from mlspm.enums import ActionClass, Outcome
from mlspm.ingest import events
from mlspm.ingest.bulk import temp_table
from mlspm.ingest.context import LoadContext, exact_pass_on_refusal
from mlspm.ingest.formats.base import LIKELY, NO
from mlspm.ingest.rules import action_class_sql, outcome_from_status_sql
from mlspm.ingest.source import Sample, open_binary

TEXT_FIELDS = (
    "event_id",
    "principal",
    "principal_type",
    "principal_role",
    "account_id",
    "region",
    "source_ip",
    "user_agent",
    "service",
    "action",
    "action_class",
    "resource",
    "outcome",
    "status_code",
    "error_message",
    "auth_type",
)
INT_FIELDS = ("bytes_out", "bytes_in", "object_size")
FIELDS = ("ts", *TEXT_FIELDS, *INT_FIELDS, "duration_ms", "extra")
_REQUIRED_KEYS = {"ts", "action"}

_JSON_COLUMNS = "{" + ", ".join(f"'{f}': '{'JSON' if f == 'extra' else 'VARCHAR'}'" for f in FIELDS) + "}"
# The fast path lets DuckDB's reader type the values itself (as its own baseline does); a value it
# cannot type (an epoch timestamp, a number written as text) aborts it for the exact pass.
_TYPED = {
    "ts": "TIMESTAMPTZ",
    "duration_ms": "DOUBLE",
    "extra": "JSON",
    **dict.fromkeys(INT_FIELDS, "BIGINT"),
}
_TYPED_COLUMNS = "{" + ", ".join(f"'{f}': '{_TYPED.get(f, 'VARCHAR')}'" for f in FIELDS) + "}"
_FROM_JSON_STRUCT = json.dumps({f: ("JSON" if f == "extra" else "VARCHAR") for f in FIELDS})
_BATCH = 50_000


def _ts_sql(expr: str) -> str:
    """ISO 8601 text, or epoch seconds (10 digits) / milliseconds (13 digits)."""
    return (
        f"coalesce(try_cast({expr} AS TIMESTAMPTZ), "
        f"CASE WHEN regexp_full_match({expr}, '\\d{{9,11}}(\\.\\d+)?') THEN to_timestamp({expr}::DOUBLE) "
        f"WHEN regexp_full_match({expr}, '\\d{{12,14}}') THEN epoch_ms({expr}::BIGINT) END)"
    )


def _number_type(name: str) -> str:
    return "DOUBLE" if name == "duration_ms" else "BIGINT"


def _reason_sql() -> str:
    """Why a record cannot be used (NULL when it can). A cheap test clears the common, valid row;
    the detailed checks only run on the rest."""
    classes = ", ".join(f"'{c.value}'" for c in ActionClass)
    outcomes = ", ".join(f"'{o.value}'" for o in Outcome)
    numbers = [*INT_FIELDS, "duration_ms"]
    fine = " AND ".join(
        [
            "ts_parsed IS NOT NULL",
            "length(action) > 0",
            "(length(principal) > 0 OR length(resource) > 0)",
            f"(action_class IS NULL OR lower(action_class) IN ({classes}))",
            f"(outcome IS NULL OR lower(outcome) IN ({outcomes}))",
            *(f"({n} IS NULL OR try_cast({n} AS {_number_type(n)}) IS NOT NULL)" for n in numbers),
        ]
    )
    checks = [
        "WHEN ts IS NULL OR ts = '' THEN 'missing ts'",
        "WHEN ts_parsed IS NULL THEN 'ts ' || to_json(left(ts, 60)) "
        "|| ' is not a timestamp (ISO 8601, or epoch seconds or milliseconds)'",
        "WHEN action IS NULL OR action = '' THEN 'missing action'",
        "WHEN coalesce(principal, '') = '' AND coalesce(resource, '') = '' "
        "THEN 'needs a principal or a resource'",
        f"WHEN action_class IS NOT NULL AND lower(action_class) NOT IN ({classes}) THEN 'action_class ' "
        f"|| to_json(left(action_class, 40)) || ' is not one of: {classes.replace(chr(39), '')}'",
        f"WHEN outcome IS NOT NULL AND lower(outcome) NOT IN ({outcomes}) THEN 'outcome ' "
        f"|| to_json(left(outcome, 40)) || ' is not one of: {outcomes.replace(chr(39), '')}'",
    ]
    for name in INT_FIELDS:
        checks.append(
            f"WHEN {name} IS NOT NULL AND try_cast({name} AS BIGINT) IS NULL THEN "
            f"'{name} ' || to_json(left({name}, 40)) || ' is not an integer'"
        )
    checks.append(
        "WHEN duration_ms IS NOT NULL AND try_cast(duration_ms AS DOUBLE) IS NULL THEN "
        "'duration_ms ' || to_json(left(duration_ms, 40)) || ' is not a number'"
    )
    return f"CASE WHEN {fine} THEN NULL ELSE CASE " + " ".join(checks) + " ELSE 'invalid record' END END"


def _stage_sql(run_id: int, source: str) -> str:
    """INSERT into the stage from ``source``: a relation of pos, raw_line and every field as text."""
    return f"INSERT INTO {events.STAGE} {_normalized_sql(run_id, source)}"


def _normalized_sql(run_id: int, source: str) -> str:
    """The stage's columns computed from ``source`` (pos, raw_line and every field as text)."""
    return f"""
    SELECT {run_id:d}::BIGINT, pos, reason, nullif(trim(event_id), ''), ts_parsed,
           nullif(principal, ''), principal_type, principal_role, account_id, region, source_ip,
           user_agent, service, action,
           coalesce(lower(action_class), {action_class_sql("action")}),
           nullif(resource, ''),
           coalesce(lower(outcome), {outcome_from_status_sql("status_code")}),
           status_code, error_message,
           try_cast(bytes_out AS BIGINT), try_cast(bytes_in AS BIGINT), try_cast(object_size AS BIGINT),
           try_cast(duration_ms AS DOUBLE), auth_type,
           CASE WHEN reason IS NULL THEN extra ELSE coalesce(raw_line, extra) END
    FROM (
        SELECT *, {_reason_sql()} AS reason
        FROM (SELECT *, {_ts_sql("ts")} AS ts_parsed FROM ({source}) src) s1
    ) s2
    """  # noqa: S608


_DERIVE_IDS = f"""
UPDATE {events.STAGE} AS s SET event_id = d.event_id
FROM (
    SELECT rowid AS rid,
           'h:' || h || ':' || row_number() OVER (PARTITION BY h ORDER BY pos) AS event_id
    FROM (
        SELECT rowid, pos, md5(concat_ws(chr(31), ts, principal, action, resource, source_ip, user_agent,
                                         status_code, bytes_out, bytes_in, raw)) AS h
        FROM {events.STAGE} WHERE event_id IS NULL AND reject_reason IS NULL
    )
) d
WHERE s.rowid = d.rid
"""  # noqa: S608


class GenericEvents:
    """Generic access events (JSON lines or CSV with a header) in mlspm's documented columns."""

    name: ClassVar[str] = "generic_events"
    title: ClassVar[str] = "generic access events"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        records = sample.first_records
        if records:
            if all(r.keys() >= _REQUIRED_KEYS for r in records[:5]):
                return LIKELY
            return NO
        header = _csv_header(sample)
        if header and set(header) >= _REQUIRED_KEYS:
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        if ctx.sample.stripped.startswith("{"):
            self._warn_unknown_keys(ctx)
            if not ctx.exact:
                self._fast_json(ctx)
                return
            events.create_stage(ctx.cur)
            self._slow_json(ctx)
        else:
            events.create_stage(ctx.cur)
            self._csv(ctx)
        if ctx.cur.execute(
            f"SELECT count(*) FROM {events.STAGE} WHERE event_id IS NULL AND reject_reason IS NULL"  # noqa: S608
        ).fetchall()[0] != (0,):
            ctx.cur.execute(_DERIVE_IDS)
        events.finish_events([ctx], "line")
        events.drop_stage(ctx.cur)

    # JSON lines: DuckDB reads the file itself; any problem sends the file to the exact slow path.
    def _fast_json(self, ctx: LoadContext) -> None:
        """DuckDB reads, types, checks and inserts in one pass. Any malformed or invalid record, or
        one without an event_id, aborts it, and the file is read again exactly, line by line."""
        compression = "gzip" if ctx.sample.gzip else "none"
        classes = ", ".join(f"'{c.value}'" for c in ActionClass)
        outcomes = ", ".join(f"'{o.value}'" for o in Outcome)
        valid = (
            "ts IS NOT NULL AND length(event_id) > 0 AND length(action) > 0 "
            "AND (length(principal) > 0 OR length(resource) > 0) "
            f"AND (action_class IS NULL OR lower(action_class) IN ({classes})) "
            f"AND (outcome IS NULL OR lower(outcome) IN ({outcomes}))"
        )
        source = f"""
            SELECT {ctx.run_id:d}::BIGINT AS run_id, NULL::BIGINT AS pos, NULL::VARCHAR AS reject_reason,
                   event_id, ts, nullif(principal, '') AS principal, principal_type, principal_role,
                   account_id, region, source_ip, user_agent, service, action,
                   coalesce(lower(action_class), {action_class_sql("action")}) AS action_class,
                   nullif(resource, '') AS resource,
                   coalesce(lower(outcome), {outcome_from_status_sql("status_code")}) AS outcome,
                   status_code, error_message, bytes_out, bytes_in, object_size, duration_ms, auth_type,
                   extra::VARCHAR AS raw
            FROM read_json(?, format='newline_delimited', records=true, columns={_TYPED_COLUMNS},
                           compression='{compression}', maximum_object_size={ctx.config.max_record_bytes:d})
            WHERE CASE WHEN {valid} THEN true ELSE error('record needs the exact pass') END
        """  # noqa: S608
        with exact_pass_on_refusal():
            events.insert_events([ctx], source, [str(ctx.path)])

    def _slow_json(self, ctx: LoadContext) -> None:
        pos: list[int] = []
        raw: list[str] = []
        canon: list[str] = []
        for number, text in ctx.lines():
            try:
                value = json.loads(text)
            except ValueError as exc:
                ctx.reject(number, "line", f"invalid JSON: {exc}", text)
                continue
            if not isinstance(value, dict):
                ctx.reject(number, "line", f"a JSON {type(value).__name__}, not an object", text)
                continue
            pos.append(number)
            raw.append(text)
            canon.append(json.dumps(value))
            if len(pos) >= _BATCH:
                self._stage_json_batch(ctx, pos, raw, canon)
                pos, raw, canon = [], [], []
        self._stage_json_batch(ctx, pos, raw, canon)

    def _stage_json_batch(self, ctx: LoadContext, pos: list[int], raw: list[str], canon: list[str]) -> None:
        if not pos:
            return
        columns = [("pos", "BIGINT"), ("raw_line", "VARCHAR"), ("canon", "VARCHAR")]
        temp_table(ctx.cur, "_generic_batch", columns, zip(pos, raw, canon, strict=True))
        fields = ", ".join(f"j.{f}" for f in FIELDS)
        ctx.cur.execute(
            _stage_sql(
                ctx.run_id,
                f"SELECT pos, raw_line, {fields} FROM (SELECT pos, raw_line, "  # noqa: S608
                f"from_json(canon, '{_FROM_JSON_STRUCT}') AS j FROM _generic_batch)",
            )
        )
        ctx.cur.execute("DROP TABLE _generic_batch")

    def _csv(self, ctx: LoadContext) -> None:
        """CSV with a header row; cells are text, an empty cell is missing."""
        with _text_lines(ctx) as text:
            self._csv_rows(ctx, csv.reader(text))

    def _csv_rows(self, ctx: LoadContext, reader: Any) -> None:
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            return
        known = [f for f in FIELDS if f in header]
        unknown = [h for h in header if h not in FIELDS]
        if unknown:
            ctx.warn(f"columns not in the generic format were not stored: {', '.join(sorted(unknown)[:10])}")
        index = {name: header.index(name) for name in known}
        columns: dict[str, list[object]] = {f: [] for f in ("pos", "raw_line", *FIELDS)}
        line_start = reader.line_num + 1
        for row in reader:
            number, line_start = line_start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                ctx.reject(
                    number, "line", f"has {len(row)} cells, the header has {len(header)}", _csv_text(row)
                )
                continue
            columns["pos"].append(number)
            columns["raw_line"].append(_csv_text(row))
            for name in FIELDS:
                cell = row[index[name]].strip() if name in index else ""
                columns[name].append(cell or None)
            if len(columns["pos"]) >= _BATCH:
                self._stage_csv_batch(ctx, columns)
                columns = {f: [] for f in columns}
        self._stage_csv_batch(ctx, columns)

    def _stage_csv_batch(self, ctx: LoadContext, columns: dict[str, list[object]]) -> None:
        if not columns["pos"]:
            return
        types = [(name, "BIGINT" if name == "pos" else "VARCHAR") for name in columns]
        temp_table(ctx.cur, "_generic_batch", types, zip(*columns.values(), strict=True))
        ctx.cur.execute(_stage_sql(ctx.run_id, "SELECT * FROM _generic_batch"))
        ctx.cur.execute("DROP TABLE _generic_batch")

    def _warn_unknown_keys(self, ctx: LoadContext) -> None:
        keys: set[str] = set()
        for record in ctx.sample.first_records:
            keys.update(record)
        unknown = sorted(keys - set(FIELDS))
        if unknown:
            ctx.warn(
                "keys not in the generic format were not stored (put them under 'extra'): "
                + ", ".join(unknown[:10])
            )


def _csv_header(sample: Sample) -> list[str] | None:
    if not sample.lines:
        return None
    try:
        row = next(csv.reader([sample.lines[0]]))
    except (csv.Error, StopIteration):
        return None
    return [cell.strip().lower() for cell in row]


def _csv_text(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def _text_lines(ctx: LoadContext) -> io.TextIOWrapper:
    return io.TextIOWrapper(open_binary(ctx.path), encoding="utf-8-sig", errors="replace", newline="")
