"""AWS CloudTrail in every shape it is delivered or exported in, normalized in SQL (FORMATS.md §1).

Shapes: delivered ``{"Records": [...]}`` files (gzip or not, one or several per file), JSON lines of
events, a single event, a JSON array of events, ``aws cloudtrail lookup-events`` output (each
``CloudTrailEvent`` a JSON string), EventBridge envelopes (``detail``), and test/SIEM wrappers that
carry the event under ``log``. Lower-cased key variants (Athena/SIEM flattenings) are read too.
The digest files CloudTrail writes beside the logs are recognised and skipped.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from mlspm.ingest import events
from mlspm.ingest.bulk import RowBuffer, temp_table
from mlspm.ingest.context import LoadContext, NeedsExactPass, exact_pass_on_refusal
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.rules import action_class_sql
from mlspm.ingest.source import Sample
from mlspm.store import Cursor

_RECORDS = "_ct_records"
_DOCS = "_ct_docs"
_SPLIT_DOCS = (
    "SELECT run_id, generate_subscripts(recs, 1), unnest(recs) "  # noqa: S608
    f"FROM (SELECT run_id, json_extract(doc, '$.Records[*]') AS recs FROM {_DOCS})"
)

# Event fields read with one JSON parse per record: (name, camelCase path, lower-case twin or None).
_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("event_time", "$.eventTime", "$.eventtime"),
    ("event_name", "$.eventName", "$.eventname"),
    ("event_source", "$.eventSource", "$.eventsource"),
    ("event_id", "$.eventID", "$.eventid"),
    ("event_version", "$.eventVersion", "$.eventversion"),
    ("ui_type", "$.userIdentity.type", "$.useridentity.type"),
    ("ui_arn", "$.userIdentity.arn", "$.useridentity.arn"),
    ("ui_principal_id", "$.userIdentity.principalId", "$.useridentity.principalid"),
    ("ui_invoked_by", "$.userIdentity.invokedBy", "$.useridentity.invokedby"),
    ("ui_account", "$.userIdentity.accountId", "$.useridentity.accountid"),
    ("ui_user_name", "$.userIdentity.userName", "$.useridentity.username"),
    (
        "ui_issuer_arn",
        "$.userIdentity.sessionContext.sessionIssuer.arn",
        "$.useridentity.sessioncontext.sessionissuer.arn",
    ),
    ("source_ip", "$.sourceIPAddress", "$.sourceipaddress"),
    ("user_agent", "$.userAgent", "$.useragent"),
    ("region", "$.awsRegion", "$.awsregion"),
    ("recipient", "$.recipientAccountId", "$.recipientaccountid"),
    ("error_code", "$.errorCode", "$.errorcode"),
    ("error_message", "$.errorMessage", "$.errormessage"),
    ("console_login", "$.responseElements.ConsoleLogin", "$.responseelements.consolelogin"),
    ("bucket", "$.requestParameters.bucketName", "$.requestparameters.bucketname"),
    ("key", "$.requestParameters.key", "$.requestparameters.key"),
    ("key_upper", "$.requestParameters.Key", None),
    ("event_type", "$.eventType", "$.eventtype"),
    ("resource_arn", "$.resources[0].ARN", "$.resources[0].arn"),
    ("model_arn", "$.responseElements.modelArn", None),
    ("endpoint_arn", "$.responseElements.endpointArn", None),
    ("endpoint_config_arn", "$.responseElements.endpointConfigArn", None),
    ("training_job_arn", "$.responseElements.trainingJobArn", None),
    ("model_package_arn", "$.responseElements.modelPackageArn", None),
    ("model_name", "$.requestParameters.modelName", None),
    ("endpoint_name", "$.requestParameters.endpointName", None),
    ("endpoint_config_name", "$.requestParameters.endpointConfigName", None),
    ("training_job_name", "$.requestParameters.trainingJobName", None),
    ("model_package_group", "$.requestParameters.modelPackageGroupName", None),
    ("model_package_name", "$.requestParameters.modelPackageName", None),
    ("feature_group", "$.requestParameters.featureGroupName", None),
    ("model_id", "$.requestParameters.modelId", None),
    ("role_name", "$.requestParameters.roleName", None),
    ("user_name_param", "$.requestParameters.userName", None),
    ("bytes_out", "$.additionalEventData.bytesTransferredOut", None),
    ("bytes_in", "$.additionalEventData.bytesTransferredIn", None),
    ("auth_method", "$.additionalEventData.AuthenticationMethod", None),
)


def _paths() -> tuple[str, dict[str, str]]:
    """The JSON path list literal, and for each field the SQL expression reading it."""
    paths: list[str] = []
    expr: dict[str, str] = {}
    for name, camel, lower in _FIELDS:
        paths.append(camel)
        first = f"f[{len(paths)}]"
        if lower:
            paths.append(lower)
            expr[name] = f"coalesce({first}, f[{len(paths)}])"
        else:
            expr[name] = first
    expr["key"] = f"coalesce({expr['key']}, {expr.pop('key_upper')})"
    expr["bucket"] = f"nullif({expr['bucket']}, '')"
    return "[" + ", ".join(f"'{p}'" for p in paths) + "]", expr


_PATH_LIST, _FIELD_SQL = _paths()
# The stage refers to each field by a column name computed once in an inner SELECT: writing the
# field expressions out at every use made a 10 kB statement that took DuckDB 45-60 ms to plan
# for every group, however small.
F = {name: f"c_{name}" for name in _FIELD_SQL}
_FIELD_COLUMNS = ", ".join(f"{sql} AS c_{name}" for name, sql in _FIELD_SQL.items())

_UNWRAP = """CASE
    WHEN json_type(rec) <> 'OBJECT' THEN rec
    WHEN json_exists(rec, '$.eventName') OR json_exists(rec, '$.eventname') THEN rec
    WHEN json_type(rec, '$.detail') = 'OBJECT' AND json_exists(rec, '$."detail-type"') THEN rec->'detail'
    WHEN json_type(rec, '$.CloudTrailEvent') = 'VARCHAR' THEN
         coalesce(try_cast(rec->>'CloudTrailEvent' AS JSON), rec)
    WHEN json_type(rec, '$.log') = 'OBJECT' THEN rec->'log'
    WHEN json_type(rec, '$.message') = 'VARCHAR' AND json_valid(rec->>'message') THEN (rec->>'message')::JSON
    ELSE rec END"""


def _sm_arn(kind: str, name_field: str) -> str:
    """A SageMaker ARN from a request parameter that is a name or already an ARN (versioned model
    packages are named by ARN); names are lower-cased inside ARNs."""
    name = F[name_field]
    return (
        f"WHEN {name} IS NOT NULL AND {F['event_source']} LIKE 'sagemaker%' THEN "
        f"CASE WHEN starts_with({name}, 'arn:') THEN lower({name}) ELSE "
        f"'arn:aws:sagemaker:' || coalesce({F['region']}, '') || ':' || "
        f"coalesce({F['recipient']}, {F['ui_account']}, '') || ':{kind}/' || lower({name}) END"
    )


_RESOURCE = f"""CASE
    WHEN {F["bucket"]} IS NOT NULL AND {F["key"]} IS NOT NULL THEN
         's3://' || {F["bucket"]} || '/' || {F["key"]}
    WHEN {F["resource_arn"]} LIKE 'arn:aws:s3:::%/%' THEN 's3://' || substr({F["resource_arn"]}, 14)
    WHEN {F["bucket"]} IS NOT NULL THEN 's3://' || {F["bucket"]}
    WHEN {F["model_arn"]} IS NOT NULL THEN lower({F["model_arn"]})
    WHEN {F["endpoint_arn"]} IS NOT NULL THEN lower({F["endpoint_arn"]})
    WHEN {F["endpoint_config_arn"]} IS NOT NULL THEN lower({F["endpoint_config_arn"]})
    WHEN {F["training_job_arn"]} IS NOT NULL THEN lower({F["training_job_arn"]})
    WHEN {F["model_package_arn"]} IS NOT NULL THEN lower({F["model_package_arn"]})
    {_sm_arn("endpoint", "endpoint_name")}
    {_sm_arn("endpoint-config", "endpoint_config_name")}
    {_sm_arn("training-job", "training_job_name")}
    {_sm_arn("model", "model_name")}
    {_sm_arn("model-package-group", "model_package_group")}
    {_sm_arn("model-package", "model_package_name")}
    {_sm_arn("feature-group", "feature_group")}
    WHEN {F["model_id"]} IS NOT NULL THEN {F["model_id"]}
    WHEN {F["role_name"]} IS NOT NULL AND {F["event_source"]} = 'iam.amazonaws.com' THEN
         'arn:aws:iam::' || coalesce({F["recipient"]}, {F["ui_account"]}, '') || ':role/' || {F["role_name"]}
    WHEN {F["user_name_param"]} IS NOT NULL AND {F["event_source"]} = 'iam.amazonaws.com' THEN
         'arn:aws:iam::' || coalesce({F["recipient"]}, {F["ui_account"]}, '') || ':user/'
         || {F["user_name_param"]}
    WHEN {F["resource_arn"]} IS NOT NULL THEN {F["resource_arn"]}
    END"""

_ANONYMOUS = f"""{F["ui_account"]} = 'anonymous'"""

_PRINCIPAL = f"""coalesce(
    CASE WHEN {_ANONYMOUS} THEN 'anonymous' END,
    nullif({F["ui_arn"]}, ''),
    CASE WHEN {F["ui_type"]} = 'IAMUser' AND {F["ui_user_name"]} IS NOT NULL THEN
         'arn:aws:iam::' || coalesce({F["ui_account"]}, {F["recipient"]}, '') || ':user/'
         || {F["ui_user_name"]}
    END,
    nullif({F["ui_principal_id"]}, ''),
    nullif({F["ui_invoked_by"]}, ''),
    CASE WHEN {F["ui_type"]} = 'Root' THEN
         'arn:aws:iam::' || coalesce({F["ui_account"]}, {F["recipient"]}, '') || ':root' END)"""

_REASON = f"""CASE
    WHEN NOT starts_with(ltrim(ev::VARCHAR), '{{') THEN 'not a JSON object'
    WHEN {F["event_type"]} = 'AwsCloudTrailInsight' THEN
         'CloudTrail Insights event (a summary of unusual activity, not an access event)'
    WHEN {F["event_time"]} IS NULL AND {F["event_name"]} IS NULL THEN
         'not a CloudTrail event (no eventTime and no eventName)'
    WHEN {F["event_time"]} IS NULL THEN 'missing eventTime'
    WHEN try_cast({F["event_time"]} AS TIMESTAMPTZ) IS NULL THEN
         'eventTime ' || to_json(left({F["event_time"]}, 60)) || ' is not a timestamp'
    WHEN {F["event_name"]} IS NULL OR {F["event_name"]} = '' THEN 'missing eventName'
    END"""

_STAGE_SQL = f"""
INSERT INTO {events.STAGE}
SELECT run_id, pos, {_REASON},
       coalesce({F["event_id"]}, 'h:' || md5(ev::VARCHAR)),
       try_cast({F["event_time"]} AS TIMESTAMPTZ),
       {_PRINCIPAL},
       CASE WHEN {_ANONYMOUS} THEN 'anonymous'
            ELSE coalesce({F["ui_type"]},
                          CASE WHEN {F["ui_invoked_by"]} IS NOT NULL THEN 'AWSService' END) END,
       {F["ui_issuer_arn"]},
       coalesce({F["recipient"]}, {F["ui_account"]}),
       {F["region"]},
       {F["source_ip"]},
       {F["user_agent"]},
       regexp_replace({F["event_source"]}, '\\.amazonaws\\.com$', ''),
       {F["event_name"]},
       {action_class_sql(F["event_name"])},
       {_RESOURCE},
       CASE WHEN {F["error_code"]} IS NOT NULL OR {F["console_login"]} = 'Failure' THEN 'failure'
            ELSE 'success' END,
       coalesce({F["error_code"]}, CASE WHEN {F["console_login"]} = 'Failure' THEN 'Failure' END),
       {F["error_message"]},
       try_cast(try_cast({F["bytes_out"]} AS DOUBLE) AS BIGINT),
       try_cast(try_cast({F["bytes_in"]} AS DOUBLE) AS BIGINT),
       NULL, NULL,
       {F["auth_method"]},
       ev::VARCHAR
FROM (
    SELECT run_id, pos, ev, {_FIELD_COLUMNS}
    FROM (
        SELECT run_id, pos, ev, json_extract_string(ev, {_PATH_LIST}) AS f
        FROM (SELECT run_id, pos, __UNWRAP__ AS ev FROM {_RECORDS})
    )
)
"""  # noqa: S608

_LOOKS_LIKE_EVENT = re.compile(
    r'"(eventVersion|eventversion|eventName|eventname|eventSource|CloudTrailEvent)"'
)
_RECORDS_KEY = re.compile(r'^\s*\{\s*"Records"\s*:', re.ASCII)


def _is_event(record: Any) -> bool:
    if not isinstance(record, dict):
        return False
    keys = {k.lower() for k in record}
    if {"eventname", "eventsource"} & keys and ({"eventtime", "eventversion", "useridentity"} & keys):
        return True
    if record.get("detail-type") == "AWS API Call via CloudTrail" and isinstance(record.get("detail"), dict):
        return True
    if isinstance(record.get("CloudTrailEvent"), str):
        return True
    inner = record.get("log")
    return isinstance(inner, dict) and "log" in record and _is_event(inner)


class CloudTrail:
    """AWS CloudTrail events → access_events."""

    name: ClassVar[str] = "cloudtrail"
    title: ClassVar[str] = "AWS CloudTrail"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        text = sample.stripped
        if _RECORDS_KEY.match(text) and _LOOKS_LIKE_EVENT.search(text[:20000]):
            return CERTAIN
        if (
            text.startswith(("{", "["))
            and '"Records"' in text[:2000]
            and _LOOKS_LIKE_EVENT.search(text[:20000])
        ):
            return CERTAIN
        records = sample.first_records
        if records and sum(_is_event(r) for r in records[:20]) >= max(1, len(records[:20]) // 2):
            return CERTAIN
        doc = sample.document
        if isinstance(doc, dict) and (_is_event(doc) or _is_lookup(doc)):
            return CERTAIN
        if isinstance(doc, list) and doc and _is_event(doc[0]):
            return CERTAIN
        if not sample.complete and text.startswith(("{", "[")) and _LOOKS_LIKE_EVENT.search(text[:20000]):
            return LIKELY
        return NO

    def groupable(self, sample: Sample) -> bool:
        """Delivered Records files are loaded many at a time (they are small and numerous)."""
        return self._shape(sample) == "records"

    def load_group(self, ctxs: list[LoadContext]) -> None:
        """Load delivered Records files together: DuckDB's JSON parser splits their Records (much
        faster and leaner than read_json on one large object), then one normalization pass for all.
        Anything unusual goes through the Python document path, file by file."""
        cur = ctxs[0].cur
        _create_records(cur)
        small = [ctx for ctx in ctxs if ctx.sample.complete]
        if small:
            # A statement per small file cost more than parsing it (delivered logs are thousands
            # of files of a few records): they go in one statement. Big ones keep one each, so a
            # group never holds more than one big file's parsed records at a time.
            temp_table(
                cur,
                _DOCS,
                [("run_id", "BIGINT"), ("doc", "VARCHAR")],
                ((ctx.run_id, ctx.whole_text()) for ctx in small),
            )
            # Two unnests in one SELECT advance together (position, record). A lateral unnest WITH
            # ORDINALITY gives the same rows but took 14 s instead of 0.06 s on eight 1,000-record files.
            with exact_pass_on_refusal():
                cur.execute(f"INSERT INTO {_RECORDS} {_SPLIT_DOCS}")
            cur.execute(f"DROP TABLE {_DOCS}")
        for ctx in ctxs:
            if not ctx.sample.complete:
                _split_big(ctx)
        self._finish(ctxs, "rec", "record")

    def load(self, ctx: LoadContext) -> None:
        shape = self._shape(ctx.sample)
        if shape == "records" and not ctx.exact:
            self.load_group([ctx])
            return
        _create_records(ctx.cur)
        if shape == "lines" and not ctx.exact:
            self._lines_fast(ctx)
            kind = "record"
        elif shape == "lines":
            self._lines_exact(ctx)
            kind = "line"
        else:
            self._document(ctx)
            kind = "record"
        self._finish([ctx], _UNWRAP, kind, exact_positions=shape == "lines" and not ctx.exact)

    @staticmethod
    def _finish(ctxs: list[LoadContext], unwrap: str, kind: str, *, exact_positions: bool = False) -> None:
        cur = ctxs[0].cur
        events.create_stage(cur)
        cur.execute(_STAGE_SQL.replace("__UNWRAP__", unwrap))
        cur.execute(f"DROP TABLE {_RECORDS}")
        if exact_positions and _has_rejects(ctxs[0]):
            raise NeedsExactPass  # rejected lines must be reported with exact line numbers
        events.finish_events(ctxs, kind)
        events.drop_stage(cur)

    @staticmethod
    def _shape(sample: Sample) -> str:
        if _RECORDS_KEY.match(sample.stripped):
            return "records"
        first = sample.first_records
        if first and "Records" in first[0]:
            return "records"
        if first and (len(sample.lines) > 1 or sample.complete):
            return "lines"
        return "document"

    def _lines_fast(self, ctx: LoadContext) -> None:
        with exact_pass_on_refusal():
            ctx.cur.execute(
                "CREATE OR REPLACE TEMP TABLE _ct_lines AS SELECT json AS rec "
                "FROM read_ndjson_objects(?, compression=?, maximum_object_size=?)",
                [str(ctx.path), "gzip" if ctx.sample.gzip else "none", ctx.config.max_record_bytes],
            )
        ctx.cur.execute(
            f"INSERT INTO {_RECORDS} SELECT {ctx.run_id:d}, "  # noqa: S608
            "rowid - (SELECT min(rowid) FROM _ct_lines) + 1 AS pos, rec FROM _ct_lines"
        )
        ctx.cur.execute("DROP TABLE _ct_lines")

    def _lines_exact(self, ctx: LoadContext) -> None:
        buffer = _RecordBuffer(ctx)
        for number, text in ctx.lines():
            try:
                value = json.loads(text)
            except ValueError as exc:
                ctx.reject(number, "line", f"invalid JSON: {exc}", text)
                continue
            buffer.add(number, value)
        buffer.close()

    def _document(self, ctx: LoadContext) -> None:
        """JSON documents read in Python: an event, an array, lookup-events output, or Records
        containers (one or several back to back)."""
        text = ctx.whole_text()
        buffer = _RecordBuffer(ctx)
        number = 0
        for doc in _json_values(text):
            for record in _records_of(doc):
                number += 1
                buffer.add(number, record)
        buffer.close()


def _json_values(text: str) -> Any:
    """Every JSON value in ``text`` (one document, or several back to back / one per line)."""
    decoder = json.JSONDecoder()
    index, end = 0, len(text)
    while True:
        while index < end and text[index] in " \t\r\n":
            index += 1
        if index >= end:
            return
        try:
            value, index = decoder.raw_decode(text, index)
        except ValueError as exc:
            raise ValueError(f"invalid JSON: {exc}") from None
        yield value


def _records_of(doc: Any) -> list[Any]:
    if isinstance(doc, dict):
        if isinstance(doc.get("Records"), list):
            return list(doc["Records"])
        if _is_lookup(doc):
            return list(doc["Events"])
        return [doc]
    if isinstance(doc, list):
        return doc
    return [doc]


def _is_lookup(doc: dict[str, Any]) -> bool:
    events_ = doc.get("Events")
    return (
        isinstance(events_, list)
        and bool(events_)
        and isinstance(events_[0], dict)
        and ("CloudTrailEvent" in events_[0])
    )


class _RecordBuffer:
    """Python-side records → the ``_ct_records`` temp table."""

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.rows = RowBuffer(ctx.cur, _RECORDS, ("run_id", "pos", "rec"))

    def add(self, pos: int, value: Any) -> None:
        self.rows.append((self.ctx.run_id, pos, json.dumps(value, separators=(",", ":"))))

    def close(self) -> None:
        self.rows.flush()


_WS = "[ \t\r\n]*"  # JSON's whitespace (``\s`` would also take Unicode spaces)
_RECORDS_OPEN = re.compile(_WS + r"\{" + _WS + r'"Records"' + _WS + ":" + _WS + r"\[" + _WS)
_NEXT = re.compile(_WS + r"([,\]])" + _WS)
_CLOSE = re.compile(_WS + r"\}" + _WS)


def _split_big(ctx: LoadContext) -> None:
    """A big Records file's records → ``_ct_records``, each as its own slice of the file's text.

    DuckDB's json_extract on the whole document held about seven times its size (300 MB for 44 MB
    of records); decoding one record at a time in Python holds one record, for 11 ms more a MB.
    Anything but one well-formed Records object goes to the exact pass, which reports the damage.
    """
    text = ctx.whole_text()
    opening = _RECORDS_OPEN.match(text)
    if opening is None:
        raise NeedsExactPass
    decoder = json.JSONDecoder()
    rows = RowBuffer(ctx.cur, _RECORDS, ("run_id", "pos", "rec"))
    index, number = opening.end(), 0
    ended = text.startswith("]", index)
    if ended:  # no records
        index += 1
    while not ended:
        try:
            _, end = decoder.raw_decode(text, index)
        except ValueError as exc:
            raise NeedsExactPass from exc
        number += 1
        rows.append((ctx.run_id, number, text[index:end]))
        after = _NEXT.match(text, end)
        if after is None:
            raise NeedsExactPass
        index, ended = after.end(), after.group(1) == "]"
    if not _CLOSE.fullmatch(text, index):
        raise NeedsExactPass  # more after the Records array (other keys, a second document)
    rows.flush()


def _create_records(cur: Cursor) -> None:
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {_RECORDS} (run_id BIGINT, pos BIGINT, rec JSON)")


def _has_rejects(ctx: LoadContext) -> bool:
    row = ctx.cur.execute(
        f"SELECT count(*) FROM {events.STAGE} WHERE reject_reason IS NOT NULL"  # noqa: S608
    ).fetchall()[0]
    return bool(row and row[0])


class CloudTrailDigest:
    """CloudTrail digest files (integrity hashes of delivered logs): recognised, nothing to load."""

    name: ClassVar[str] = "cloudtrail_digest"
    title: ClassVar[str] = "AWS CloudTrail digest (skipped)"
    target_table: ClassVar[str] = "ingest_runs"

    def sniff(self, sample: Sample) -> int:
        text = sample.stripped[:4000]
        if text.startswith("{") and '"digestStartTime"' in text and '"digestPublicKeyFingerprint"' in text:
            return CERTAIN
        return NO

    def load(self, ctx: LoadContext) -> None:
        ctx.warn("CloudTrail digest file: it holds log-file hashes, not events — nothing to load")
