"""MLflow ``MLmodel`` files (YAML): one model asset per file, its serialization and artifact paths."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml

from mlspm.enums import AssetKind
from mlspm.ingest.assets import AssetRecord, default_asset_id, write_assets
from mlspm.ingest.assets import text_value as _text
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, NO
from mlspm.ingest.source import Sample

MAX_YAML_BYTES = 16 * 1024 * 1024
"""MLmodel files are a few KB; anything this large is not one and is refused rather than parsed."""
MAX_YAML_VALUES = 100_000
"""YAML aliases can make a small text stand for an exponential tree: refuse more values than this."""

_FLAVORS_LINE = re.compile(r"^flavors:(?:[ \t]|$)", re.MULTILINE)
_IDENTITY_LINE = re.compile(
    r"^(?:model_uuid|utc_time_created|artifact_path|mlflow_version|run_id|model_id):", re.MULTILINE
)

# Keys of a flavor's configuration that say how the model object was serialized.
_SERIALIZATION_KEYS = ("serialization_format", "pickle_module_name", "model_format", "save_format")
# Flavor configuration keys that name the artifact file(s), relative to the model directory.
_ARTIFACT_KEYS = ("pickled_model", "model_path", "python_model", "model_data", "data", "model_file")
# Flavors whose artifact is pickle-based unless the flavor says otherwise (torch.save and fastai's
# learner export pickle; pyfunc's python_model and langchain chains are cloudpickled).
_PICKLE_FLAVORS = {
    "sklearn": "pickle",
    "pytorch": "pickle",
    "fastai": "pickle",
    "pmdarima": "pickle",
    "statsmodels": "pickle",
    "diviner": "pickle",
    "langchain": "cloudpickle",
}


# Checked in this order: "cloudpickle" contains "pickle".
_PICKLE_WORDS = ("cloudpickle", "joblib", "dill", "pickle")


class YamlError(ValueError):
    """Untrusted YAML that cannot be used; the message is the reason a user sees."""


def load_untrusted_yaml(text: str, *, first_line: int = 1) -> Any:
    """Parse untrusted YAML with the safe loader only; raise YamlError with the line of any problem.

    ``first_line`` is the file line the text starts on, so positions name the file's own lines.
    Alias bombs and absurd nesting are refused instead of being expanded.
    """
    try:
        value = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + first_line}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply") from None
    _check_size(value)
    return value


def _check_size(value: Any) -> None:
    # Walk with an explicit stack: the count stops the walk long before an alias bomb expands.
    stack, seen = [value], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_YAML_VALUES:
            raise YamlError(f"the YAML holds more than {MAX_YAML_VALUES:,} values (an alias bomb?)")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set):
            stack.extend(item)


def jsonable(value: Any) -> Any:
    """A YAML value as JSON-compatible data: dates as ISO text, keys as strings, sets as lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def to_json(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False, default=str)


class MlflowModel:
    """An MLflow ``MLmodel`` file: the model's flavors, serialization, run and artifact files."""

    name: ClassVar[str] = "mlflow_model"
    title: ClassVar[str] = "MLflow MLmodel"
    target_table: ClassVar[str] = "assets"

    def sniff(self, sample: Sample) -> int:
        if sample.stripped.startswith(("{", "[", "---", "<")):
            return NO
        head = sample.text[:65536]
        if _FLAVORS_LINE.search(head) and _IDENTITY_LINE.search(head):
            return CERTAIN
        return NO

    def load(self, ctx: LoadContext) -> None:
        text = ctx.whole_text(MAX_YAML_BYTES)
        try:
            doc = load_untrusted_yaml(text)
        except YamlError as exc:
            raise ValueError(f"the MLmodel file is not usable: {exc}") from None
        if not isinstance(doc, dict):
            ctx.reject(None, "file", f"an MLmodel file must be a YAML mapping, not a {_type(doc)}", text)
            return
        flavors = doc.get("flavors")
        if not isinstance(flavors, dict) or not flavors:
            ctx.reject(
                None,
                "file",
                "an MLmodel file without flavors: nothing says how the model is stored or loaded",
                text,
            )
            return
        write_assets(ctx, [model_record(doc, flavors, Path(ctx.path))])


def model_record(doc: dict[str, Any], flavors: dict[str, Any], path: Path) -> AssetRecord:
    """The model asset an MLmodel file describes (``path`` is where the MLmodel file was read)."""
    artifact_path = _text(doc.get("artifact_path"))
    model_uuid = _text(doc.get("model_uuid"))
    run_id = _text(doc.get("run_id"))
    model_id = _text(doc.get("model_id"))
    # MLmodel names no registered model: the artifact path is the name it was logged under; without
    # it the model directory (MLmodel's usual home) or the file's own name is what the user knows.
    name = _text(doc.get("name")) or artifact_path or _name_from_path(path)
    # model_uuid is unique per logged model, so it tells apart the many models logged as "model".
    record = AssetRecord(
        asset_id=default_asset_id(AssetKind.MODEL, name, model_uuid),
        kind=AssetKind.MODEL,
        name=name,
        version=model_uuid,
        raw=to_json(doc),
    )
    model_dir = path.parent
    if run_id and artifact_path:
        record.uri = f"runs:/{run_id}/{artifact_path}"
    else:
        record.uri = f"{model_dir}/"
    if model_id:
        record.locators.append(f"models:/{model_id}")
    # The artifact files as local paths: a scan of model.pkl next to this MLmodel links to the model.
    # Both spellings of the directory: `mlspm scan` names files by the path as given (made absolute).
    dirs = list(dict.fromkeys([model_dir, model_dir.resolve()]))
    for file_name in _artifact_files(flavors):
        record.locators.extend(str(d / file_name) for d in dirs)

    fmt, pickled = serialization(flavors)
    record.format = fmt
    tags: dict[str, Any] = {"flavors": sorted(str(f) for f in flavors), "pickle": pickled}
    pyfunc = flavors.get("python_function")
    if isinstance(pyfunc, dict):
        for key, tag in (
            ("loader_module", "loader_module"),
            ("python_version", "python_version"),
            ("code", "code"),
        ):
            value = _text(pyfunc.get(key))
            if value:
                tags[tag] = value  # loader_module is code that runs when the model is loaded
    for key in ("mlflow_version", "run_id", "artifact_path", "model_uuid", "model_id", "databricks_runtime"):
        value = _text(doc.get(key))
        if value:
            tags[key] = value
    created = _created(doc.get("utc_time_created"))
    if created:
        tags["created"] = created
    size = doc.get("model_size_bytes")
    if isinstance(size, int) and not isinstance(size, bool):
        tags["model_size_bytes"] = size
    signature = doc.get("signature")
    if isinstance(signature, dict):
        tags["signature"] = {k: str(v)[:1000] for k, v in signature.items() if v is not None}
    example = doc.get("saved_input_example_info")
    if isinstance(example, dict):
        tags["input_example"] = jsonable(example)
    metadata = doc.get("metadata")
    if isinstance(metadata, dict) and metadata:
        tags["metadata"] = jsonable(metadata)
    record.tags = tags
    return record


def serialization(flavors: dict[str, Any]) -> tuple[str, bool]:
    """``<flavor>/<serialization>`` for the model's main flavor, and whether its artifact is a pickle.

    The words are the ones the pickle-in-production analyzer reads (cloudpickle, pickle, pytorch...);
    a code-free serialization (skops, json, onnx...) keeps the pickle words out.
    """
    main = next((f for f in flavors if f != "python_function"), "python_function")
    config = flavors.get(main)
    config = config if isinstance(config, dict) else {}
    declared = next((_text(config.get(k)) for k in _SERIALIZATION_KEYS if _text(config.get(k))), None)
    if declared is not None:
        low = declared.lower()
        # pytorch's pickle_module_name is a module path such as mlflow.pytorch.pickle_module
        kind = next((word for word in _PICKLE_WORDS if word in low), declared)
        pickled = kind in _PICKLE_WORDS
        return f"{main}/{kind}", pickled
    if main in _PICKLE_FLAVORS:
        return f"{main}/{_PICKLE_FLAVORS[main]}", True
    if main == "python_function" and _text(config.get("python_model")):
        return "python_function/cloudpickle", True  # a custom PythonModel is cloudpickled
    return main, False


def _artifact_files(flavors: dict[str, Any]) -> list[str]:
    files: list[str] = []
    for config in flavors.values():
        if not isinstance(config, dict):
            continue
        for key in _ARTIFACT_KEYS:
            value = _text(config.get(key))
            # Only relative paths inside the model directory: an absolute or parent path is not ours.
            if (
                value
                and not value.startswith(("/", "\\"))
                and ".." not in Path(value).parts
                and value not in files
            ):
                files.append(value)
    return files


def _name_from_path(path: Path) -> str:
    if path.name == "MLmodel" and path.parent.name:
        return path.parent.name
    return path.name.removesuffix(".MLmodel").removesuffix(".mlmodel") or path.name


def _created(value: Any) -> str | None:
    """utc_time_created ('YYYY-MM-DD HH:MM:SS.ffffff', UTC without a zone) as ISO 8601 UTC."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        text = _text(value)
        if text is None:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _type(value: Any) -> str:
    if value is None:
        return "empty document"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__
