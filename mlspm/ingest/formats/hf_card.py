"""Hugging Face model and dataset cards (Markdown with YAML front matter): the card's model or dataset."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from mlspm.enums import AssetKind
from mlspm.ingest.assets import AssetRecord, default_asset_id, write_assets
from mlspm.ingest.assets import text_value as _text
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, MAYBE, NO
from mlspm.ingest.formats.mlflow_model import YamlError, jsonable, load_untrusted_yaml, to_json
from mlspm.ingest.source import Sample

MAX_CARD_BYTES = 16 * 1024 * 1024
HUB = "https://huggingface.co"

# Front matter: a first line of exactly "---", then the YAML, then a line "---" (CRLF tolerated).
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)??---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w\-]*)[ \t]*:", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}[ \t]+(\S.*?)[ \t#]*$", re.MULTILINE)
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.\-]*(?:/[A-Za-z0-9][\w.\-]*)?")

# Metadata keys only the Hub's card specs use (modelcard.md / datasetcard.md templates).
MODEL_KEYS = frozenset(
    {
        "library_name",
        "pipeline_tag",
        "model-index",
        "base_model",
        "base_model_relation",
        "widget",
        "inference",
        "model_name",
        "co2_eq_emissions",
        "new_version",
    }
)
DATASET_KEYS = frozenset(
    {
        "task_categories",
        "task_ids",
        "size_categories",
        "annotations_creators",
        "language_creators",
        "multilinguality",
        "source_datasets",
        "pretty_name",
        "dataset_info",
        "configs",
        "paperswithcode_id",
        "train-eval-index",
    }
)
# Keys cards share with other front matter (blog posts, docs sites): alone they prove little.
COMMON_KEYS = frozenset({"license", "language", "tags", "datasets", "metrics", "thumbnail", "license_name"})
_STRONG = MODEL_KEYS | DATASET_KEYS | {"datasets"}


class HuggingFaceCard:
    """A Hugging Face model or dataset card: README.md with YAML metadata between ``---`` lines."""

    name: ClassVar[str] = "hf_card"
    title: ClassVar[str] = "Hugging Face model/dataset card"
    target_table: ClassVar[str] = "assets"

    def sniff(self, sample: Sample) -> int:
        match = _FRONT_MATTER.match(sample.text)
        if match is None:
            return NO
        keys = set(_TOP_KEY.findall(match.group(1) or ""))
        if keys & _STRONG:
            return CERTAIN
        if len(keys & COMMON_KEYS) >= 2:
            return LIKELY
        # A front-matter block over a Markdown body: a card whose metadata is broken or a template.
        # Claimed only weakly, so that it is rejected with the reason instead of "unrecognized".
        if _HEADING.search(sample.text, match.end()):
            return MAYBE
        return NO

    def load(self, ctx: LoadContext) -> None:
        text = ctx.whole_text(MAX_CARD_BYTES)
        match = _FRONT_MATTER.match(text)
        if match is None:
            ctx.reject(
                None,
                "file",
                "a Markdown card without YAML metadata (no '---' block at the top): nothing to inventory",
                text,
            )
            return
        front = match.group(1) or ""
        try:
            meta = load_untrusted_yaml(front, first_line=2)
        except YamlError as exc:
            ctx.reject(1, "record", f"the card's metadata is not usable: {exc}", front)
            return
        if meta is None:
            ctx.reject(1, "record", "the card's metadata block is empty: nothing to inventory", front)
            return
        if not isinstance(meta, dict):
            ctx.reject(
                1,
                "record",
                f"the card's metadata is a YAML {type(meta).__name__}, not a mapping of card fields",
                front,
            )
            return
        keys = {str(k) for k in meta}
        if not keys & (_STRONG | COMMON_KEYS):
            ctx.reject(
                1,
                "record",
                "the card's metadata holds no Hugging Face card field (license, tags, datasets, "
                f"library_name, model-index...); keys: {', '.join(sorted(keys)[:10])}",
                front,
            )
            return
        body = text[match.end() :]
        records = _Card(ctx, meta, body, Path(ctx.path)).records()
        # The base models and datasets a card names are only named here: one the inventory already
        # holds keeps what its own inventory says (the card adds only the lineage, on its model).
        named = [r.asset_id for r in records[1:]]
        known = {
            str(row[0])
            for row in ctx.cur.execute(
                "SELECT asset_id FROM assets WHERE asset_id IN (SELECT unnest(?::VARCHAR[]))", [named]
            ).fetchall()
        }
        write_assets(ctx, [records[0], *(r for r in records[1:] if r.asset_id not in known)])


class _Card:
    """The assets one card describes: its model (or dataset), base models and training datasets."""

    def __init__(self, ctx: LoadContext, meta: dict[str, Any], body: str, path: Path) -> None:
        self.ctx = ctx
        self.meta = {str(k): v for k, v in meta.items()}
        self.body = body
        self.path = path
        keys = set(self.meta)
        self.is_dataset = bool(keys & DATASET_KEYS) and not keys & MODEL_KEYS

    def records(self) -> list[AssetRecord]:
        kind = AssetKind.DATASET if self.is_dataset else AssetKind.MODEL
        name = self._name()
        record = AssetRecord(
            asset_id=default_asset_id(kind, name, None),
            kind=kind,
            name=name,
            raw=to_json(self.meta),
        )
        if _is_repo_id(name):
            _hub_locators(record, name, dataset=self.is_dataset)
        tags: dict[str, Any] = {"card": "dataset" if self.is_dataset else "model"}
        for key in (
            "license",
            "license_name",
            "license_link",
            "library_name",
            "pipeline_tag",
            "language",
            "tags",
            "metrics",
            "task_categories",
            "task_ids",
            "size_categories",
            "source_datasets",
            "pretty_name",
            "thumbnail",
            "inference",
        ):
            value = self.meta.get(key)
            if value is not None and value != [] and value != "":
                tags[key] = jsonable(value)
        if any(k.startswith("extra_gated") for k in self.meta):
            tags["gated"] = True  # access needs the user to accept terms on the Hub
        evaluation = self._evaluation()
        if evaluation:
            tags["evaluation"] = evaluation
        out = [record]
        datasets = _names(self.meta.get("datasets"))
        if datasets:
            tags["datasets"] = datasets
        for dataset in datasets:
            # A dataset the card names is a Hub dataset id: the same asset a CycloneDX BOM names.
            stub = AssetRecord(
                asset_id=default_asset_id(AssetKind.DATASET, dataset, None),
                kind=AssetKind.DATASET,
                name=dataset,
                raw=to_json({"named_by": [record.asset_id], "field": "datasets"}),
            )
            if _is_repo_id(dataset):
                _hub_locators(stub, dataset, dataset=True)
            out.append(stub)
            record.lineage.append(("trained_on", stub.asset_id))
        base_models = _names(self.meta.get("base_model"))
        if base_models:
            tags["base_model"] = base_models
            relation = _text(self.meta.get("base_model_relation"))
            if relation:
                tags["base_model_relation"] = relation
        for base in base_models:
            stub = AssetRecord(
                asset_id=default_asset_id(AssetKind.MODEL, base, None),
                kind=AssetKind.MODEL,
                name=base,
                raw=to_json({"named_by": [record.asset_id], "field": "base_model"}),
            )
            if _is_repo_id(base):
                _hub_locators(stub, base, dataset=False)
            out.append(stub)
            record.lineage.append(("derived_from", stub.asset_id))
        record.tags = tags
        return out

    def _name(self) -> str:
        """The card's subject: its metadata name, else the first heading, else the file's location."""
        for key in ("pretty_name",) if self.is_dataset else ("model_name",):
            value = _text(self.meta.get(key))
            if value:
                return value
        if not self.is_dataset:
            index = self.meta.get("model-index")
            first = index[0] if isinstance(index, list) and index else None
            if isinstance(first, dict) and _text(first.get("name")):
                return str(_text(first.get("name")))
        heading = _HEADING.search(self.body)
        if heading:
            title = re.sub(r"^(?:model|dataset)\s+card\s+for\s+", "", heading.group(1), flags=re.I).strip()
            # A template's heading ("{{ model_name | default(...) }}") is not a name.
            if title and "{" not in title and len(title) <= 200:
                return title
        # Hub repos keep the card as README.md inside the repo's folder.
        if self.path.stem.lower() == "readme" and self.path.parent.name:
            return self.path.parent.name
        return self.path.stem

    def _evaluation(self) -> list[dict[str, Any]]:
        """model-index results as [{task, dataset, metrics}]; malformed entries are skipped with a warning."""
        index = self.meta.get("model-index")
        if index is None:
            return []
        results: list[dict[str, Any]] = []
        skipped = 0
        for entry in index if isinstance(index, list) else [index]:
            entries = entry.get("results") if isinstance(entry, dict) else None
            for result in entries if isinstance(entries, list) else [entries]:
                if not isinstance(result, dict):
                    skipped += 1
                    continue
                task, dataset = result.get("task"), result.get("dataset")
                metrics = result.get("metrics")
                item: dict[str, Any] = {}
                if isinstance(task, dict) and _text(task.get("type")):
                    item["task"] = _text(task.get("type"))
                if isinstance(dataset, dict) and (_text(dataset.get("type")) or _text(dataset.get("name"))):
                    item["dataset"] = _text(dataset.get("type")) or _text(dataset.get("name"))
                values = {
                    str(_text(m.get("type"))): jsonable(m.get("value"))
                    for m in (metrics if isinstance(metrics, list) else [])
                    if isinstance(m, dict) and _text(m.get("type"))
                }
                if values:
                    item["metrics"] = values
                if "dataset" not in item:
                    skipped += 1  # the Hub drops such results too: evaluated on what is unknown
                    continue
                results.append(item)
        if skipped:
            self.ctx.warn(
                f"{skipped} model-index result(s) without a task/dataset/metrics shape were not kept "
                "as evaluation results"
            )
        return results


def _hub_locators(record: AssetRecord, repo_id: str, *, dataset: bool) -> None:
    """The URLs the Hub serves the repo under: where downloads and scans of it name it."""
    path = f"datasets/{repo_id}" if dataset else repo_id
    record.uri = f"{HUB}/{path}"
    # The repo itself, and (ending in '/') every file in it: .../resolve/main/model.safetensors.
    record.locators.extend([f"{HUB}/{path}", f"{HUB}/{path}/", f"hf://{path}", f"hf://{path}/"])


def _is_repo_id(value: str) -> bool:
    return _REPO_ID.fullmatch(value) is not None and not value.endswith((".", "-"))


def _names(value: Any) -> list[str]:
    """A metadata field that is one name or a list of names, as a list of non-empty strings."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        text = _text(item)
        if text and text not in names:
            names.append(text)
    return names
