"""The documented generic asset list: CSV with a header, a JSON array, ``{"assets": [...]}`` or JSON lines.

Fields (only ``kind`` and ``name`` are required):

=============== ===========================================================================
kind            model | model_version | dataset | endpoint | registry | bucket | training_job
                | notebook | feature_group | service | other
name            the asset's name
asset_id        its id; ``<kind>:<name>[@<version>]`` when absent (another inventory's
                record with the same id updates the same asset)
version         text
uri             where it lives: ``s3://bucket/prefix/``, an ARN, ``gs://...``, a URL; a URI
                ending in ``/`` (or a bucket-only ``s3://bucket``) covers everything under it
owner, classification, format                                           text
environment     prod | staging | dev | ... (``production`` → prod, ``development`` → dev)
sha256          64 hex characters (an ``sha256:`` prefix is accepted)
public          true/false, yes/no, 1/0 (anything else rejects the row)
encrypted       true/false, yes/no, 1/0 (anything else rejects the row)
locators        more URIs/ARNs that name the asset in logs and scans
allowed_writers principals allowed to write it (stored as ``write`` permissions)
allowed_readers principals allowed to read it (stored as ``read`` permissions)
trained_on, derived_from, deployed_as, stored_in
                asset ids this asset has that relation to (this asset is the source)
tags            a JSON object, or ``k=v;k2=v2``
=============== ===========================================================================

Lists (``locators``, the principals and the lineage fields) are ``;``-separated in CSV and either
JSON lists or ``;``-separated strings in JSON. Keys outside this list are kept only in the asset's raw
record (a warning names them). An empty value, ``null`` or ``-`` means "not known": it never erases what
an earlier inventory said.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from mlspm.enums import AssetKind
from mlspm.ingest.assets import (
    AssetRecord,
    Permission,
    default_asset_id,
    normalize_sha256,
    write_assets,
)
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import LIKELY, MAYBE, NO
from mlspm.ingest.source import Sample

TEXT_FIELDS = (
    "asset_id",
    "kind",
    "name",
    "version",
    "uri",
    "owner",
    "environment",
    "classification",
    "format",
    "sha256",
)
BOOL_FIELDS = ("public", "encrypted")
PRINCIPAL_FIELDS = {"allowed_writers": "write", "allowed_readers": "read"}
LINEAGE_FIELDS = ("trained_on", "derived_from", "deployed_as", "stored_in")
FIELDS = (*TEXT_FIELDS, *BOOL_FIELDS, "locators", *PRINCIPAL_FIELDS, *LINEAGE_FIELDS, "tags")

_KINDS = tuple(k.value for k in AssetKind)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_MISSING = frozenset({"", "-"})
_EVENT_KEYS = {"ts", "action"}
_JSON_HEAD = re.compile(r'\s*(\[\s*\{|\{\s*"assets"\s*:\s*\[)')


class BadRow(ValueError):
    """A row that cannot become an asset; the message is the reject reason."""


class GenericAssets:
    """A generic asset inventory (CSV or JSON) in mlspm's documented fields."""

    name: ClassVar[str] = "generic_assets"
    title: ClassVar[str] = "generic asset list"
    target_table: ClassVar[str] = "assets"

    def sniff(self, sample: Sample) -> int:
        records = sample.first_records
        if records:
            if isinstance(records[0].get("assets"), list):
                return LIKELY if _looks_like_assets(records[0]["assets"]) else NO
            return LIKELY if _looks_like_assets(records[:5]) else NO
        if sample.stripped.startswith(("[", "{")):
            doc = sample.document
            if isinstance(doc, dict):
                doc = doc.get("assets")
            if isinstance(doc, list):
                return LIKELY if _looks_like_assets(doc[:5]) else NO
            # Too large for the sample, or malformed (loading then names the line): judge by its head.
            head = sample.text[:65536]
            if (
                sample.document is None
                and _JSON_HEAD.match(head)
                and '"bomFormat"' not in head
                and re.search(r'"kind"\s*:', head)
                and re.search(r'"name"\s*:', head)
            ):
                return MAYBE
            return NO
        header = _csv_header(sample)
        if header and {"kind", "name"} <= set(header) and not set(header) >= _EVENT_KEYS:
            return LIKELY
        return NO

    def load(self, ctx: LoadContext) -> None:
        text = ctx.whole_text()
        is_json = text.lstrip().startswith(("[", "{"))
        rows = _json_rows(text) if is_json else _csv_rows(text)
        records: list[AssetRecord] = []
        unknown: set[str] = set()
        for row in rows:
            if row.fields is None:
                ctx.reject(row.position, row.kind, row.error or "unreadable", row.raw)
                continue
            unknown.update(k for k in row.fields if k not in FIELDS)
            # The raw record is JSON like every inventory's: a CSV row becomes an object of its cells.
            raw_json = row.raw if is_json else json.dumps(row.fields, ensure_ascii=False)
            try:
                records.append(to_record(row.fields, raw_json))
            except BadRow as exc:
                ctx.reject(row.position, row.kind, str(exc), row.raw)
        if unknown:
            ctx.warn(
                "keys not in the generic asset format were kept only in each asset's raw record: "
                + ", ".join(sorted(unknown)[:10])
            )
        write_assets(ctx, records)


@dataclass(frozen=True)
class Row:
    """One input record: its fields, or the reason it could not even be read as one."""

    position: int
    kind: str
    """``line`` or ``record``: what ``position`` counts."""
    raw: str
    fields: dict[str, Any] | None
    error: str | None = None


def _json_rows(text: str) -> Iterator[Row]:
    """Rows of a JSON array, an ``{"assets": [...]}`` object or JSON lines."""
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("["):
            raise ValueError(_json_error(exc)) from None
        first = next((line for line in text.split("\n") if line.strip()), "")
        try:
            json.loads(first)
        except json.JSONDecodeError:
            # Not even the first line is a record: one pretty-printed document that is broken.
            raise ValueError(_json_error(exc)) from None
        yield from _json_lines(text)
        return
    if isinstance(doc, dict) and "assets" in doc:
        doc = doc["assets"]
        if not isinstance(doc, list):
            raise ValueError('"assets" is not a list of asset objects')
    if isinstance(doc, dict):
        doc = [doc]  # a single asset (or a one-line JSON lines file)
    if not isinstance(doc, list):
        raise ValueError(f"a JSON {type(doc).__name__}, not a list of asset objects")
    for number, item in enumerate(doc, start=1):
        raw = json.dumps(item, ensure_ascii=False)
        if isinstance(item, dict):
            yield Row(number, "record", raw, item)
        else:
            yield Row(number, "record", raw, None, f"a JSON {type(item).__name__}, not an object")


def _json_lines(text: str) -> Iterator[Row]:
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(number, "line", line, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if isinstance(item, dict):
            yield Row(number, "line", line, item)
        else:
            yield Row(number, "line", line, None, f"a JSON {type(item).__name__}, not an object")


def _csv_rows(text: str) -> Iterator[Row]:
    """Rows of a CSV file with a header; an empty cell is missing."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    missing = [f for f in ("kind", "name") if f not in header]
    if missing:
        raise ValueError(f"the CSV header has no {' or '.join(missing)} column")
    line_start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell over the csv module's size limit: that row only
            number, line_start = line_start, reader.line_num + 1
            yield Row(number, "line", "", None, f"unreadable CSV: {exc}")
            continue
        number, line_start = line_start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        raw = _csv_text(row)
        if len(row) != len(header):
            yield Row(number, "line", raw, None, f"has {len(row)} cells, the header has {len(header)}")
            continue
        yield Row(
            number, "line", raw, {name: cell for name, cell in zip(header, row) if name and cell.strip()}
        )


def to_record(fields: dict[str, Any], raw: str | None = None) -> AssetRecord:
    """One asset from a row's fields; raises BadRow with the reason when it cannot be one."""
    text = {name: _text(fields.get(name), name) for name in TEXT_FIELDS}
    kind = (text["kind"] or "").lower()
    if not kind:
        raise BadRow("missing kind")
    if kind not in _KINDS:
        raise BadRow(f"kind {_show(text['kind'])} is not one of: {', '.join(_KINDS)}")
    name = text["name"]
    if not name:
        raise BadRow("missing name")
    sha = None
    if text["sha256"]:
        sha = normalize_sha256(text["sha256"])
        if sha is None:
            raise BadRow(f"sha256 {_show(text['sha256'])} is not 64 hex characters")
    flags = {name: _bool(fields.get(name), name) for name in BOOL_FIELDS}
    record = AssetRecord(
        asset_id=text["asset_id"] or default_asset_id(kind, name, text["version"]),
        kind=kind,
        name=name,
        version=text["version"],
        uri=text["uri"],
        owner=text["owner"],
        environment=text["environment"],
        classification=text["classification"],
        format=text["format"],
        sha256=sha,
        public=flags["public"],
        encrypted=flags["encrypted"],
        tags=_tags(fields.get("tags")),
        raw=raw if raw is not None else json.dumps(fields, ensure_ascii=False, default=str),
        locators=_items(fields.get("locators"), "locators"),
    )
    for field_name, privilege in PRINCIPAL_FIELDS.items():
        for principal in _items(fields.get(field_name), field_name):
            record.permissions.append(Permission(principal, privilege))
    for relation in LINEAGE_FIELDS:
        for dst in _items(fields.get(relation), relation):
            record.lineage.append((relation, dst))
    return record


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise BadRow(f"{name} must be text, not a JSON {type(value).__name__}")
    value = value.strip()
    return None if value in _MISSING else value


def _bool(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _MISSING:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadRow(f"{name} {_show(value)} is not true/false, yes/no or 1/0")


def _items(value: Any, name: str) -> list[str]:
    """A list field: a JSON list, or a ``;``-separated string."""
    if value is None:
        return []
    parts: list[Any] = value if isinstance(value, list) else str(value).split(";")
    items: list[str] = []
    for part in parts:
        if isinstance(part, dict | list):
            raise BadRow(f"{name} must list text values, not a JSON {type(part).__name__}")
        item = "" if part is None else str(part).strip()
        if item and item not in _MISSING:
            items.append(item)
    return items


def _tags(value: Any) -> dict[str, Any]:
    """A JSON object, or ``k=v;k2=v2`` text."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise BadRow(f"tags must be a JSON object or k=v;k2=v2 text, not a JSON {type(value).__name__}")
    text = value.strip()
    if text in _MISSING:
        return {}
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRow(f"tags is not a valid JSON object: {exc.msg}") from None
        if not isinstance(parsed, dict):
            raise BadRow("tags must be a JSON object")
        return parsed
    tags: dict[str, Any] = {}
    for pair in text.split(";"):
        if not pair.strip():
            continue
        key, sep, val = pair.partition("=")
        if not sep or not key.strip():
            raise BadRow(f"tags: {_show(pair.strip())} is not k=v")
        tags[key.strip()] = val.strip()
    return tags


def _looks_like_assets(items: list[Any]) -> bool:
    """Objects with ``kind`` and ``name`` that are not generic access events (``ts`` + ``action``)."""
    return bool(items) and all(
        isinstance(r, dict) and {"kind", "name"} <= r.keys() and not r.keys() >= _EVENT_KEYS for r in items
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


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


def _show(value: Any) -> str:
    """A value quoted for a reject reason, cut short."""
    return json.dumps(str(value)[:60], ensure_ascii=False)
