"""CycloneDX ML-BOM JSON (1.5–1.7): models and datasets become assets; model cards, dependencies lineage."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, ClassVar

from mlspm.enums import AssetKind
from mlspm.ingest.assets import (
    AssetRecord,
    default_asset_id,
    normalize_environment,
    normalize_sha256,
    write_assets,
)
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, NO
from mlspm.ingest.source import Sample

MODEL_TYPE = "machine-learning-model"
DATA_TYPE = "data"
KNOWN_SPEC_VERSIONS = ("1.5", "1.6", "1.7")

# The reference that best says where the artifact itself lives comes first; all of them become locators.
_REF_PREFERENCE = ("distribution", "distribution-intake", "vcs", "website")

# Property names (after dropping a "vendor:" prefix, lower-cased, '-' as '_') that fill asset columns.
_PROPERTY_COLUMNS = {
    "owner": "owner",
    "asset_owner": "owner",
    "environment": "environment",
    "env": "environment",
    "classification": "classification",
    "data_classification": "classification",
    "format": "format",
    "model_format": "format",
    "file_format": "format",
    "public": "public",
    "encrypted": "encrypted",
}
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class CycloneDX:
    """CycloneDX ML-BOM JSON: one asset per ``machine-learning-model`` or ``data`` component."""

    name: ClassVar[str] = "cyclonedx"
    title: ClassVar[str] = "CycloneDX ML-BOM"
    target_table: ClassVar[str] = "assets"

    def sniff(self, sample: Sample) -> int:
        if sample.stripped.startswith("{") and '"bomFormat"' in sample.text and '"CycloneDX"' in sample.text:
            return CERTAIN
        return NO

    def load(self, ctx: LoadContext) -> None:
        text = ctx.whole_text()
        bom = parse_lenient(ctx, text)
        if not isinstance(bom, dict) or bom.get("bomFormat") != "CycloneDX":
            raise ValueError('not a CycloneDX JSON document (no top-level "bomFormat": "CycloneDX")')
        spec = bom.get("specVersion")
        if str(spec) not in KNOWN_SPEC_VERSIONS:
            ctx.warn(f"specVersion {spec!r} is not one of {', '.join(KNOWN_SPEC_VERSIONS)}; read as 1.7")
        _Bom(ctx, bom).load()


def parse_lenient(ctx: LoadContext, text: str) -> Any:
    """Parse JSON; on failure retry with trailing commas blanked out (the public bom-examples have them).

    A comma is replaced by a space, so the line and column of a remaining error are still the file's own.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as first:
        repaired, count = blank_trailing_commas(text)
        if not count:
            raise ValueError(_json_error(first)) from None
        try:
            value = json.loads(repaired)
        except json.JSONDecodeError as second:
            raise ValueError(_json_error(second)) from None
    ctx.warn(f"the file is not valid JSON: {count} trailing comma(s) before '}}' or ']' were ignored")
    return value


def _json_error(exc: json.JSONDecodeError) -> str:
    return f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


# A JSON string (skipped as a whole, so commas inside strings are never touched) or a trailing comma.
_STRING_OR_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=[ \t\r\n]*[}\]])', re.DOTALL)


def blank_trailing_commas(text: str) -> tuple[str, int]:
    """``text`` with every ``,`` that is followed (after whitespace) by ``}`` or ``]`` outside strings
    replaced by a space, and how many there were."""
    count = 0

    def blank(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != ",":
            return match.group()
        count += 1
        return " "

    repaired = _STRING_OR_TRAILING_COMMA.sub(blank, text)
    return (repaired, count) if count else (text, 0)


class _Bom:
    """The walk over one parsed BOM: records, bom-ref map and edges, then one write."""

    def __init__(self, ctx: LoadContext, bom: dict[str, Any]) -> None:
        self.ctx = ctx
        self.bom = bom
        self.records: list[AssetRecord] = []
        self.inline: list[AssetRecord] = []
        """Datasets inline in a model card; written first so a full component of the same name wins."""
        self.by_ref: dict[str, AssetRecord] = {}
        self.model_dataset_refs: list[tuple[AssetRecord, str]] = []
        self.skipped: Counter[str] = Counter()

    def load(self) -> None:
        components = self.bom.get("components")
        if components is not None and not isinstance(components, list):
            raise ValueError('"components" is not a list')
        meta = self.bom.get("metadata")
        subject = meta.get("component") if isinstance(meta, dict) else None
        if isinstance(subject, dict) and subject.get("type") in (MODEL_TYPE, DATA_TYPE):
            # The BOM may describe the model itself; it is an asset like any listed component.
            if _text(subject.get("name")):
                self._component(subject, None)
            else:
                self.ctx.warn(f"metadata.component is a {subject.get('type')} without a name: not loaded")
        for number, component in _walk(components or []):
            self._component(component, number)
        self._resolve_dataset_refs()
        self._dependencies()
        if self.skipped:
            kinds = ", ".join(f"{t}: {c}" for t, c in sorted(self.skipped.items()))
            self.ctx.warn(
                f"{sum(self.skipped.values())} component(s) that are not ML assets were not loaded ({kinds})"
            )
        write_assets(self.ctx, [*self.inline, *self.records])

    def _component(self, component: Any, number: int | None) -> None:
        if not isinstance(component, dict):
            if number is not None:
                self.ctx.reject(
                    number,
                    "record",
                    f"component is a JSON {type(component).__name__}, not an object",
                    json.dumps(component),
                )
            return
        ctype = component.get("type")
        if ctype not in (MODEL_TYPE, DATA_TYPE):
            self.skipped[str(ctype) if ctype else "no type"] += 1
            return
        name = _text(component.get("name"))
        if name is None:
            if number is not None:
                self.ctx.reject(
                    number,
                    "record",
                    f"a {ctype} component without a name",
                    json.dumps(component, ensure_ascii=False),
                )
            return
        record = self._model(component, name) if ctype == MODEL_TYPE else self._dataset(component, name)
        self.records.append(record)
        refs = [component.get("bom-ref")]
        card = component.get("modelCard")
        if isinstance(card, dict):
            refs.append(card.get("bom-ref"))
        for item in _dicts(component.get("data")):
            refs.append(item.get("bom-ref"))
        for ref in refs:
            if isinstance(ref, str) and ref:
                self.by_ref.setdefault(ref, record)

    def _base(self, component: dict[str, Any], kind: str, name: str) -> AssetRecord:
        version = _text(component.get("version"))
        asset_id = default_asset_id(kind, name, version if kind == AssetKind.MODEL else None)
        record = AssetRecord(
            asset_id=asset_id,
            kind=kind,
            name=name,
            version=version,
            raw=json.dumps(component, ensure_ascii=False),
        )
        urls = _external_urls(component)
        record.uri = urls[0] if urls else None
        record.locators.extend(urls)
        purl = _text(component.get("purl"))
        if purl:
            record.locators.append(purl)
            record.tags["purl"] = purl
        hashes = {}
        for h in _dicts(component.get("hashes")):
            alg, content = _text(h.get("alg")), _text(h.get("content"))
            if alg and content:
                hashes[alg] = content
                if alg.upper().replace("_", "-") == "SHA-256" and normalize_sha256(content):
                    record.sha256 = normalize_sha256(content)
        if hashes:
            record.tags["hashes"] = hashes
        for key in ("group", "publisher", "author"):
            value = _text(component.get(key))
            if value:
                record.tags[key] = value
        for key in ("supplier", "manufacturer"):
            org = component.get(key)
            if isinstance(org, dict) and _text(org.get("name")):
                record.tags[key] = _text(org.get("name"))
        licenses = _licenses(component.get("licenses"))
        if licenses:
            record.tags["licenses"] = licenses
        tags = [t for t in _list(component.get("tags")) if isinstance(t, str)]
        if tags:
            record.tags["tags"] = tags
        _apply_properties(record, component.get("properties"))
        return record

    def _model(self, component: dict[str, Any], name: str) -> AssetRecord:
        record = self._base(component, AssetKind.MODEL, name)
        card = component.get("modelCard")
        if not isinstance(card, dict):
            return record
        _apply_properties(record, card.get("properties"), fill_only=True)
        params = card.get("modelParameters")
        if not isinstance(params, dict):
            return record
        approach = params.get("approach")
        if isinstance(approach, dict) and _text(approach.get("type")):
            record.tags["approach"] = _text(approach.get("type"))
        for key, tag in (
            ("task", "task"),
            ("architectureFamily", "architecture_family"),
            ("modelArchitecture", "model_architecture"),
        ):
            if _text(params.get(key)):
                record.tags[tag] = _text(params.get(key))
        inputs = _formats(params.get("inputs"))
        outputs = _formats(params.get("outputs"))
        if inputs:
            record.tags["inputs"] = inputs
        if outputs:
            record.tags["outputs"] = outputs
        if record.format is None and (inputs or outputs):
            record.format = f"{','.join(inputs) or '?'} -> {','.join(outputs) or '?'}"
        for k, item in enumerate(_list(params.get("datasets")), start=1):
            if not isinstance(item, dict):
                continue
            ref = item.get("ref")
            if isinstance(ref, str) and ref:
                self.model_dataset_refs.append((record, ref))
                continue
            dataset_name = _text(item.get("name"))
            if dataset_name is None:
                self.ctx.warn(
                    f"model {record.asset_id}: modelCard dataset #{k} has neither a name nor a "
                    "ref; no trained_on edge for it"
                )
                continue
            dataset = self._inline_dataset(item, dataset_name)
            self.inline.append(dataset)
            record.lineage.append(("trained_on", dataset.asset_id))
        return record

    def _dataset(self, component: dict[str, Any], name: str) -> AssetRecord:
        record = self._base(component, AssetKind.DATASET, name)
        for item in _dicts(component.get("data")):
            _apply_data(record, item)
        return record

    def _inline_dataset(self, item: dict[str, Any], name: str) -> AssetRecord:
        record = AssetRecord(
            asset_id=default_asset_id(AssetKind.DATASET, name, None),
            kind=AssetKind.DATASET,
            name=name,
            raw=json.dumps(item, ensure_ascii=False),
        )
        _apply_data(record, item)
        return record

    def _resolve_dataset_refs(self) -> None:
        for model, ref in self.model_dataset_refs:
            target = self.by_ref.get(ref)
            if target is None or target.kind != AssetKind.DATASET:
                self.ctx.warn(
                    f"model {model.asset_id}: modelCard dataset ref {ref!r} names no dataset "
                    "component in this BOM; no trained_on edge for it"
                )
            else:
                model.lineage.append(("trained_on", target.asset_id))

    def _dependencies(self) -> None:
        for dep in _dicts(self.bom.get("dependencies")):
            ref = dep.get("ref")
            src = self.by_ref.get(ref) if isinstance(ref, str) else None
            if src is None:
                continue  # an application or library: not an asset, so no edge
            for target in _list(dep.get("dependsOn")):
                dst = self.by_ref.get(target) if isinstance(target, str) else None
                if dst is not None and dst is not src:
                    src.lineage.append(("depends_on", dst.asset_id))


def _walk(components: list[Any]) -> Iterator[tuple[int, Any]]:
    """Every component, nested ``components`` included, numbered 1, 2, ... in document order."""
    number = 0
    stack: list[Iterator[Any]] = [iter(components)]
    while stack:
        component = next(stack[-1], _END)
        if component is _END:
            stack.pop()
            continue
        number += 1
        yield number, component
        if isinstance(component, dict) and isinstance(component.get("components"), list):
            stack.append(iter(component["components"]))


_END = object()


def _apply_data(record: AssetRecord, item: dict[str, Any]) -> None:
    """Fill a dataset from a ``data[]`` entry or an inline model-card dataset: URL, classification, owner."""
    contents = item.get("contents")
    url = _text(contents.get("url")) if isinstance(contents, dict) else None
    if url:
        record.locators.append(url)
        if record.uri is None:
            record.uri = url
    classification = _text(item.get("classification"))
    if classification and record.classification is None:
        record.classification = classification
    governance = item.get("governance")
    if record.owner is None and isinstance(governance, dict):
        for entity in _dicts(governance.get("owners")):
            org, contact = entity.get("organization"), entity.get("contact")
            owner = (_text(org.get("name")) if isinstance(org, dict) else None) or (
                _text(contact.get("email")) or _text(contact.get("name"))
                if isinstance(contact, dict)
                else None
            )
            if owner:
                record.owner = owner
                break


def _apply_properties(record: AssetRecord, properties: Any, *, fill_only: bool = False) -> None:
    """Known property names fill columns (``mlspm:owner`` = ``owner``); the rest are kept as tags."""
    for prop in _dicts(properties):
        name, value = _text(prop.get("name")), _text(prop.get("value"))
        if name is None or value is None:
            continue
        key = name.rsplit(":", 1)[-1].strip().lower().replace("-", "_")
        column = _PROPERTY_COLUMNS.get(key)
        if column is None:
            known = record.tags.get(name)
            if known is None:
                record.tags[name] = value
            elif isinstance(known, list):
                known.append(value)
            else:
                record.tags[name] = [known, value]
            continue
        if fill_only and getattr(record, column) is not None:
            continue
        if column in ("public", "encrypted"):
            flag = value.lower()
            if flag in _TRUE or flag in _FALSE:
                setattr(record, column, flag in _TRUE)
            else:
                record.tags[name] = value
        elif column == "environment":
            record.environment = normalize_environment(value)
        else:
            setattr(record, column, value)


def _external_urls(component: dict[str, Any]) -> list[str]:
    """Every externalReferences URL, the preferred types first."""
    refs = [r for r in _dicts(component.get("externalReferences")) if _text(r.get("url"))]

    def rank(ref: dict[str, Any]) -> int:
        kind = ref.get("type")
        return _REF_PREFERENCE.index(kind) if kind in _REF_PREFERENCE else len(_REF_PREFERENCE)

    urls: list[str] = []
    for ref in sorted(refs, key=rank):  # sorted() is stable: document order within a type
        url = _text(ref.get("url"))
        if url and url not in urls:
            urls.append(url)
    return urls


def _licenses(value: Any) -> list[str]:
    names: list[str] = []
    for entry in _dicts(value):
        lic = entry.get("license")
        if isinstance(lic, dict):
            name = _text(lic.get("id")) or _text(lic.get("name"))
            if name:
                names.append(name)
        elif _text(entry.get("expression")):
            names.append(str(_text(entry.get("expression"))))
    return names


def _formats(value: Any) -> list[str]:
    return [f for f in (_text(item.get("format")) for item in _dicts(value)) if f]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in _list(value) if isinstance(item, dict)]


def _text(value: Any) -> str | None:
    """A non-empty string (numbers are accepted as text), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
