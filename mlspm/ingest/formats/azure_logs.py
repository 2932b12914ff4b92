"""Azure Monitor logs — the Activity log and resource (diagnostic) logs: Storage, Azure ML, Entra ID — as access events.

Read from diagnostic-setting exports (``{"records": [...]}`` blobs, JSON lines, Event Hub captures),
``az monitor activity-log list`` output and SIEM exports. Operation names are case-folded (the same
operation arrives as ``MICROSOFT.STORAGE/...``, ``Microsoft.Storage/...`` and lower case), and SAS
signatures in request URIs are redacted before the record is stored.

Resources: a Storage object is its URL ``https://<account>.<service>.core.windows.net/<container>/<blob>``
(the host of the logged ``uri`` when there is one, the object key's path), so a container or account
URL is a prefix of its blobs; anything else is its ARM resource id, lower-cased (Azure ids are
case-insensitive): ``/subscriptions/<id>/resourcegroups/<rg>/providers/microsoft.machinelearningservices/
workspaces/<ws>/onlineendpoints/<ep>``. AKS ``kube-audit`` records are Kubernetes audit events (see
:mod:`k8s_audit`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from mlspm.enums import ActionClass
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import LIKELY, NO
from mlspm.ingest.formats.k8s_audit import (
    Normalized,
    OneEventPerRequest,
    ci_first,
    ci_get,
    is_aks,
    load_records,
    normalize_aks,
    report_superseded,
    sample_records,
    share_score,
    text,
)
from mlspm.ingest.pyevents import as_int, parse_time
from mlspm.ingest.rules import action_class, outcome_from_status
from mlspm.ingest.source import Sample

_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_PROVIDER = re.compile(r"/providers/([^/]+)", re.IGNORECASE)
# A SAS signature in a logged URI: the parameter stays, its value does not.
_SAS_SIG = re.compile(r"([?&]sig=)[^&\"\s]+", re.IGNORECASE)

_SUCCESS = frozenset({"success", "succeeded", "0"})
_FAILURE = frozenset({"failure", "failed"})
# Entra ID audit operations are sentences: these words mark a change of who may do what
_PERMISSION_WORDS = ("role", "member", "permission", "consent", "policy")
# ARM ``.../<name>/action`` operations whose name the generic rules would misread
_ACTIONS = {
    "listkeys": ActionClass.ADMIN,  # returns the storage account keys: a credential, not a listing
    "regeneratekey": ActionClass.ADMIN,
    "listaccountsas": ActionClass.ADMIN,
    "listservicesas": ActionClass.ADMIN,
    "listsecrets": ActionClass.ADMIN,
    "begingetaccess": ActionClass.ADMIN,  # a disk export URL
    "score": ActionClass.INVOKE,  # Azure ML online endpoints
    "elevateaccess": ActionClass.PERMISSION_CHANGE,
}
# Resource types whose writes change who may do what.
_PERMISSION_TYPES = (
    "microsoft.authorization/roleassignments",
    "microsoft.authorization/roledefinitions",
    "microsoft.authorization/locks",
    "microsoft.authorization/policyassignments",
    "/accesspolicies",
    "rbac.authorization.k8s.io/",
)
_STORAGE_CATEGORIES = ("storageread", "storagewrite", "storagedelete")


def is_azure_record(doc: Mapping[str, Any]) -> bool:
    """An Azure Monitor record: an operation name and a resource id or category (any key case)."""
    return text(ci_get(doc, "operationName")) is not None and (
        ci_get(doc, "resourceId") is not None or ci_get(doc, "category") is not None
    )


def strip_port(value: str) -> str:
    """``1.2.3.4:5678`` → ``1.2.3.4``, ``[2001:db8::1]:443`` → ``2001:db8::1``; anything else as is."""
    addr = value.strip().lstrip("/")
    if addr.startswith("[") and "]" in addr:
        return addr[1 : addr.index("]")]
    host, sep, port = addr.rpartition(":")
    if sep and port.isdigit() and host and ":" not in host:
        return host
    return addr


def azure_action_class(operation: str, category: str) -> ActionClass:
    """The class of a case-folded operation name (ARM ``provider/type/verb`` or a data-plane name)."""
    if category.endswith("signinlogs"):  # a sign-in, like CloudTrail's ConsoleLogin
        return ActionClass.ADMIN
    if "/" in operation:
        parts = operation.split("/")
        verb = parts[-1]
        if any(t in operation for t in _PERMISSION_TYPES) and verb in ("write", "delete"):
            return ActionClass.PERMISSION_CHANGE
        if verb == "read":
            return ActionClass.READ
        if verb == "write":
            return ActionClass.WRITE
        if verb == "delete":
            return ActionClass.DELETE
        name = parts[-2] if verb == "action" and len(parts) > 1 else verb
        return _ACTIONS.get(name) or action_class(name)
    if " " in operation:  # Entra ID audit: ``add member to role``, ``add service principal credentials``
        if any(w in operation for w in _PERMISSION_WORDS):
            return ActionClass.PERMISSION_CHANGE
        if "credential" in operation:
            return ActionClass.ADMIN
    # data-plane names: GetBlob, PutBlockList, SetBlobTier
    klass = action_class(operation.replace(" ", ""))
    if klass is ActionClass.OTHER and operation.startswith("set"):
        return ActionClass.WRITE
    return klass


def _claim(claims: Any, *names: str) -> str | None:
    """The first of ``names`` in a claims object (its keys are URIs with dots: no dotted paths here)."""
    if not isinstance(claims, dict):
        return None
    folded = {str(k).lower(): v for k, v in claims.items()}
    for name in names:
        value = text(folded.get(name.lower()))
        if value:
            return value
    return None


def _principal(rec: Mapping[str, Any], category: str) -> tuple[str | None, str | None]:
    """(principal, principal_type): a user's UPN, else an application, else how the request authenticated."""
    claims = ci_first(rec, "identity.claims", "claims")
    user = _claim(claims, f"{_CLAIMS}upn", "upn", f"{_CLAIMS}name", f"{_CLAIMS}emailaddress")
    if user is None and "@" in (_claim(claims, "name") or ""):  # else a display name, not an identity
        user = _claim(claims, "name")
    user = user or ci_first(
        rec,
        "caller",
        "identity.requester.upn",
        "properties.userPrincipalName",
        "properties.initiatedBy.user.userPrincipalName",
    )
    if text(user):
        kind = "ServicePrincipal" if category == "serviceprincipalsigninlogs" else "User"
        return text(user), kind
    app = _claim(claims, "appid", "azp") or ci_first(
        rec, "identity.requester.appId", "properties.initiatedBy.app.servicePrincipalId", "properties.appId"
    )
    if text(app):
        kind = "ManagedIdentity" if category == "managedidentitysigninlogs" else "ServicePrincipal"
        return text(app), kind
    oid = _claim(claims, _OID, "oid") or ci_first(
        rec, "identity.requester.objectId", "identity.authorization.evidence.principalId"
    )
    if text(oid):
        return text(oid), text(ci_get(rec, "identity.authorization.evidence.principalType"))
    auth = (text(ci_get(rec, "identity.type")) or "").lower()
    if auth == "anonymous":
        return "anonymous", "anonymous"
    if auth in ("sas", "accountkey"):
        # whoever holds a SAS token or the account key of this account
        account = text(ci_get(rec, "properties.accountName"))
        return (f"{auth}:{account.lower()}" if account else auth), ("SAS" if auth == "sas" else "AccountKey")
    name = ci_get(rec, "identity")
    if isinstance(name, str) and name.strip():  # some exporters flatten identity to a display name
        return name.strip(), None
    return None, None


def _resource(rec: Mapping[str, Any], resource_id: str | None) -> str | None:
    key = text(ci_get(rec, "properties.objectKey"))
    uri = text(ci_get(rec, "uri"))
    if key or uri:
        parsed = urlsplit(uri) if uri else None
        host = parsed.hostname if parsed and parsed.hostname else None
        if key:
            account, _, path = key.lstrip("/").partition("/")
            service = (text(ci_get(rec, "properties.serviceType")) or "blob").lower()
            host = host or f"{account.lower()}.{service}.core.windows.net"
        else:
            path = unquote(parsed.path).lstrip("/") if parsed else ""
        if host:
            return f"https://{host.lower()}/{path}"
    return resource_id.lower() if resource_id else None


def _outcome(rec: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(outcome, status_code, error_message) from status code, result type or the properties' result."""
    status = text(ci_get(rec, "statusCode"))
    signature = text(ci_get(rec, "resultSignature"))
    if signature and signature.lower() == "none":
        signature = None
    result = (text(ci_get(rec, "resultType")) or text(ci_get(rec, "status")) or "").lower()
    error_code = as_int(ci_get(rec, "properties.status.errorCode"))  # Entra ID sign-ins
    response = (text(ci_get(rec, "properties.metricResponseType")) or "").lower()  # Storage
    verdict = (text(ci_first(rec, "properties.result", "result")) or "").lower()  # Entra ID audit
    code = status or signature or (str(error_code) if error_code else None)
    if status:
        outcome = outcome_from_status(status)
    elif result in _SUCCESS:
        outcome = "success"
    elif result in _FAILURE or (result.isdigit() and result != "0"):  # a sign-in error code
        outcome = "failure"
        code = code or result
    elif result:
        outcome = "unknown"  # Start, Accept, Active: the operation has not finished
    elif response:
        outcome = "success" if response == "success" else "failure"
    elif verdict in _SUCCESS or verdict in _FAILURE:
        outcome = "success" if verdict in _SUCCESS else "failure"
    elif error_code is not None:
        outcome = "success" if error_code == 0 else "failure"
    else:
        outcome = outcome_from_status(signature)
    error = None
    if outcome == "failure":
        error = text(
            ci_first(
                rec,
                "statusText",
                "properties.status.failureReason",
                "resultDescription",
                "properties.metricResponseType",
                "resultType",
            )
        )
    return outcome, code, error


def normalize_record(rec: Mapping[str, Any]) -> dict[str, Any] | str:
    """One Azure Monitor record as an access event, or the reason it cannot be one."""
    operation = text(ci_first(rec, "operationName", "properties.operationName"))
    if operation is None:
        return "not an Azure Monitor record (no operationName)"
    ts = parse_time(
        ci_first(
            rec,
            "time",
            "eventTimestamp",
            "properties.activityDateTime",
            "properties.createdDateTime",
            "p_event_time",  # Panther's copy of the record's time
        )
    )
    if ts is None:
        return "no time (time, eventTimestamp) or it is unreadable"
    op = operation.lower()
    category = (text(ci_get(rec, "category")) or "").lower()
    resource_id = text(ci_get(rec, "resourceId"))
    principal, principal_type = _principal(rec, category)
    outcome, status_code, error = _outcome(rec)
    ip = text(ci_first(rec, "callerIpAddress", "httpRequest.clientIpAddress", "properties.ipAddress"))
    ip = ip or text(ci_get(rec, "identity.claims.ipaddr"))
    provider = op.split("/", 1)[0] if "/" in op else None
    if provider is None and resource_id:
        providers = _PROVIDER.findall(resource_id)
        provider = providers[-1].lower() if providers else None
    subscription = _SUBSCRIPTION.match(resource_id or "")
    storage = category in _STORAGE_CATEGORIES or ci_get(rec, "properties.objectKey") is not None
    if provider is None and storage:
        provider = "microsoft.storage"
    duration = ci_get(rec, "durationMs")
    return {
        "event_id": text(
            ci_first(rec, "eventDataId", "properties.eventDataId", "properties.id")
            # a Storage log's correlationId is the request's own id (x-ms-request-id)
            or (ci_get(rec, "correlationId") if storage else None)
        ),
        "ts": ts,
        "principal": principal,
        "principal_type": principal_type,
        "account_id": subscription.group(1).lower() if subscription else text(ci_get(rec, "tenantId")),
        # Entra ID logs put a country in location, not a region
        "region": None if category.endswith(("signinlogs", "auditlogs")) else text(ci_get(rec, "location")),
        "source_ip": strip_port(ip) if ip else None,
        "user_agent": text(ci_first(rec, "properties.userAgentHeader", "properties.userAgent")),
        "service": provider,
        "action": op,
        "action_class": azure_action_class(op, category).value,
        "resource": _resource(rec, resource_id),
        "outcome": outcome,
        "status_code": status_code,
        "error_message": error,
        "bytes_out": as_int(ci_get(rec, "properties.responseBodySize")),
        "bytes_in": as_int(ci_get(rec, "properties.requestBodySize")),
        "duration_ms": float(duration) if isinstance(duration, int | float) else None,
        "auth_type": text(ci_first(rec, "identity.type", "properties.authenticationProtocol")),
    }


def redact(raw: str) -> str:
    """``raw`` with SAS signatures (``sig=``) in URIs replaced by REDACTED."""
    return _SAS_SIG.sub(r"\1REDACTED", raw) if "sig=" in raw.lower() else raw


class AzureLogs:
    """Azure Activity log and resource logs in the Azure Monitor common schema."""

    name: ClassVar[str] = "azure_logs"
    title: ClassVar[str] = "Azure Activity / resource logs"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        records = sample_records(sample)
        if records:
            azure = [r for r in records if is_azure_record(r)]
            # mostly AKS kube-audit records: a Kubernetes audit log, read by the Kubernetes format
            kube = sum(is_aks(r) for r in azure)
            return share_score(len(azure), len(records), ceded=kube * 2 > len(azure))
        head = sample.text[:65536]
        if (
            head.lstrip().startswith(("[", "{"))
            and re.search(r'"operationName"\s*:', head, re.IGNORECASE)
            and re.search(r'"(resourceId|category)"\s*:', head, re.IGNORECASE)
        ):
            return LIKELY  # a document too large for the sample: judged by its head
        return NO

    def load(self, ctx: LoadContext) -> None:
        writer, records = load_records(ctx)
        requests = OneEventPerRequest(writer)
        for rec in records:
            rec = replace(rec, raw=redact(rec.raw))
            if rec.value is None:
                writer.reject(rec, rec.error or "not a JSON object")
                continue
            result: Normalized | dict[str, Any] | str
            result = normalize_aks(rec.value) if is_aks(rec.value) else normalize_record(rec.value)
            if isinstance(result, str):
                writer.reject(rec, result)
            elif isinstance(result, Normalized):
                requests.add(rec.position, result, rec.raw)
            else:
                writer.add(rec.position, result, rec.raw)
        dropped = requests.finish()
        writer.finish()
        report_superseded(ctx, dropped)
