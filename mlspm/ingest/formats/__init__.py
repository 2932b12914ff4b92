"""The registry of input formats, consulted in order by content detection."""

from __future__ import annotations

from functools import cache

from mlspm.ingest.formats.base import Format


def all_formats() -> list[Format]:
    """Every supported format (imported lazily so start-up stays light)."""
    return list(_formats())


@cache
def _formats() -> tuple[Format, ...]:
    # Built once: formats hold no state, and detection asks for them once per file.
    from mlspm.ingest.formats.ai_platform_audit import AnthropicActivity, DatabricksAudit, OpenAIAudit
    from mlspm.ingest.formats.aws_ml_api import AwsMlApi
    from mlspm.ingest.formats.azure_logs import AzureLogs
    from mlspm.ingest.formats.bedrock_invocation import BedrockInvocation
    from mlspm.ingest.formats.cloudtrail import CloudTrail, CloudTrailDigest
    from mlspm.ingest.formats.cyclonedx import CycloneDX
    from mlspm.ingest.formats.dependency_vulns import PipAuditReport, TrivyReport
    from mlspm.ingest.formats.fickling_report import FicklingReport
    from mlspm.ingest.formats.gcp_audit import GcpAudit
    from mlspm.ingest.formats.generic_assets import GenericAssets
    from mlspm.ingest.formats.generic_events import GenericEvents
    from mlspm.ingest.formats.hf_card import HuggingFaceCard
    from mlspm.ingest.formats.inference_server import InferenceServerLog
    from mlspm.ingest.formats.k8s_audit import K8sAudit
    from mlspm.ingest.formats.mlflow_model import MlflowModel
    from mlspm.ingest.formats.modelaudit import ModelAuditReport
    from mlspm.ingest.formats.modelscan_report import ModelscanReport
    from mlspm.ingest.formats.picklescan_text import PicklescanText
    from mlspm.ingest.formats.s3_access import S3AccessLog
    from mlspm.ingest.formats.s3_access_json import S3AccessJson
    from mlspm.ingest.formats.sarif import Sarif
    from mlspm.ingest.formats.spdx3 import Spdx3

    return (
        CloudTrail(),
        CloudTrailDigest(),
        S3AccessLog(),
        S3AccessJson(),
        GcpAudit(),
        AzureLogs(),
        K8sAudit(),
        BedrockInvocation(),
        InferenceServerLog(),
        DatabricksAudit(),
        OpenAIAudit(),
        AnthropicActivity(),
        CycloneDX(),
        Spdx3(),
        MlflowModel(),
        AwsMlApi(),
        HuggingFaceCard(),
        ModelscanReport(),
        ModelAuditReport(),
        FicklingReport(),
        PicklescanText(),
        Sarif(),
        TrivyReport(),
        PipAuditReport(),
        GenericAssets(),
        GenericEvents(),
    )


def by_name(name: str) -> Format:
    for fmt in all_formats():
        if fmt.name == name:
            return fmt
    names = ", ".join(f.name for f in all_formats())
    raise KeyError(f"unknown format {name!r} (known: {names})")
