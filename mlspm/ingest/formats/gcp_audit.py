"""GCP Cloud Audit Logs (GCS data access, Vertex AI, IAM; sink exports, gcloud output) as access events.

Resources: a Cloud Storage object is ``gs://<bucket>/<object>`` and a bucket ``gs://<bucket>``; any
other resource is its Google full resource name ``//<service>/<resourceName>``
(``//aiplatform.googleapis.com/projects/p/locations/us-central1/endpoints/123``), the form Cloud Asset
Inventory uses, so the service host is the URI authority for prefix links. GKE entries (methodName
``io.k8s....``) get the Kubernetes action and ``k8s://`` resource of :mod:`k8s_audit`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import unquote

from mlspm.enums import ActionClass
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import LIKELY, NO
from mlspm.ingest.formats.k8s_audit import SERVICE as K8S_SERVICE
from mlspm.ingest.formats.k8s_audit import (
    ci_first,
    ci_get,
    gke_request,
    is_gke,
    k8s_principal,
    load_records,
    sample_records,
    share_score,
    text,
)
from mlspm.ingest.pyevents import as_int, parse_time
from mlspm.ingest.rules import action_class
from mlspm.ingest.source import Sample

_AUDIT_TYPE = "google.cloud.audit.AuditLog"
_AUDIT_LOG = "cloudaudit.googleapis.com"
_TYPE_KEYS = ("@type", "at_type", "at_sign_type")  # Panther renames @type
_GCS_NAME = re.compile(r"projects/[^/]+/buckets/([^/]+)(?:/objects/(.+))?$", re.DOTALL)
_PROJECT = re.compile(r"(?:^|/)projects/([^/]+)")

# google.rpc.Code: what status.code means.
_GRPC_CODES = (
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
)


def is_audit_entry(doc: Mapping[str, Any]) -> bool:
    """A Cloud Audit Log entry: a protoPayload typed AuditLog, or a ``cloudaudit`` log name."""
    payload = ci_get(doc, "protoPayload")
    if not isinstance(payload, dict):
        return False
    if any(_AUDIT_TYPE in str(payload.get(k, "")) for k in _TYPE_KEYS):
        return True
    return _AUDIT_LOG in unquote(str(ci_get(doc, "logName") or ""))


def gcp_action_class(method: str) -> ActionClass:
    """The class of a method (``storage.objects.get``, ``...PredictionService.Predict``) by its last part."""
    last = method.rsplit(".", 1)[-1]
    klass = action_class(last)
    if klass is not ActionClass.OTHER:
        return klass
    low = last.lower()
    if low.startswith("stream"):  # StreamGenerateContent, StreamRawPredict
        return action_class(last[6:])
    if low == "explain":  # Vertex AI explanations run the model
        return ActionClass.INVOKE
    if low.startswith(("add", "remove")) and "member" in low:
        return ActionClass.PERMISSION_CHANGE
    if low == "patch" or low.startswith("set"):
        return ActionClass.WRITE
    return ActionClass.OTHER


def gcp_resource(name: str | None, service: str | None, bucket: str | None) -> str | None:
    """``gs://`` for Cloud Storage, else the full resource name ``//service/name``."""
    if name:
        gcs = _GCS_NAME.match(name)
        if gcs:
            return f"gs://{gcs.group(1)}" + (f"/{gcs.group(2)}" if gcs.group(2) else "")
        if name.startswith("//"):
            return name
        return f"//{service}/{name}" if service else name
    if bucket:
        return f"gs://{bucket}"
    return None


def _principal_type(email: str | None, subject: str | None) -> str | None:
    if email and email.startswith("system:"):  # a Kubernetes identity on a GKE entry
        return k8s_principal(email)[1]
    if (email or "").endswith(".gserviceaccount.com") or (subject or "").startswith("serviceAccount:"):
        return "ServiceAccount"
    if (subject or "").startswith(("principal://", "principalSet://")):  # workforce/workload federation
        return "FederatedIdentity"
    if email or subject:
        return "User"
    return None


def normalize_entry(entry: Mapping[str, Any]) -> dict[str, Any] | str:
    """One Cloud Audit Log entry as an access event, or the reason it cannot be one."""
    payload = ci_get(entry, "protoPayload")
    if not isinstance(payload, dict):
        return "not a Cloud Audit Log entry (no protoPayload)"
    # (Panther's BigQuery examples nest requestMetadata, methodName and the rest inside metadata)
    meta = ci_first(payload, "requestMetadata", "metadata.requestMetadata")
    ts = (
        parse_time(ci_get(entry, "timestamp"))
        or parse_time(ci_get(meta, "requestAttributes.time"))
        or parse_time(ci_get(entry, "p_event_time"))  # Panther's copy of the entry's time
    )
    if ts is None:
        return "no timestamp (nor requestMetadata.requestAttributes.time)"
    grants = ci_get(payload, "authorizationInfo")
    grants = [g for g in grants if isinstance(g, dict)] if isinstance(grants, list) else []
    # methodName, else inside metadata, else the permission checked
    method = text(ci_first(payload, "methodName", "metadata.methodName")) or text(
        grants[0].get("permission") if grants else None
    )
    if method is None:
        return "no methodName (nor a permission checked): the entry does not say what was done"

    service = text(ci_first(payload, "serviceName", "metadata.serviceName"))
    name = text(ci_first(payload, "resourceName", "metadata.resourceName")) or text(
        grants[0].get("resource") if grants else None
    )
    email = text(ci_get(payload, "authenticationInfo.principalEmail"))
    subject = text(ci_get(payload, "authenticationInfo.principalSubject"))
    fields: dict[str, Any]
    if is_gke(entry) or method.startswith("io.k8s."):
        fields = {**gke_request(method, name), "service": K8S_SERVICE}
    else:
        fields = {
            "action": method,
            "action_class": gcp_action_class(method).value,
            "resource": gcp_resource(name, service, text(ci_get(entry, "resource.labels.bucket_name"))),
            "service": service,
        }

    status = ci_get(payload, "status")
    code = as_int(ci_get(status, "code")) if isinstance(status, dict) else None
    denied = [g for g in grants if g.get("granted") is False]
    log_name = unquote(text(ci_get(entry, "logName")) or "")
    status_code = (
        (_GRPC_CODES[code] if 0 <= code < len(_GRPC_CODES) else str(code)) if code is not None else None
    )
    error = text(ci_get(status, "message")) if code else None
    if code:
        outcome = "failure"
    elif denied:
        outcome = "failure"
        error = f"permission not granted: {text(denied[0].get('permission')) or 'unknown'}"
    elif log_name.endswith(f"{_AUDIT_LOG}/policy"):  # Policy Denied audit logs (VPC Service Controls)
        outcome = "failure"
    else:
        outcome = "success"  # an absent or empty status means OK

    project = text(ci_get(entry, "resource.labels.project_id"))
    if project is None:
        found = _PROJECT.search(log_name) or _PROJECT.search(name or "")
        project = found.group(1) if found and found.group(1) not in ("_", "-") else None
    return {
        "event_id": text(ci_get(entry, "insertId")),
        "ts": ts,
        "principal": email or subject,
        "principal_type": _principal_type(email, subject),
        "account_id": project,
        "region": text(
            ci_first(entry, "resource.labels.location", "resource.labels.zone", "resource.labels.region")
            or ci_get(payload, "resourceLocation.currentLocations.0")
        ),
        "source_ip": text(ci_get(meta, "callerIp")),
        "user_agent": text(ci_get(meta, "callerSuppliedUserAgent")),
        **fields,
        "outcome": outcome,
        "status_code": status_code,
        "error_message": error,
        # a user-managed service-account key (a long-lived credential) made the call
        "auth_type": "service_account_key"
        if ci_get(payload, "authenticationInfo.serviceAccountKeyName")
        else None,
    }


class GcpAudit:
    """GCP Cloud Audit Logs: sink exports (JSON lines), ``gcloud logging read`` arrays, SIEM exports."""

    name: ClassVar[str] = "gcp_audit"
    title: ClassVar[str] = "GCP Cloud Audit Logs"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        records = sample_records(sample)
        if records:
            audit = [r for r in records if is_audit_entry(r)]
            # mostly GKE entries: a Kubernetes audit log, which the Kubernetes format reads the same way
            gke = sum(is_gke(r) for r in audit)
            return share_score(len(audit), len(records), ceded=gke * 2 > len(audit))
        head = sample.text[:65536]
        if head.lstrip().startswith(("[", "{")) and '"protoPayload"' in head and _AUDIT_TYPE in head:
            return LIKELY  # a document too large for the sample: judged by its head
        return NO

    def load(self, ctx: LoadContext) -> None:
        writer, records = load_records(ctx)
        for rec in records:
            if rec.value is None:
                writer.reject(rec, rec.error or "not a JSON object")
                continue
            result = normalize_entry(rec.value)
            if isinstance(result, str):
                writer.reject(rec, result)
            else:
                writer.add(rec.position, result, rec.raw)
        writer.finish()
