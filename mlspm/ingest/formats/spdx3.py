"""SPDX 3.0 JSON-LD with the AI and Dataset profiles: AI packages and datasets become assets."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, ClassVar

from mlspm.enums import AssetKind
from mlspm.ingest.assets import AssetRecord, default_asset_id, normalize_sha256, write_assets
from mlspm.ingest.assets import text_value as _text
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, MAYBE, NO
from mlspm.ingest.source import Sample

AI_PACKAGE = "ai_AIPackage"
DATASET_PACKAGE = "dataset_DatasetPackage"
PACKAGE = "software_Package"
FILE = "software_File"

_CONTEXT = re.compile(r'"@context"\s*:\s*(?:\[[^\]]*)?"https?://spdx\.org/rdf/3\.')
_ML_TYPE = re.compile(r'"(?:@?type)"\s*:\s*"(?:ai_AIPackage|dataset_DatasetPackage)"|/terms/(?:AI|Dataset)/')
# Download locations that say "unknown" rather than a place.
_NO_LOCATION = frozenset({"NOASSERTION", "NONE"})
# Purposes of a package that make it an ML asset even without the AI/Dataset profile types.
_PURPOSE_KIND = {"model": AssetKind.MODEL, "data": AssetKind.DATASET}
# A file stands for the asset containing it in lineage only if it is (part of) a model or data:
# a training script that "generates" a data file does not make the dataset derive from the model.
_ML_FILE_PURPOSES = frozenset({"model", "data"})
_MAX_CONTAINS_DEPTH = 64


class Spdx3:
    """SPDX 3.0.x JSON-LD documents with ``ai_AIPackage`` / ``dataset_DatasetPackage`` elements."""

    name: ClassVar[str] = "spdx3"
    title: ClassVar[str] = "SPDX 3 AI/Dataset BOM"
    target_table: ClassVar[str] = "assets"

    def sniff(self, sample: Sample) -> int:
        if not sample.stripped.startswith("{") or not _CONTEXT.search(sample.text):
            return NO
        if '"@graph"' not in sample.text:
            return NO
        if _ML_TYPE.search(sample.text):
            return CERTAIN
        # SPDX 3 without an AI or dataset element in the sample: when the sample is the whole file,
        # claim it weakly so it is rejected with that reason; else the elements may come later.
        return MAYBE if sample.complete else LIKELY

    def load(self, ctx: LoadContext) -> None:
        text = ctx.whole_text()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        graph = doc.get("@graph") if isinstance(doc, dict) else None
        if not isinstance(graph, list):
            raise ValueError('not an SPDX 3 JSON-LD document: no "@graph" list of elements')
        _Graph(ctx, graph, text).load()


def element_type(element: dict[str, Any]) -> str:
    """The compact type name (``ai_AIPackage``), also for full IRIs (``.../terms/AI/AIPackage``)."""
    value = element.get("type", element.get("@type"))
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if not isinstance(value, str):
        return ""
    if "/terms/" in value:
        profile, _, cls = value.rsplit("/terms/", 1)[1].rpartition("/")
        return cls if profile in ("", "Core") else f"{profile.lower()}_{cls}"
    return value.removeprefix("spdx:")


def element_id(element: dict[str, Any]) -> str | None:
    value = element.get("spdxId", element.get("@id"))
    return value if isinstance(value, str) and value else None


class _Graph:
    """One pass over the elements to index them, then assets, then relationships, then one write."""

    def __init__(self, ctx: LoadContext, graph: list[Any], text: str) -> None:
        self.ctx = ctx
        self.graph = graph
        self.text = text
        self.by_id: dict[str, dict[str, Any]] = {}
        self.assets: dict[str, AssetRecord] = {}
        """Element id -> the asset it is (several ids may name one asset)."""
        self.records: list[AssetRecord] = []
        self.parent: dict[str, str] = {}
        """Element id -> the element that ``contains`` it."""
        self.not_assets: Counter[str] = Counter()
        self.unresolved: Counter[str] = Counter()

    def load(self) -> None:
        elements: list[tuple[int, dict[str, Any]]] = []
        for number, element in enumerate(self.graph, start=1):
            if not isinstance(element, dict):
                self.ctx.reject(
                    number,
                    "record",
                    f"@graph element #{number} is a JSON {type(element).__name__}, not an object",
                    json.dumps(element, ensure_ascii=False),
                )
                continue
            elements.append((number, element))
            ident = element_id(element)
            if ident:
                self.by_id.setdefault(ident, element)
        relationships = [e for _, e in elements if element_type(e).endswith("Relationship")]
        for rel in relationships:
            if rel.get("relationshipType") == "contains":
                for child in _ids(rel.get("to")):
                    if isinstance(rel.get("from"), str):
                        self.parent.setdefault(child, rel["from"])
        # AI/Dataset profile packages first: a plain package describing the same model joins them.
        for number, element in elements:
            if element_type(element) in (AI_PACKAGE, DATASET_PACKAGE):
                self._asset(number, element)
        for number, element in elements:
            etype = element_type(element)
            if etype == PACKAGE and self._purpose_kind(element):
                self._asset(number, element)
            elif etype not in (AI_PACKAGE, DATASET_PACKAGE) and not etype.endswith("Relationship"):
                self.not_assets[etype or "untyped"] += 1
        if not self.records:
            if self.ctx.counts.rejected == 0:
                kinds = ", ".join(f"{t}: {c}" for t, c in sorted(self.not_assets.items())) or "none"
                self.ctx.reject(
                    None,
                    "file",
                    "an SPDX 3 document without AI packages or datasets (ai_AIPackage, "
                    f"dataset_DatasetPackage): nothing for the ML inventory (elements: {kinds})",
                    self.text,
                )
            return
        self._file_hashes()
        for rel in relationships:
            self._relationship(rel)
        if self.unresolved:
            kinds = ", ".join(f"{t}: {c}" for t, c in sorted(self.unresolved.items()))
            self.ctx.warn(
                f"{sum(self.unresolved.values())} relationship(s) between elements that are not ML assets "
                f"gave no lineage ({kinds})"
            )
        write_assets(self.ctx, self.records)

    # -- assets ----------------------------------------------------------------------------------
    def _purpose_kind(self, element: dict[str, Any]) -> str | None:
        purpose = element.get("software_primaryPurpose")
        return _PURPOSE_KIND.get(purpose) if isinstance(purpose, str) else None

    def _asset(self, number: int, element: dict[str, Any]) -> None:
        etype = element_type(element)
        kind = {AI_PACKAGE: AssetKind.MODEL, DATASET_PACKAGE: AssetKind.DATASET}.get(etype) or str(
            self._purpose_kind(element)
        )
        name = _text(element.get("name"))
        ident = element_id(element)
        if name is None:
            self.ctx.reject(
                number, "record", f"an {etype} without a name", json.dumps(element, ensure_ascii=False)
            )
            return
        if etype == PACKAGE:
            # A plain package for a model the document also describes with the AI profile (the same
            # name) is that model: its locations and files join it instead of making a second asset.
            twin = next((r for r in self.records if r.kind == kind and r.name == name), None)
            if twin is not None:
                twin.locators.extend(_locations(element))
                twin.tags.setdefault("spdx_ids", []).append(ident)
                if ident:
                    self.assets[ident] = twin
                return
        version = _text(element.get("software_packageVersion"))
        record = AssetRecord(
            asset_id=default_asset_id(kind, name, version if kind == AssetKind.MODEL else None),
            kind=kind,
            name=name,
            version=version,
            raw=json.dumps(element, ensure_ascii=False),
        )
        locations = _locations(element)
        record.uri = locations[0] if locations else None
        record.locators.extend(locations)
        tags: dict[str, Any] = {"spdx_type": etype}
        if ident:
            tags["spdx_ids"] = [ident]
            self.assets[ident] = record
        hashes = _hashes(element)
        if hashes:
            tags["hashes"] = hashes
            record.sha256 = normalize_sha256(hashes.get("sha256"))
        purl = _text(element.get("software_packageUrl"))
        if purl:
            tags["purl"] = purl
        for key, tag in (("suppliedBy", "supplier"), ("originatedBy", "originator")):
            names = [self._agent_name(v) for v in _ids(element.get(key))]
            if names:
                tags[tag] = names[0] if key == "suppliedBy" else names
        for key, tag in (
            ("releaseTime", "released"),
            ("builtTime", "built"),
            ("validUntilTime", "valid_until"),
            ("software_primaryPurpose", "purpose"),
            ("ai_autonomyType", "autonomy_type"),
            ("ai_safetyRiskAssessment", "safety_risk_assessment"),
            ("ai_useSensitivePersonalInformation", "uses_sensitive_personal_information"),
            ("ai_informationAboutApplication", "application"),
            ("ai_limitation", "limitation"),
            ("dataset_datasetSize", "dataset_size"),
            ("dataset_intendedUse", "intended_use"),
            ("dataset_datasetAvailability", "availability"),
            ("dataset_hasSensitivePersonalInformation", "has_sensitive_personal_information"),
            ("summary", "summary"),
        ):
            value = element.get(key)
            if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
                tags[tag] = value
        for key, tag in (
            ("ai_typeOfModel", "type_of_model"),
            ("ai_domain", "domain"),
            ("ai_standardCompliance", "standard_compliance"),
            ("dataset_datasetType", "dataset_type"),
        ):
            values = [v for v in _list(element.get(key)) if isinstance(v, str)]
            if values:
                tags[tag] = values
        metrics = _entries(element.get("ai_metric"))
        if metrics:
            tags["metrics"] = {k: v[:200] for k, v in metrics.items()}
        created = self._created(element.get("creationInfo"))
        if created:
            tags["created"] = created
        # TLP-style levels (red/amber/green/clear) are the dataset's classification.
        record.classification = _text(element.get("dataset_confidentialityLevel"))
        record.tags = tags
        self.records.append(record)

    def _agent_name(self, ident: str) -> str:
        agent = self.by_id.get(ident)
        name = _text(agent.get("name")) if agent else None
        return name or ident

    def _created(self, value: Any) -> str | None:
        info = self.by_id.get(value) if isinstance(value, str) else value
        return _text(info.get("created")) if isinstance(info, dict) else None

    def _file_hashes(self) -> None:
        """sha256 of model/data files inside an asset identify it: scans of those files link to it."""
        for ident, element in self.by_id.items():
            if element_type(element) != FILE or not self._ml_file(element):
                continue
            record = self._owner(ident)
            if record is None:
                continue
            digest = normalize_sha256(_hashes(element).get("sha256"))
            if digest:
                record.locators.append(digest)
            name = _text(element.get("name"))
            files = record.tags.setdefault("files", [])
            if name and name not in files and len(files) < 100:
                files.append(name)

    # -- relationships ---------------------------------------------------------------------------
    def _relationship(self, rel: dict[str, Any]) -> None:
        rtype = _text(rel.get("relationshipType")) or "?"
        if rtype == "contains":
            return  # consumed: files are resolved to the asset that contains them
        source = rel.get("from")
        src = self._resolve(source) if isinstance(source, str) else None
        targets = _ids(rel.get("to"))
        if rtype in ("hasDeclaredLicense", "hasConcludedLicense"):
            if src is not None:
                key = "licenses_declared" if rtype == "hasDeclaredLicense" else "licenses_concluded"
                for target in targets:
                    _append(src.tags, key, self._license(target))
            return
        resolved = [(t, self._resolve(t)) for t in targets]
        hits = [dst for _, dst in resolved if dst is not None and dst is not src]
        if src is None or not hits:
            self.unresolved[rtype] += 1
            return
        for dst in hits:
            if rtype == "trainedOn":
                src.lineage.append(("trained_on", dst.asset_id))
            elif rtype in ("testedOn", "validatedOn"):
                _append(src.tags, "tested_on" if rtype == "testedOn" else "validated_on", dst.asset_id)
            elif rtype in ("dependsOn", "hasDataFile", "usesTool", "hasInput"):
                src.lineage.append(("depends_on", dst.asset_id))
            elif rtype in ("descendantOf", "variantOf"):
                src.lineage.append(("derived_from", dst.asset_id))
            elif rtype in ("ancestorOf", "generates", "hasOutput"):
                dst.lineage.append(("derived_from", src.asset_id))
            else:
                _append(src.tags, f"spdx_{rtype}", dst.asset_id)

    def _ml_file(self, element: dict[str, Any]) -> bool:
        purpose = element.get("software_primaryPurpose")
        return purpose is None or purpose in _ML_FILE_PURPOSES

    def _resolve(self, ident: str) -> AssetRecord | None:
        """The asset an element is, or (for a model/data file) the asset that contains it."""
        if ident in self.assets:
            return self.assets[ident]
        element = self.by_id.get(ident)
        if element is None or element_type(element) != FILE or not self._ml_file(element):
            return None
        return self._owner(ident)

    def _owner(self, ident: str) -> AssetRecord | None:
        seen: set[str] = set()
        current: str | None = ident
        while current is not None and current not in seen and len(seen) < _MAX_CONTAINS_DEPTH:
            if current in self.assets:
                return self.assets[current]
            seen.add(current)
            current = self.parent.get(current)
        return None

    def _license(self, ident: str) -> str:
        element = self.by_id.get(ident)
        if element is not None:
            for key in (
                "simplelicensing_licenseExpression",
                "expandedlicensing_licenseId",
                "name",
            ):
                value = _text(element.get(key))
                if value:
                    return value
        if ident.startswith(("https://spdx.org/licenses/", "http://spdx.org/licenses/")):
            return ident.rstrip("/").rsplit("/", 1)[-1]
        return ident


def _locations(element: dict[str, Any]) -> list[str]:
    """Where the package can be fetched, most specific first: download location, purl, home page."""
    found: list[str] = []
    for key in ("software_downloadLocation", "software_packageUrl", "software_homePage"):
        value = _text(element.get(key))
        if value and value.upper() not in _NO_LOCATION and value not in found:
            found.append(value)
    for ext in _list(element.get("externalIdentifier")):
        if not isinstance(ext, dict):
            continue
        if ext.get("externalIdentifierType") in ("packageUrl", "swhid", "gitoid", "urlScheme"):
            value = _text(ext.get("identifier"))
            if value and value not in found:
                found.append(value)
    return found


def _hashes(element: dict[str, Any]) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for item in _list(element.get("verifiedUsing")):
        if isinstance(item, dict):
            alg, value = _text(item.get("algorithm")), _text(item.get("hashValue"))
            if alg and value:
                hashes[alg.lower().replace("-", "").replace("_", "")] = value
    return hashes


def _entries(value: Any) -> dict[str, str]:
    """SPDX DictionaryEntry lists (``[{key, value}]``) as a mapping."""
    out: dict[str, str] = {}
    for item in _list(value):
        if isinstance(item, dict) and _text(item.get("key")):
            out[str(_text(item.get("key")))] = str(item.get("value", ""))
    return out


def _ids(value: Any) -> list[str]:
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v]


def _append(tags: dict[str, Any], key: str, value: str) -> None:
    values = tags.setdefault(key, [])
    if value not in values:
        values.append(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
