"""Recorded SageMaker / Bedrock API responses (boto3, AWS CLI, cloud-custodian placebo): an inventory."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from mlspm.enums import AssetKind
from mlspm.ingest.assets import AssetRecord, locators_for, normalize_environment, write_assets
from mlspm.ingest.assets import text_value as _text
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, MAYBE, NO
from mlspm.ingest.source import Sample

# Keys that are transport, not content.
_NOISE = frozenset({"ResponseMetadata", "NextToken", "nextToken", "PaginationToken", "IsTruncated"})
# Container settings whose values may hold secrets: only their names are kept in tags, and the raw
# record carries "<redacted>" for values whose names look secret.
_SECRET_NAME = re.compile(
    r"secret|passw|token|api[_\-]?key|access[_\-]?key|credential|private[_\-]?key|auth", re.I
)
_SECRET_DICTS = frozenset({"Environment", "HyperParameters", "hyperParameters", "StaticHyperParameters"})

# ARN (service, resource type) -> (asset kind, asset-id prefix). Kinds without an AssetKind of their
# own are "other" with a prefix that says what they are.
_ARN_KINDS: dict[tuple[str, str], tuple[str, str]] = {
    ("sagemaker", "model"): (AssetKind.MODEL, "model"),
    ("sagemaker", "model-package"): (AssetKind.MODEL, "model"),
    ("sagemaker", "model-package-group"): (AssetKind.REGISTRY, "registry"),
    ("sagemaker", "endpoint"): (AssetKind.ENDPOINT, "endpoint"),
    ("sagemaker", "endpoint-config"): (AssetKind.OTHER, "endpoint_config"),
    ("sagemaker", "training-job"): (AssetKind.TRAINING_JOB, "training_job"),
    ("sagemaker", "hyper-parameter-tuning-job"): (AssetKind.TRAINING_JOB, "training_job"),
    ("sagemaker", "automl-job"): (AssetKind.TRAINING_JOB, "training_job"),
    ("sagemaker", "processing-job"): (AssetKind.OTHER, "processing_job"),
    ("sagemaker", "transform-job"): (AssetKind.OTHER, "transform_job"),
    ("sagemaker", "notebook-instance"): (AssetKind.NOTEBOOK, "notebook"),
    ("sagemaker", "feature-group"): (AssetKind.FEATURE_GROUP, "feature_group"),
    ("bedrock", "custom-model"): (AssetKind.MODEL, "model"),
    ("bedrock", "foundation-model"): (AssetKind.MODEL, "model"),
    ("bedrock", "provisioned-model"): (AssetKind.ENDPOINT, "endpoint"),
    ("bedrock", "model-customization-job"): (AssetKind.TRAINING_JOB, "training_job"),
    ("bedrock", "model-invocation-job"): (AssetKind.OTHER, "invocation_job"),
    ("bedrock", "guardrail"): (AssetKind.OTHER, "guardrail"),
    ("bedrock", "agent"): (AssetKind.SERVICE, "service"),
    ("bedrock", "knowledge-base"): (AssetKind.DATASET, "dataset"),
}
_MODEL_KINDS = frozenset({AssetKind.MODEL, AssetKind.MODEL_VERSION})
_OWNER_TAGS = ("owner", "asset_owner", "contact")
_ENVIRONMENT_TAGS = ("environment", "env", "stage")
_HINT_TAGS = ("team", "maintainer")

LOGGING_NAME = "bedrock-model-invocation-logging"
"""The asset (kind service) whose tags say whether Bedrock model-invocation logging is on."""

# List responses: key -> (a key every item has, what an item is) — the item key keeps sniffing strict.
_LISTS: dict[str, tuple[tuple[str, ...], str]] = {
    "Models": (("ModelName", "ModelArn"), "sm_model"),
    "Endpoints": (("EndpointName", "EndpointArn"), "sm_endpoint"),
    "EndpointConfigs": (("EndpointConfigName", "EndpointConfigArn"), "sm_endpoint_config"),
    "TrainingJobSummaries": (("TrainingJobName", "TrainingJobArn"), "sm_training_job"),
    "HyperParameterTuningJobSummaries": (("HyperParameterTuningJobName",), "sm_tuning_job"),
    "AutoMLJobSummaries": (("AutoMLJobName", "AutoMLJobArn"), "sm_automl_job"),
    "ProcessingJobSummaries": (("ProcessingJobName", "ProcessingJobArn"), "sm_processing_job"),
    "TransformJobSummaries": (("TransformJobName", "TransformJobArn"), "sm_transform_job"),
    "NotebookInstances": (("NotebookInstanceName", "NotebookInstanceArn"), "sm_notebook"),
    "ModelPackageSummaryList": (("ModelPackageArn",), "sm_model_package"),
    "ModelPackageGroupSummaryList": (("ModelPackageGroupName", "ModelPackageGroupArn"), "sm_package_group"),
    "modelSummaries": (("modelArn", "modelId"), "bedrock_model"),
    "modelCustomizationJobSummaries": (("jobArn", "jobName"), "bedrock_customization_job"),
    "invocationJobSummaries": (("jobArn", "jobName"), "bedrock_invocation_job"),
    "provisionedModelSummaries": (("provisionedModelArn",), "bedrock_provisioned"),
    "guardrails": (("arn", "id"), "bedrock_guardrail"),
    "knowledgeBaseSummaries": (("knowledgeBaseId",), "bedrock_knowledge_base"),
    "agentSummaries": (("agentId",), "bedrock_agent"),
}
# Describe/Get responses: a top-level ARN key -> what the response is. Checked in this order: a
# DescribeProcessingJob may carry a TrainingJobArn, a DescribeTrainingJob an AutoMLJobArn.
_DESCRIBES: tuple[tuple[str, str], ...] = (
    ("ProcessingJobArn", "sm_processing_job"),
    ("TransformJobArn", "sm_transform_job"),
    ("TrainingJobArn", "sm_training_job"),
    ("HyperParameterTuningJobArn", "sm_tuning_job"),
    ("AutoMLJobArn", "sm_automl_job"),
    ("NotebookInstanceArn", "sm_notebook"),
    ("ModelPackageArn", "sm_model_package"),
    ("ModelPackageGroupArn", "sm_package_group"),
    ("EndpointConfigArn", "sm_endpoint_config"),
    ("EndpointArn", "sm_endpoint"),
    ("ModelArn", "sm_model"),
    ("provisionedModelArn", "bedrock_provisioned"),
    ("guardrailArn", "bedrock_guardrail"),
)
# Get responses that wrap the resource in one object.
_WRAPPED = {
    "agent": ("agentArn", "bedrock_agent"),
    "knowledgeBase": ("knowledgeBaseArn", "bedrock_knowledge_base"),
    "modelDetails": ("modelArn", "bedrock_model"),
}
_PLAIN_ARN_KEYS = frozenset(k for k, _ in _DESCRIBES) | {"modelArn", "jobArn"}


class Skip(ValueError):
    """An element that cannot become an asset; the message is the reject reason."""


class AwsMlApi:
    """SageMaker / Bedrock control-plane responses saved as JSON: models, endpoints, jobs, logging."""

    name: ClassVar[str] = "aws_ml_api"
    title: ClassVar[str] = "SageMaker/Bedrock API responses"
    target_table: ClassVar[str] = "assets"

    def sniff(self, sample: Sample) -> int:
        if not sample.stripped.startswith(("{", "[")):
            return NO
        doc = sample.document
        if doc is None and sample.complete:
            doc = next(_values(sample.text, strict=False), None)
        if doc is None:
            # Larger than the sample: judge by the head.
            head = sample.text[:8192]
            if re.match(r'\s*\[?\s*\{\s*"status_code"\s*:\s*\d+\s*,\s*"data"\s*:\s*\{', head):
                return LIKELY
            if re.search(r'"(?:ModelArn|EndpointArn|TrainingJobArn|EndpointConfigArn)"\s*:\s*"arn:aws', head):
                return MAYBE
            return NO
        first = doc[0] if isinstance(doc, list) and doc else doc
        if not isinstance(first, dict):
            return NO
        if is_placebo(first):
            data = first["data"]
            # Any recorded response is claimed (weakly if it holds nothing we know) so that it is
            # rejected with what it is rather than as an unknown file.
            return CERTAIN if isinstance(data, dict) and known_response(data, plain=False) else MAYBE
        return CERTAIN if known_response(first, plain=True) else NO

    def load(self, ctx: LoadContext) -> None:
        text = ctx.whole_text()
        responses: list[Any] = []
        for value in _values(text, strict=True):
            # A JSON array of responses (a script's collected output) is read as those responses.
            responses.extend(value if isinstance(value, list) else [value])
        if not responses:
            raise ValueError("the file holds no JSON value")
        inventory = _Inventory(ctx)
        for value in responses:
            inventory.response(value)
        inventory.finish()


def is_placebo(value: dict[str, Any]) -> bool:
    """cloud-custodian placebo's recording: ``{"status_code": 200, "data": {...}}``."""
    return (
        set(value) == {"status_code", "data"}
        and isinstance(value["status_code"], int)
        and not isinstance(value["status_code"], bool)
    )


def known_response(data: dict[str, Any], *, plain: bool) -> bool:
    """Whether ``data`` is a response this format reads (strictly, for output without the wrapper)."""
    for key, (item_keys, _) in _LISTS.items():
        items = data.get(key)
        if isinstance(items, list):
            if not items:
                return not plain
            if isinstance(items[0], dict) and any(k in items[0] for k in item_keys):
                return True
    for key in _PLAIN_ARN_KEYS:
        arn = parse_arn(data.get(key))
        if arn is not None and arn.service in ("sagemaker", "bedrock"):
            return True
    for key, (arn_key, _) in _WRAPPED.items():
        inner = data.get(key)
        if isinstance(inner, dict) and arn_key in inner:
            return True
    if isinstance(data.get("loggingConfig"), dict):
        return True
    mappings = data.get("ResourceTagMappingList")
    if isinstance(mappings, list):
        # The tagging API covers every service: without the wrapper, only claim ML resources.
        return not plain or any(
            isinstance(m, dict) and _arn_kind(str(m.get("ResourceARN", ""))) is not None for m in mappings
        )
    return False


def _values(text: str, *, strict: bool) -> Iterator[Any]:
    """The JSON values of ``text``: one document, or several back to back (a loop's saved output)."""
    decoder = json.JSONDecoder()
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            if not strict:
                return
            raise ValueError(
                f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        yield value


def _normalize(value: Any, key: str = "") -> Any:
    """Placebo datetimes as ISO 8601 UTC text, transport keys dropped, secret-looking values redacted."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            return _placebo_time(value)
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in _NOISE:
                continue
            if key in _SECRET_DICTS and isinstance(k, str) and _SECRET_NAME.search(k):
                out[k] = "<redacted>"
            else:
                out[k] = _normalize(v, k)
        return out
    if isinstance(value, list):
        return [_normalize(v, key) for v in value]
    return value


def _placebo_time(value: dict[str, Any]) -> str | None:
    try:
        moment = datetime(
            int(value["year"]),
            int(value["month"]),
            int(value["day"]),
            int(value.get("hour", 0)),
            int(value.get("minute", 0)),
            int(value.get("second", 0)),
            int(value.get("microsecond", 0)),
            tzinfo=UTC,  # placebo drops the zone; boto3 returns UTC times
        )
    except (KeyError, TypeError, ValueError):
        return None
    return _iso(moment)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_time(value: Any) -> str | None:
    """An API time (ISO text with an offset, boto3's str(), epoch seconds or ms) as ISO 8601 UTC."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return _iso(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        try:
            return _iso(datetime.fromisoformat(value.strip()))
        except ValueError:
            return value.strip()
    return None


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def type_and_name(self) -> tuple[str, str]:
        kind, sep, name = self.resource.partition("/")
        return (kind, name) if sep else ("", kind)

    def sibling(self, resource_type: str, name: str) -> str:
        """The ARN of another resource of the same account and region (SageMaker lower-cases names)."""
        name = name.lower() if self.service == "sagemaker" else name
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{resource_type}/{name}"


def parse_arn(value: Any) -> Arn | None:
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) != 6:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def _arn_kind(value: str) -> tuple[str, str] | None:
    arn = parse_arn(value)
    if arn is None:
        return None
    if arn.service == "s3" and arn.resource and "/" not in arn.resource:
        return (AssetKind.BUCKET, "bucket")
    return _ARN_KINDS.get((arn.service, arn.type_and_name[0]))


class _Inventory:
    """Records from every response of one file, resolved against the store, then one write."""

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.records: list[AssetRecord] = []
        self.position = 0
        self.full: set[int] = set()
        """id() of the records that describe a resource (the others only name it)."""
        self.arn_named: set[str] = set()
        """Provisional ids whose name was read from an ARN (lower-cased by SageMaker)."""
        self.by_uri: dict[str, str] = {}
        """Provisional id -> the S3 URI a dataset/artifact stub stands for (matched to known assets)."""
        self.artifact_refs: list[tuple[AssetRecord, str]] = []
        """Described models and the artifacts they serve: a model known to have written one is their source."""
        self.endpoint_configs: list[tuple[str, str]] = []
        self.config_models: list[tuple[str, str]] = []
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "sm_model": self.sm_model,
            "sm_endpoint": self.sm_endpoint,
            "sm_endpoint_config": self.sm_endpoint_config,
            "sm_training_job": self.sm_training_job,
            "sm_tuning_job": self.sm_tuning_job,
            "sm_automl_job": self.sm_automl_job,
            "sm_processing_job": self.sm_processing_job,
            "sm_transform_job": self.sm_transform_job,
            "sm_notebook": self.sm_notebook,
            "sm_model_package": self.sm_model_package,
            "sm_package_group": self.sm_package_group,
            "bedrock_model": self.bedrock_model,
            "bedrock_customization_job": self.bedrock_customization_job,
            "bedrock_invocation_job": self.bedrock_invocation_job,
            "bedrock_provisioned": self.bedrock_provisioned,
            "bedrock_guardrail": self.bedrock_guardrail,
            "bedrock_knowledge_base": self.bedrock_knowledge_base,
            "bedrock_agent": self.bedrock_agent,
        }

    # -- dispatch --------------------------------------------------------------------------------
    def response(self, value: Any) -> None:
        raw = json.dumps(value, ensure_ascii=False)
        if not isinstance(value, dict):
            self._reject(f"a JSON {type(value).__name__}, not an API response object", raw)
            return
        data: Any = value
        if is_placebo(value):
            status, data = value["status_code"], value["data"]
            if not 200 <= status < 300:
                error = data.get("Error") if isinstance(data, dict) else None
                detail = (
                    f": {error.get('Code', '?')}: {error.get('Message', '')}"
                    if isinstance(error, dict)
                    else ""
                )
                self._reject(f"a recorded error response (HTTP {status}){detail}", raw)
                return
            if not isinstance(data, dict):
                self._reject("the recorded response's data is not a JSON object", raw)
                return
        data = _normalize(data)
        if not data:
            self._reject(
                "an empty API response: nothing to inventory (a write call's acknowledgement such as "
                "DeleteModel or TagResource, or GetModelInvocationLoggingConfiguration with logging off "
                "— the response alone cannot tell which)",
                raw,
            )
            return
        if isinstance(data.get("loggingConfig"), dict):
            self._one(self.bedrock_logging, data["loggingConfig"])
            return
        if isinstance(data.get("ResourceTagMappingList"), list):
            self._items(data["ResourceTagMappingList"], self.tag_mapping, "ResourceTagMappingList", raw)
            return
        for key, (_, handler) in _LISTS.items():
            if isinstance(data.get(key), list):
                self._items(data[key], self.handlers[handler], key, raw)
                return
        for key, handler in _DESCRIBES:
            if isinstance(data.get(key), str):
                self._one(self.handlers[handler], data)
                return
        for key, (_, handler) in _WRAPPED.items():
            inner = data.get(key)
            if isinstance(inner, dict):
                self._one(self.handlers[handler], inner)
                return
        if isinstance(data.get("modelArn"), str):
            self._one(self.bedrock_model, data)
            return
        if isinstance(data.get("jobArn"), str):
            job = str(data["jobArn"])
            kind = _arn_kind(job)
            handler_name = {
                "training_job": "bedrock_customization_job",
                "invocation_job": "bedrock_invocation_job",
            }.get(kind[1] if kind else "")
            if handler_name:
                self._one(self.handlers[handler_name], data)
                return
        if set(data) <= {"Tags", "tags"}:
            self._reject(
                "a tag listing (ListTags/ListTagsForResource) names no resource: the ARN it was asked "
                "for is a request parameter, which the response does not repeat",
                raw,
            )
            return
        keys = ", ".join(sorted(str(k) for k in data)[:8])
        self._reject(
            f"an API response without SageMaker or Bedrock resources mlspm inventories (keys: {keys})", raw
        )

    def _reject(self, reason: str, raw: str) -> None:
        self.position += 1
        self.ctx.reject(self.position, "record", reason, raw)

    def _one(self, handle: Callable[[dict[str, Any]], None], item: dict[str, Any]) -> None:
        self.position += 1
        try:
            handle(item)
        except Skip as exc:
            self.ctx.reject(self.position, "record", str(exc), json.dumps(item, ensure_ascii=False))

    def _items(self, items: list[Any], handle: Callable[[dict[str, Any]], None], key: str, raw: str) -> None:
        if not items:
            self._reject(f"a list response whose {key} is empty: nothing to inventory", raw)
            return
        for item in items:
            if not isinstance(item, dict):
                self._reject(
                    f"an item of {key} is a JSON {type(item).__name__}, not an object", json.dumps(item)
                )
                continue
            self._one(handle, item)

    # -- records ---------------------------------------------------------------------------------
    def _add(
        self,
        kind: str,
        prefix: str,
        name: str,
        *,
        arn: str | None = None,
        version: str | None = None,
        item: dict[str, Any] | None = None,
    ) -> AssetRecord:
        """A record for a resource: described (``item`` given) or only referenced (a stub)."""
        asset_id = f"{prefix}:{name}@{version}" if version else f"{prefix}:{name}"
        record = AssetRecord(asset_id=asset_id, kind=kind, name=name, version=version, uri=arn)
        if arn:
            record.locators.append(arn)
            parsed = parse_arn(arn)
            if parsed is not None:
                record.tags["aws_resource"] = f"{parsed.service}:{parsed.type_and_name[0] or 'bucket'}"
                if parsed.region:
                    record.tags["region"] = parsed.region
                if parsed.account:
                    record.tags["account"] = parsed.account
        if item is not None:
            record.raw = json.dumps(item, ensure_ascii=False)
            self.full.add(id(record))
        self.records.append(record)
        return record

    def _from_arn(self, arn: str, *, item: dict[str, Any] | None = None) -> AssetRecord:
        """A record for a resource known only by its ARN (a reference, a tag mapping)."""
        parsed = parse_arn(arn)
        kind = _arn_kind(arn)
        if parsed is None or kind is None:
            raise Skip(f"{arn} is not a SageMaker or Bedrock ML resource (or an S3 bucket) mlspm inventories")
        if kind[1] == "bucket":
            record = self._add(kind[0], kind[1], parsed.resource, item=item)
            record.uri = f"s3://{parsed.resource}/"
            record.locators.append(arn)
            return record
        rtype, name = parsed.type_and_name
        version = None
        if rtype == "model-package" and "/" in name:
            name, version = name.rsplit("/", 1)
        elif rtype == "custom-model":
            name = name.rsplit("/", 1)[-1]
        if rtype == "foundation-model":
            return self._foundation(arn, item=item)
        record = self._add(kind[0], kind[1], name, arn=arn, version=version, item=item)
        self.arn_named.add(record.asset_id)
        return record

    def _foundation(self, ref: str, *, item: dict[str, Any] | None = None) -> AssetRecord:
        """A Bedrock foundation model named by its model id or ARN (CloudTrail names it either way)."""
        parsed = parse_arn(ref)
        if parsed is not None and parsed.type_and_name[0] != "foundation-model":
            return self._from_arn(ref, item=item)
        model_id = parsed.type_and_name[1] if parsed else ref
        record = self._add(AssetKind.MODEL, "model", model_id, arn=ref if parsed else None, item=item)
        record.locators.append(model_id)
        record.format = "bedrock-foundation-model"
        return record

    def _dataset(self, uri: str, data_type: Any = None) -> AssetRecord:
        """A dataset named by the S3 URI a job reads: an inventory dataset covering it, else a new one."""
        uri = uri.strip()
        name = uri.rstrip("/")
        if data_type == "S3Prefix" and not uri.endswith("/"):
            uri += "/"  # a key prefix: every object under it is the dataset
        record = self._add(AssetKind.DATASET, "dataset", name)
        record.uri = uri
        self.by_uri[record.asset_id] = uri
        return record

    def _artifact_model(self, uri: str, name: str) -> AssetRecord:
        """The model a job wrote to ``uri``: a known model with that artifact, else one named ``name``."""
        record = self._add(AssetKind.MODEL, "model", name)
        record.uri = uri
        record.tags["artifact"] = uri
        self.by_uri[record.asset_id] = uri
        return record

    def _name(self, item: dict[str, Any], key: str, arn: str | None, what: str) -> str:
        """The resource's name, else the last part of its ARN (a Create call returns only the ARN)."""
        name = _text(item.get(key))
        parsed = parse_arn(arn)
        if name is None and parsed is not None:
            name = parsed.type_and_name[1].rsplit("/", 1)[-1] or None
        if name is None:
            raise Skip(f"{what} without {key} or an ARN")
        return name

    def _arn_named(self, record: AssetRecord, item: dict[str, Any], key: str) -> None:
        if _text(item.get(key)) is None:
            self.arn_named.add(record.asset_id)

    def _sm_stub(self, anchor: str | None, resource_type: str, name: str) -> AssetRecord:
        """A SageMaker resource another one names: its ARN built from the anchor's account and region."""
        parsed = parse_arn(anchor)
        kind = _ARN_KINDS[("sagemaker", resource_type)]
        arn = parsed.sibling(resource_type, name) if parsed else None
        return self._add(kind[0], kind[1], name, arn=arn)

    # -- SageMaker -------------------------------------------------------------------------------
    def sm_model(self, item: dict[str, Any]) -> None:
        name = _required(item, "ModelName", "a SageMaker model")
        arn = _text(item.get("ModelArn"))
        record = self._add(AssetKind.MODEL, "model", name, arn=arn, item=item)
        containers = [
            c for c in [item.get("PrimaryContainer"), *_list(item.get("Containers"))] if isinstance(c, dict)
        ]
        images: list[str] = []
        env_names: set[str] = set()
        for container in containers:
            image = _text(container.get("Image"))
            if image:
                images.append(image)
            for url in _model_data(container):
                record.locators.append(url)
                self.artifact_refs.append((record, url))
            package = _text(container.get("ModelPackageName"))
            if package and parse_arn(package):
                record.lineage.append(("derived_from", self._from_arn(package).asset_id))
            elif package:
                record.tags["model_package"] = package
            env = container.get("Environment")
            if isinstance(env, dict):
                env_names.update(str(k) for k in env)
        if images:
            record.tags["images"] = images
        if env_names:
            record.tags["environment_variables"] = sorted(env_names)  # names only: values may be secrets
        _put(record, "execution_role", item.get("ExecutionRoleArn"))
        _put(record, "network_isolation", item.get("EnableNetworkIsolation"))
        if isinstance(item.get("VpcConfig"), dict):
            record.tags["vpc"] = True
        _times(record, item)

    def sm_endpoint(self, item: dict[str, Any]) -> None:
        name = _required(item, "EndpointName", "a SageMaker endpoint")
        arn = _text(item.get("EndpointArn"))
        record = self._add(AssetKind.ENDPOINT, "endpoint", name, arn=arn, item=item)
        _put(record, "status", item.get("EndpointStatus"))
        _put(record, "failure_reason", item.get("FailureReason"))
        config = _text(item.get("EndpointConfigName"))
        if config:
            record.tags["endpoint_config"] = config
            stub = self._sm_stub(arn, "endpoint-config", config)
            record.lineage.append(("depends_on", stub.asset_id))
            self.endpoint_configs.append((record.asset_id, stub.asset_id))
        variants = []
        for variant in _dicts(item.get("ProductionVariants")):
            images = [
                _text(d.get("ResolvedImage")) or _text(d.get("SpecifiedImage"))
                for d in _dicts(variant.get("DeployedImages"))
            ]
            variants.append(
                _compact(
                    {
                        "variant": variant.get("VariantName"),
                        "instances": variant.get("CurrentInstanceCount"),
                        "images": [i for i in images if i],
                    }
                )
            )
        if variants:
            record.tags["variants"] = variants
        if "DataCaptureConfig" in item or "EndpointConfigName" in item:
            # DescribeEndpoint omits the summary when capture was never configured: that is off too.
            record.tags["data_capture"] = _capture(item.get("DataCaptureConfig"), summary=True)
        _times(record, item)

    def sm_endpoint_config(self, item: dict[str, Any]) -> None:
        name = _required(item, "EndpointConfigName", "a SageMaker endpoint config")
        arn = _text(item.get("EndpointConfigArn"))
        record = self._add(AssetKind.OTHER, "endpoint_config", name, arn=arn, item=item)
        variants = []
        for variant in [
            *_dicts(item.get("ProductionVariants")),
            *_dicts(item.get("ShadowProductionVariants")),
        ]:
            model = _text(variant.get("ModelName"))
            if model:
                stub = self._sm_stub(arn, "model", model)
                record.lineage.append(("depends_on", stub.asset_id))
                self.config_models.append((record.asset_id, stub.asset_id))
            variants.append(
                _compact(
                    {
                        "variant": variant.get("VariantName"),
                        "model": model,
                        "instance_type": variant.get("InstanceType"),
                        "instances": variant.get("InitialInstanceCount"),
                        "serverless": isinstance(variant.get("ServerlessConfig"), dict) or None,
                    }
                )
            )
        if variants:
            record.tags["variants"] = variants
        if "ProductionVariants" in item or "DataCaptureConfig" in item:
            # Described configs only: a list summary says nothing about capture either way.
            record.tags["data_capture"] = _capture(item.get("DataCaptureConfig"), summary=False)
        kms = _text(item.get("KmsKeyId"))
        if kms:
            record.tags["kms_key"] = kms
            record.encrypted = True
        async_config = item.get("AsyncInferenceConfig")
        if isinstance(async_config, dict):
            output = async_config.get("OutputConfig")
            if isinstance(output, dict):
                _put(record, "async_output", output.get("S3OutputPath"))
        _times(record, item)

    def _training_inputs(self, record: AssetRecord, channels: list[Any]) -> list[AssetRecord]:
        datasets: list[AssetRecord] = []
        for channel in _dicts(channels):
            source = channel.get("DataSource")
            s3 = source.get("S3DataSource") if isinstance(source, dict) else None
            uri = _text(s3.get("S3Uri")) if isinstance(s3, dict) else None
            if not uri or not isinstance(s3, dict):
                continue
            dataset = self._dataset(uri, s3.get("S3DataType"))
            channel_name = _text(channel.get("ChannelName")) or _text(channel.get("ChannelType"))
            if channel_name:
                _append(dataset.tags, "channels", channel_name)
            record.lineage.append(("trained_on", dataset.asset_id))
            datasets.append(dataset)
        return datasets

    def sm_training_job(self, item: dict[str, Any]) -> None:
        name = _required(item, "TrainingJobName", "a SageMaker training job")
        arn = _text(item.get("TrainingJobArn"))
        record = self._add(AssetKind.TRAINING_JOB, "training_job", name, arn=arn, item=item)
        _put(record, "status", item.get("TrainingJobStatus"))
        _put(record, "failure_reason", _cut(item.get("FailureReason")))
        _put(record, "role", item.get("RoleArn"))
        algorithm = item.get("AlgorithmSpecification")
        if isinstance(algorithm, dict):
            _put(record, "image", algorithm.get("TrainingImage") or algorithm.get("AlgorithmName"))
        resources = item.get("ResourceConfig")
        if isinstance(resources, dict):
            _put(record, "instance_type", resources.get("InstanceType"))
        _put(record, "network_isolation", item.get("EnableNetworkIsolation"))
        _put(record, "inter_container_encryption", item.get("EnableInterContainerTrafficEncryption"))
        _put(record, "tuning_job", item.get("TuningJobArn"))
        _put(record, "automl_job", item.get("AutoMLJobArn"))
        datasets = self._training_inputs(record, _list(item.get("InputDataConfig")))
        output = item.get("OutputDataConfig")
        if isinstance(output, dict):
            path = _text(output.get("S3OutputPath"))
            if path:
                record.tags["output_path"] = path
                # SageMaker writes the job's output under <S3OutputPath>/<job name>/.
                record.locators.append(f"{path.rstrip('/')}/{name}/")
            _put(record, "output_kms_key", output.get("KmsKeyId"))
        artifacts = item.get("ModelArtifacts")
        artifact = _text(artifacts.get("S3ModelArtifacts")) if isinstance(artifacts, dict) else None
        if artifact:
            model = self._artifact_model(artifact, name)
            model.lineage.extend(("trained_on", d.asset_id) for d in datasets)
            model.lineage.append(("derived_from", record.asset_id))
            if isinstance(output, dict) and _text(output.get("KmsKeyId")):
                model.encrypted = True
        _times(record, item)

    def sm_tuning_job(self, item: dict[str, Any]) -> None:
        name = _required(item, "HyperParameterTuningJobName", "a SageMaker tuning job")
        arn = _text(item.get("HyperParameterTuningJobArn"))
        record = self._add(AssetKind.TRAINING_JOB, "training_job", name, arn=arn, item=item)
        record.tags["job_type"] = "hyperparameter tuning"
        _put(record, "status", item.get("HyperParameterTuningJobStatus"))
        _put(record, "failure_reason", _cut(item.get("FailureReason")))
        definitions = [item.get("TrainingJobDefinition"), *_list(item.get("TrainingJobDefinitions"))]
        for definition in _dicts(definitions):
            self._training_inputs(record, _list(definition.get("InputDataConfig")))
            output = definition.get("OutputDataConfig")
            if isinstance(output, dict):
                _put(record, "output_path", output.get("S3OutputPath"))
            _put(record, "role", definition.get("RoleArn"))
        best = item.get("BestTrainingJob")
        if isinstance(best, dict):
            _put(record, "best_training_job", best.get("TrainingJobName"))
        _times(record, item)

    def sm_automl_job(self, item: dict[str, Any]) -> None:
        name = _required(item, "AutoMLJobName", "a SageMaker AutoML job")
        arn = _text(item.get("AutoMLJobArn"))
        record = self._add(AssetKind.TRAINING_JOB, "training_job", name, arn=arn, item=item)
        record.tags["job_type"] = "automl"
        _put(record, "status", item.get("AutoMLJobStatus"))
        _put(record, "role", item.get("RoleArn"))
        _put(record, "problem_type", item.get("AutoMLProblemTypeConfigName") or item.get("ProblemType"))
        channels = [*_list(item.get("InputDataConfig")), *_list(item.get("AutoMLJobInputDataConfig"))]
        datasets = self._training_inputs(record, channels)
        output = item.get("OutputDataConfig")
        if isinstance(output, dict):
            _put(record, "output_path", output.get("S3OutputPath"))
        best = item.get("BestCandidate")
        if isinstance(best, dict):
            candidate = _text(best.get("CandidateName")) or name
            record.tags["best_candidate"] = candidate
            for container in _dicts(best.get("InferenceContainers")):
                for url in _model_data(container):
                    model = self._artifact_model(url, candidate)
                    model.lineage.extend(("trained_on", d.asset_id) for d in datasets)
                    model.lineage.append(("derived_from", record.asset_id))
        _times(record, item)

    def sm_processing_job(self, item: dict[str, Any]) -> None:
        name = _required(item, "ProcessingJobName", "a SageMaker processing job")
        arn = _text(item.get("ProcessingJobArn"))
        record = self._add(AssetKind.OTHER, "processing_job", name, arn=arn, item=item)
        _put(record, "status", item.get("ProcessingJobStatus"))
        _put(record, "failure_reason", _cut(item.get("FailureReason")))
        _put(record, "role", item.get("RoleArn"))
        inputs = [
            _text(i["S3Input"].get("S3Uri"))
            for i in _dicts(item.get("ProcessingInputs"))
            if isinstance(i.get("S3Input"), dict)
        ]
        config = item.get("ProcessingOutputConfig")
        outputs = [
            _text(o["S3Output"].get("S3Uri"))
            for o in _dicts(config.get("Outputs") if isinstance(config, dict) else None)
            if isinstance(o.get("S3Output"), dict)
        ]
        if any(inputs):
            record.tags["inputs"] = [i for i in inputs if i]
        if any(outputs):
            record.tags["outputs"] = [o for o in outputs if o]
        network = item.get("NetworkConfig")
        if isinstance(network, dict):
            _put(record, "network_isolation", network.get("EnableNetworkIsolation"))
            _put(record, "inter_container_encryption", network.get("EnableInterContainerTrafficEncryption"))
        _times(record, item)

    def sm_transform_job(self, item: dict[str, Any]) -> None:
        name = _required(item, "TransformJobName", "a SageMaker transform job")
        arn = _text(item.get("TransformJobArn"))
        record = self._add(AssetKind.OTHER, "transform_job", name, arn=arn, item=item)
        _put(record, "status", item.get("TransformJobStatus"))
        _put(record, "failure_reason", _cut(item.get("FailureReason")))
        model = _text(item.get("ModelName"))
        if model:
            record.tags["model"] = model
            record.lineage.append(("depends_on", self._sm_stub(arn, "model", model).asset_id))
        source = _dig(item, "TransformInput", "DataSource", "S3DataSource")
        if isinstance(source, dict):
            _put(record, "input", source.get("S3Uri"))
        output = item.get("TransformOutput")
        if isinstance(output, dict):
            _put(record, "output_path", output.get("S3OutputPath"))
        _times(record, item)

    def sm_notebook(self, item: dict[str, Any]) -> None:
        name = _required(item, "NotebookInstanceName", "a SageMaker notebook instance")
        arn = _text(item.get("NotebookInstanceArn"))
        record = self._add(AssetKind.NOTEBOOK, "notebook", name, arn=arn, item=item)
        for key, tag in (
            ("NotebookInstanceStatus", "status"),
            ("InstanceType", "instance_type"),
            ("Url", "url"),
            ("DirectInternetAccess", "direct_internet_access"),
            ("RootAccess", "root_access"),
            ("RoleArn", "role"),
            ("SubnetId", "subnet"),
            ("DefaultCodeRepository", "code_repository"),
            ("PlatformIdentifier", "platform"),
        ):
            _put(record, tag, item.get(key))
        kms = _text(item.get("KmsKeyId"))
        if kms:
            record.tags["kms_key"] = kms
            record.encrypted = True
        _times(record, item)

    def sm_model_package(self, item: dict[str, Any]) -> None:
        arn = _text(item.get("ModelPackageArn"))
        group = _text(item.get("ModelPackageGroupName"))
        version = _text(item.get("ModelPackageVersion"))
        if group and version:
            name = group
        else:
            name = _required(item, "ModelPackageName", "a SageMaker model package")
            version = None
        # A registered version is a model version, named like other inventories name them.
        record = self._add(AssetKind.MODEL, "model", name, arn=arn, version=version, item=item)
        _put(record, "registry", group)
        _put(record, "approval", item.get("ModelApprovalStatus"))
        _put(record, "status", item.get("ModelPackageStatus"))
        _put(record, "description", _cut(item.get("ModelPackageDescription")))
        spec = item.get("InferenceSpecification")
        images = []
        for container in _dicts(spec.get("Containers") if isinstance(spec, dict) else None):
            if _text(container.get("Image")):
                images.append(_text(container.get("Image")))
            for url in _model_data(container):
                record.locators.append(url)
                self.artifact_refs.append((record, url))
        if images:
            record.tags["images"] = images
        metadata = item.get("CustomerMetadataProperties")
        if isinstance(metadata, dict) and metadata:
            record.tags["metadata"] = metadata
        _times(record, item)

    def sm_package_group(self, item: dict[str, Any]) -> None:
        name = _required(item, "ModelPackageGroupName", "a SageMaker model package group")
        arn = _text(item.get("ModelPackageGroupArn"))
        record = self._add(AssetKind.REGISTRY, "registry", name, arn=arn, item=item)
        _put(record, "status", item.get("ModelPackageGroupStatus"))
        _put(record, "description", _cut(item.get("ModelPackageGroupDescription")))
        _times(record, item)

    # -- Bedrock ---------------------------------------------------------------------------------
    def bedrock_model(self, item: dict[str, Any]) -> None:
        if "baseModelArn" in item or "customizationType" in item:
            self._custom_model(item)
            return
        model_id = _text(item.get("modelId")) or _text(item.get("modelArn"))
        if model_id is None:
            raise Skip("a Bedrock model without a modelId or modelArn")
        arn = _text(item.get("modelArn"))
        record = self._foundation(arn or model_id, item=item)
        if arn and model_id != arn:
            record.locators.append(model_id)
        for key, tag in (("modelName", "title"), ("providerName", "provider")):
            _put(record, tag, item.get(key))
        for key, tag in (("inputModalities", "input_modalities"), ("outputModalities", "output_modalities")):
            values = [v for v in _list(item.get(key)) if isinstance(v, str)]
            if values:
                record.tags[tag] = values
        lifecycle = item.get("modelLifecycle")
        if isinstance(lifecycle, dict):
            _put(record, "lifecycle", lifecycle.get("status"))

    def _custom_model(self, item: dict[str, Any]) -> None:
        arn = _text(item.get("modelArn"))
        name = self._name(item, "modelName", arn, "a Bedrock custom model")
        record = self._add(AssetKind.MODEL, "model", name, arn=arn, item=item)
        self._arn_named(record, item, "modelName")
        record.format = "bedrock-custom-model"
        base = _text(item.get("baseModelArn")) or _text(item.get("baseModelIdentifier"))
        if base:
            record.tags["base_model"] = base
            record.lineage.append(("derived_from", self._foundation(base).asset_id))
        _put(record, "customization", item.get("customizationType"))
        _put(record, "customization_job", item.get("jobArn"))
        kms = _text(item.get("modelKmsKeyArn"))
        if kms:
            record.tags["kms_key"] = kms
            record.encrypted = True
        self._bedrock_training_data(record, item)
        output = item.get("outputDataConfig")
        if isinstance(output, dict):
            _put(record, "output", output.get("s3Uri"))
        _times(record, item)

    def _bedrock_training_data(self, record: AssetRecord, item: dict[str, Any]) -> list[AssetRecord]:
        datasets = []
        training = item.get("trainingDataConfig")
        uris = [_text(training.get("s3Uri")) if isinstance(training, dict) else None]
        validation = item.get("validationDataConfig")
        if isinstance(validation, dict):
            uris.extend(_text(v.get("s3Uri")) for v in _dicts(validation.get("validators")))
        for uri in uris:
            if uri:
                dataset = self._dataset(uri)
                record.lineage.append(("trained_on", dataset.asset_id))
                datasets.append(dataset)
        return datasets

    def bedrock_customization_job(self, item: dict[str, Any]) -> None:
        arn = _text(item.get("jobArn"))
        name = self._name(item, "jobName", arn, "a Bedrock model-customization job")
        record = self._add(AssetKind.TRAINING_JOB, "training_job", name, arn=arn, item=item)
        self._arn_named(record, item, "jobName")
        record.tags["job_type"] = "bedrock model customization"
        _put(record, "status", item.get("status"))
        _put(record, "role", item.get("roleArn"))
        datasets = self._bedrock_training_data(record, item)
        output_name = _text(item.get("outputModelName")) or _text(item.get("customModelName"))
        output_arn = _text(item.get("outputModelArn")) or _text(item.get("customModelArn"))
        if output_name:
            model = self._add(AssetKind.MODEL, "model", output_name, arn=output_arn)
            model.lineage.extend(("trained_on", d.asset_id) for d in datasets)
            model.lineage.append(("derived_from", record.asset_id))
            base = _text(item.get("baseModelArn"))
            if base:
                model.lineage.append(("derived_from", self._foundation(base).asset_id))
        _times(record, item)

    def bedrock_invocation_job(self, item: dict[str, Any]) -> None:
        arn = _text(item.get("jobArn"))
        name = self._name(item, "jobName", arn, "a Bedrock model-invocation job")
        record = self._add(AssetKind.OTHER, "invocation_job", name, arn=arn, item=item)
        self._arn_named(record, item, "jobName")
        _put(record, "status", item.get("status"))
        _put(record, "role", item.get("roleArn"))
        model = _text(item.get("modelId"))
        if model:
            record.tags["model"] = model
            record.lineage.append(("depends_on", self._foundation(model).asset_id))
        # Batch input holds prompts, output the responses: reads of either belong to this job.
        for key, inner, tag in (
            ("inputDataConfig", "s3InputDataConfig", "input"),
            ("outputDataConfig", "s3OutputDataConfig", "output"),
        ):
            uri = _text(_dig(item, key, inner, "s3Uri"))
            if uri:
                record.tags[tag] = uri
                record.locators.append(uri)
        _times(record, item)

    def bedrock_provisioned(self, item: dict[str, Any]) -> None:
        name = _required(item, "provisionedModelName", "a Bedrock provisioned throughput")
        arn = _text(item.get("provisionedModelArn"))
        record = self._add(AssetKind.ENDPOINT, "endpoint", name, arn=arn, item=item)
        record.tags["endpoint_type"] = "bedrock provisioned throughput"
        _put(record, "status", item.get("status"))
        model = _text(item.get("modelArn")) or _text(item.get("foundationModelArn"))
        if model:
            served = self._foundation(model)
            served.lineage.append(("deployed_as", record.asset_id))
        _times(record, item)

    def bedrock_guardrail(self, item: dict[str, Any]) -> None:
        name = _text(item.get("name"))
        arn = _text(item.get("guardrailArn")) or _text(item.get("arn"))
        if not name:
            raise Skip("a Bedrock guardrail without a name")
        record = self._add(AssetKind.OTHER, "guardrail", name, arn=arn, item=item)
        _put(record, "guardrail_id", item.get("guardrailId") or item.get("id"))
        _put(record, "status", item.get("status"))
        _put(record, "guardrail_version", item.get("version"))
        policies = sorted(k for k, v in item.items() if k.endswith("Policy") and isinstance(v, dict))
        if policies:
            record.tags["policies"] = policies
        kms = _text(item.get("kmsKeyArn"))
        if kms:
            record.encrypted = True
        _times(record, item)

    def bedrock_knowledge_base(self, item: dict[str, Any]) -> None:
        name = _required(item, "name", "a Bedrock knowledge base")
        arn = _text(item.get("knowledgeBaseArn"))
        record = self._add(AssetKind.DATASET, "dataset", name, arn=arn, item=item)
        record.tags["dataset_type"] = "bedrock knowledge base"
        kb_id = _text(item.get("knowledgeBaseId"))
        if kb_id:
            record.tags["knowledge_base_id"] = kb_id
            record.locators.append(kb_id)
        _put(record, "status", item.get("status"))
        _put(record, "role", item.get("roleArn"))
        embedding = _text(
            _dig(item, "knowledgeBaseConfiguration", "vectorKnowledgeBaseConfiguration", "embeddingModelArn")
        )
        if embedding:
            record.tags["embedding_model"] = embedding
            record.lineage.append(("depends_on", self._foundation(embedding).asset_id))
        storage = item.get("storageConfiguration")
        if isinstance(storage, dict):
            _put(record, "storage", storage.get("type"))
            # The vector store holds the knowledge base's content: access to it is access to the data.
            for config in storage.values():
                if isinstance(config, dict):
                    for key, value in config.items():
                        if key.endswith("Arn") and isinstance(value, str) and value.startswith("arn:"):
                            record.locators.append(value)
        _times(record, item)

    def bedrock_agent(self, item: dict[str, Any]) -> None:
        name = _required(item, "agentName", "a Bedrock agent")
        arn = _text(item.get("agentArn"))
        record = self._add(AssetKind.SERVICE, "service", name, arn=arn, item=item)
        record.tags["service_type"] = "bedrock agent"
        agent_id = _text(item.get("agentId"))
        if agent_id:
            record.tags["agent_id"] = agent_id
            record.locators.append(agent_id)
        _put(record, "status", item.get("agentStatus"))
        _put(record, "role", item.get("agentResourceRoleArn"))
        model = _text(item.get("foundationModel"))
        if model:
            record.tags["model"] = model
            record.lineage.append(("depends_on", self._foundation(model).asset_id))
        guardrail = item.get("guardrailConfiguration")
        if isinstance(guardrail, dict):
            _put(record, "guardrail", guardrail.get("guardrailIdentifier"))
        kms = _text(item.get("customerEncryptionKeyArn"))
        if kms:
            record.tags["kms_key"] = kms
            record.encrypted = True
        _times(record, item)

    def bedrock_logging(self, config: dict[str, Any]) -> None:
        """The account/region's model-invocation logging: an asset whose tags say whether it is on."""
        record = self._add(AssetKind.SERVICE, "service", LOGGING_NAME, item={"loggingConfig": config})
        s3 = config.get("s3Config")
        cloudwatch = config.get("cloudWatchConfig")
        destinations: dict[str, Any] = {}
        if isinstance(s3, dict) and _text(s3.get("bucketName")):
            prefix = (_text(s3.get("keyPrefix")) or "").strip("/")
            uri = f"s3://{_text(s3.get('bucketName'))}/{prefix + '/' if prefix else ''}"
            destinations["s3"] = uri
            # Reads of the delivered logs (prompts and responses) link to this asset.
            record.locators.append(uri)
        if isinstance(cloudwatch, dict) and _text(cloudwatch.get("logGroupName")):
            destinations["cloudwatch_log_group"] = _text(cloudwatch.get("logGroupName"))
            _put(record, "role", cloudwatch.get("roleArn"))
        flags = {
            key.removesuffix("DataDeliveryEnabled"): value
            for key, value in config.items()
            if key.endswith("DataDeliveryEnabled") and isinstance(value, bool)
        }
        # The same test as the access_logging_disabled analyzer: no destination, or nothing delivered.
        enabled = bool(destinations) and any(flags.values())
        record.tags["model_invocation_logging"] = {
            "enabled": enabled,
            "destinations": destinations,
            "delivery": flags,
        }

    def tag_mapping(self, item: dict[str, Any]) -> None:
        arn = _text(item.get("ResourceARN"))
        if arn is None:
            raise Skip("a tag mapping without a ResourceARN")
        record = self._from_arn(arn, item=item)
        apply_tags(record, item.get("Tags"))

    # -- resolution and the write -------------------------------------------------------------------
    def finish(self) -> None:
        if not self.records:
            return
        remap, names = self._known_ids()
        for record in self.records:
            old = record.asset_id
            record.asset_id = remap.get(old, old)
            if old in names and old in self.arn_named:
                record.name = names[old]  # keep the inventory's spelling over the ARN's lower case
            record.lineage = [(rel, remap.get(dst, dst)) for rel, dst in record.lineage]
        for record, url in self.artifact_refs:
            # A described model serving an artifact another model asset was written as derives from it.
            for source in self._models_at(url):
                if source != record.asset_id:
                    record.lineage.append(("derived_from", source))
        described = {r.asset_id for r in self.records if id(r) in self.full}
        existing = self._existing({r.asset_id for r in self.records if r.asset_id not in described})
        edges: list[tuple[str, str, str]] = []
        stubs: list[AssetRecord] = []
        full: list[AssetRecord] = []
        for record in self.records:
            if record.asset_id not in described and record.asset_id in existing:
                # Only named here and already in the inventory: leave it as its own inventory says,
                # but keep the lineage this response adds to it.
                edges.extend((record.asset_id, rel, dst) for rel, dst in record.lineage)
            else:
                (full if id(record) in self.full else stubs).append(record)
        named_by: dict[str, set[str]] = {}
        for record in self.records:
            for _, dst in record.lineage:
                named_by.setdefault(dst, set()).add(record.asset_id)
                named_by.setdefault(record.asset_id, set()).add(dst)
        for record in stubs:
            if record.raw is None:
                # Known only because another resource names it: say which, instead of no record.
                referrers = sorted(named_by.get(record.asset_id, set()) - {record.asset_id})
                record.raw = json.dumps({"named_by": referrers}, ensure_ascii=False)
        edges.extend(self._deployments(remap))
        # Stubs first: when a record describes the same asset, its values win the merge.
        write_assets(self.ctx, [*stubs, *full])
        self._add_edges(edges)

    def _known_ids(self) -> tuple[dict[str, str], dict[str, str]]:
        """Provisional id -> the id of the asset the store already has under the same ARN (or, for
        a dataset or artifact stub, an S3 location holding it); and the stored names of those assets."""
        arns: dict[str, list[str]] = {}
        for record in self.records:
            for value in (record.uri, *record.locators):
                if value and value.lower().startswith("arn:"):
                    arns.setdefault(record.asset_id, []).append(value.lower())
        wanted = sorted({a for values in arns.values() for a in values})
        found: dict[str, tuple[str, str, str]] = {}
        if wanted:
            rows = self.ctx.cur.execute(
                "SELECT l.locator, a.asset_id, a.kind, a.name FROM asset_locators l "
                "JOIN assets a USING (asset_id) "
                "WHERE l.kind = 'exact' AND l.locator IN (SELECT unnest(?::VARCHAR[])) "
                "ORDER BY a.asset_id",
                [wanted],
            ).fetchall()
            for locator, asset_id, kind, name in rows:
                found.setdefault(str(locator), (str(asset_id), str(kind), str(name)))
        kinds = {r.asset_id: r.kind for r in self.records}
        remap: dict[str, str] = {}
        names: dict[str, str] = {}
        for provisional, values in arns.items():
            for arn in values:
                hit = found.get(arn)
                if hit and _compatible(kinds[provisional], hit[1]):
                    names[provisional] = hit[2]
                    if hit[0] != provisional:
                        remap[provisional] = hit[0]
                    break
        # An artifact a described model in this file serves is that model.
        in_file = {url.lower(): record.asset_id for record, url in self.artifact_refs}
        for provisional, uri in self.by_uri.items():
            if provisional in remap:
                continue
            hit_id = in_file.get(uri.lower()) if kinds[provisional] in _MODEL_KINDS else None
            hit_id = hit_id or self._covering(uri, kinds[provisional])
            if hit_id and hit_id != provisional:
                remap[provisional] = hit_id
        return remap, names

    def _models_at(self, url: str) -> list[str]:
        rows = self.ctx.cur.execute(
            "SELECT DISTINCT l.asset_id FROM asset_locators l JOIN assets a USING (asset_id) "
            "WHERE l.kind = 'exact' AND l.locator = ? AND a.kind IN ('model', 'model_version') "
            "ORDER BY 1",
            [url.lower()],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def _covering(self, uri: str, kind: str) -> str | None:
        """The most specific known asset of ``kind`` whose locator is ``uri`` or a prefix holding it."""
        low = uri.lower()
        kinds = sorted(_MODEL_KINDS) if kind in _MODEL_KINDS else [kind]
        exact = [loc for loc, k in locators_for(uri) if k == "exact"] or [low]
        rows = self.ctx.cur.execute(
            "SELECT l.asset_id FROM asset_locators l JOIN assets a USING (asset_id) "
            "WHERE a.kind IN (SELECT unnest(?::VARCHAR[])) AND ("
            "   (l.kind = 'exact' AND l.locator IN (SELECT unnest(?::VARCHAR[])))"
            "   OR (l.kind = 'prefix' AND starts_with(? || '/', l.locator))) "
            "ORDER BY (l.kind = 'exact') DESC, strlen(l.locator) DESC, l.asset_id LIMIT 1",
            [kinds, exact, low.rstrip("/")],
        ).fetchall()
        return str(rows[0][0]) if rows else None

    def _existing(self, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        rows = self.ctx.cur.execute(
            "SELECT asset_id FROM assets WHERE asset_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(ids)]
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _deployments(self, remap: dict[str, str]) -> list[tuple[str, str, str]]:
        """model deployed_as endpoint, joining DescribeEndpoint (endpoint -> config) and
        DescribeEndpointConfig (config -> models) whether they are in this file or loaded before."""
        pairs = [(remap.get(e, e), remap.get(c, c)) for e, c in self.endpoint_configs]
        config_models: dict[str, list[str]] = {}
        for config, model in self.config_models:
            config_models.setdefault(remap.get(config, config), []).append(remap.get(model, model))
        edges: list[tuple[str, str, str]] = []
        cur = self.ctx.cur
        for endpoint, config in pairs:
            models = config_models.get(config) or [
                str(r[0])
                for r in cur.execute(
                    "SELECT l.dst_asset FROM lineage l JOIN assets a ON a.asset_id = l.dst_asset "
                    "WHERE l.src_asset = ? AND l.relation = 'depends_on' AND a.kind IN ('model', 'model_version')",
                    [config],
                ).fetchall()
            ]
            edges.extend((model, "deployed_as", endpoint) for model in models)
        for config, models in config_models.items():
            endpoints = {e for e, c in pairs if c == config}
            endpoints.update(
                str(r[0])
                for r in cur.execute(
                    "SELECT l.src_asset FROM lineage l JOIN assets a ON a.asset_id = l.src_asset "
                    "WHERE l.dst_asset = ? AND l.relation = 'depends_on' AND a.kind = 'endpoint'",
                    [config],
                ).fetchall()
            )
            edges.extend(
                (model, "deployed_as", endpoint) for model in models for endpoint in sorted(endpoints)
            )
        return edges

    def _add_edges(self, edges: list[tuple[str, str, str]]) -> None:
        """Lineage whose source asset this file does not (re)write, added the way write_assets does."""
        unique = list(dict.fromkeys(e for e in edges if e[0] != e[2]))
        if not unique:
            return
        self.ctx.cur.executemany(
            "INSERT INTO lineage (src_asset, relation, dst_asset, source, run_id) "
            "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM lineage "
            "WHERE src_asset = ? AND relation = ? AND dst_asset = ?)",
            [[s, r, d, self.ctx.format_name, self.ctx.run_id, s, r, d] for s, r, d in unique],
        )


def apply_tags(record: AssetRecord, tags: Any) -> None:
    """AWS resource tags (``[{Key, Value}]``, ``[{key, value}]`` or a mapping) onto the asset: owner
    and environment tags fill those columns; all are kept under ``aws_tags``."""
    pairs: dict[str, str] = {}
    if isinstance(tags, dict):
        pairs = {str(k): str(v) for k, v in tags.items()}
    else:
        for tag in _dicts(tags):
            key = tag.get("Key", tag.get("key"))
            if isinstance(key, str):
                pairs[key] = str(tag.get("Value", tag.get("value", "")))
    if not pairs:
        return
    record.tags["aws_tags"] = pairs
    for key, value in pairs.items():
        low = key.strip().lower()
        if low in _OWNER_TAGS and value.strip() and record.owner is None:
            record.owner = value.strip()
        elif low in _ENVIRONMENT_TAGS and value.strip():
            record.environment = normalize_environment(value)
        elif low in _HINT_TAGS:
            record.tags[low] = value  # the no-owner analyzer reads team/maintainer as a hint


def _compatible(kind: str, known: str) -> bool:
    return kind == known or (kind in _MODEL_KINDS and known in _MODEL_KINDS)


def _model_data(container: dict[str, Any]) -> list[str]:
    """The S3 locations of a container's model artifacts (a prefix ends in '/')."""
    urls = []
    url = _text(container.get("ModelDataUrl"))
    if url:
        urls.append(url)
    source = _dig(container, "ModelDataSource", "S3DataSource")
    if isinstance(source, dict) and _text(source.get("S3Uri")):
        uri = str(_text(source.get("S3Uri")))
        if source.get("S3DataType") == "S3Prefix" and not uri.endswith("/"):
            uri += "/"
        if uri not in urls:
            urls.append(uri)
    return urls


def _capture(config: Any, *, summary: bool) -> dict[str, Any]:
    """Data capture as the access_logging_disabled analyzer judges it: no config, or EnableCapture
    false, is off; a config without EnableCapture is on (the API default)."""
    if not isinstance(config, dict):
        return {"enabled": False, "reason": "no DataCaptureConfig"}
    enabled = config.get("EnableCapture", True) is not False
    out: dict[str, Any] = {"enabled": enabled}
    for key, tag in (
        ("DestinationS3Uri", "destination"),
        ("KmsKeyId", "kms_key"),
        ("CaptureStatus" if summary else "InitialSamplingPercentage", "status" if summary else "sampling"),
        ("CurrentSamplingPercentage", "sampling"),
    ):
        value = config.get(key)
        if value is not None and value != "":
            out[tag] = value
    return out


def _times(record: AssetRecord, item: dict[str, Any]) -> None:
    for key, tag in (
        ("CreationTime", "created"),
        ("creationTime", "created"),
        ("createdAt", "created"),
        ("submitTime", "created"),
        ("LastModifiedTime", "last_modified"),
        ("lastModifiedTime", "last_modified"),
        ("updatedAt", "last_modified"),
        ("TrainingEndTime", "ended"),
        ("EndTime", "ended"),
        ("endTime", "ended"),
    ):
        if tag not in record.tags:
            moment = iso_time(item.get(key))
            if moment:
                record.tags[tag] = moment


def _put(record: AssetRecord, tag: str, value: Any) -> None:
    if isinstance(value, bool | int | float):
        record.tags[tag] = value
    elif isinstance(value, str) and value.strip():
        record.tags[tag] = value.strip()


def _append(tags: dict[str, Any], key: str, value: str) -> None:
    values = tags.setdefault(key, [])
    if value not in values:
        values.append(value)


def _compact(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None and v != [] and v != ""}


def _cut(value: Any, limit: int = 500) -> Any:
    return value[:limit] if isinstance(value, str) else value


def _required(item: dict[str, Any], key: str, what: str) -> str:
    value = _text(item.get(key))
    if value is None:
        raise Skip(f"{what} without {key}")
    return value


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in _list(value) if isinstance(item, dict)]
