"""Kubernetes audit events (apiserver log backend, EKS via CloudWatch, GKE and AKS wrappers) as access events.

One row per request: the apiserver writes an event at every stage of a request under one ``auditID``
(RequestReceived, ResponseStarted for watches and streams, ResponseComplete or Panic); the completed
stage is kept and the earlier ones are counted as duplicates, never stored twice.

Resources are ``k8s://<namespace>/<resource>[.<apiGroup>]/<name>[/<subresource>]`` — the namespace is
the URI authority, so an inventory prefix such as ``k8s://models/`` covers a namespace and
``k8s://models/inferenceservices.serving.kserve.io/fraud`` one KServe service and its subresources.
Cluster-scoped objects have an empty authority: ``k8s:///clusterrolebindings.rbac.authorization.k8s.io/x``.
Requests for non-resource URLs (``/healthz``, ``/version``) carry the path in ``action`` and no resource.

The JSON helpers at the top are shared with the GCP and Azure loaders, which meet GKE and AKS audit
entries in their own exports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, ClassVar

from mlspm.enums import ActionClass
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, MAYBE, NO
from mlspm.ingest.pyevents import LIST_KEYS, EventWriter, RawRecord, get_path, json_records, parse_time
from mlspm.ingest.rules import outcome_from_status
from mlspm.ingest.source import Sample

SERVICE = "k8s"
_MISSING: tuple[Any, ...] = (None, "", "-", [], {})

# ---------------------------------------------------------------------------------------------
# JSON helpers shared with gcp_audit and azure_logs


def ci_get(doc: Any, path: str) -> Any:
    """``doc`` at a dotted path, keys matched case-insensitively (see :func:`get_path`)."""
    return get_path(doc, path, any_case=True)


def ci_first(doc: Any, *paths: str) -> Any:
    """The first value among ``paths`` that is not missing (None, '', '-', [] or {})."""
    for path in paths:
        value = ci_get(doc, path)
        if value not in _MISSING:
            return value
    return None


def text(value: Any) -> str | None:
    """A scalar as text; ``{"value": ...}`` objects (Azure's localized names) give their value."""
    if isinstance(value, dict):
        value = value.get("value")
    if value in _MISSING or isinstance(value, dict | list):
        return None
    return str(value).strip() or None


def unwrap(value: Any) -> Any:
    """The event inside a SIEM/test export wrapper (Panther's ``{"log": {...}}``)."""
    if isinstance(value, dict) and isinstance(value.get("log"), dict):
        return value["log"]
    return value


def sample_records(sample: Sample, limit: int = 50) -> list[dict[str, Any]]:
    """The first records a sample shows, whatever the container: JSON lines, a JSON array, a
    ``{"records": [...]}`` document, or JSON lines that each wrap a list (Azure diagnostic exports)."""
    items: list[Any] = []
    if sample.first_records:
        for line in sample.first_records:
            listed = next((line[k] for k in LIST_KEYS if isinstance(line.get(k), list)), None)
            items.extend(listed if listed is not None else [line])
    elif isinstance(sample.document, list):
        items = sample.document
    elif isinstance(sample.document, dict):
        doc = sample.document
        items = next((doc[k] for k in LIST_KEYS if isinstance(doc.get(k), list)), [doc])
    return [r for r in (unwrap(i) for i in items[:limit]) if isinstance(r, dict)]


def share_score(matched: int, total: int, *, ceded: bool = False) -> int:
    """A sniff score from how many of the sampled records have a format's shape.

    A majority is CERTAIN (LIKELY when ``ceded``: most of them are better read by another format);
    a few is MAYBE, enough to be offered when nothing else matches, never enough to win over a format
    whose records make up the file.
    """
    if not matched:
        return NO
    if matched * 2 >= total:
        return LIKELY if ceded else CERTAIN
    return MAYBE


def load_records(ctx: LoadContext) -> tuple[EventWriter, Iterator[RawRecord]]:
    """An EventWriter whose positions are lines or records as the file is, and the file's records."""
    records = json_records(ctx)
    head = next(records, None)
    writer = EventWriter(ctx, head.kind if head else "line")
    return writer, chain([head] if head else [], records)


# ---------------------------------------------------------------------------------------------
# Normalization

_STAGE_RANK = {"requestreceived": 0, "responsestarted": 1, "responsecomplete": 2, "panic": 2}
_FINAL_RANK = 2

_VERB_CLASS = {
    "get": ActionClass.READ,
    "list": ActionClass.LIST,
    "watch": ActionClass.LIST,
    "create": ActionClass.WRITE,
    "update": ActionClass.WRITE,
    "patch": ActionClass.WRITE,
    "apply": ActionClass.WRITE,
    "delete": ActionClass.DELETE,
    "deletecollection": ActionClass.DELETE,
    # acting as someone else, or granting what one does not hold
    "impersonate": ActionClass.ADMIN,
    "bind": ActionClass.PERMISSION_CHANGE,
    "escalate": ActionClass.PERMISSION_CHANGE,
}
# A shell, a debugger or a tunnel into a workload, or a new credential: administration, not a data write.
_ADMIN_SUBRESOURCES = frozenset({"exec", "attach", "portforward", "proxy", "ephemeralcontainers", "token"})
_RBAC_RESOURCES = frozenset({"roles", "rolebindings", "clusterroles", "clusterrolebindings"})
_VERSION = re.compile(r"v\d+(?:(?:alpha|beta)\d+)?")
_CHANGING_VERBS = frozenset({"create", "update", "patch", "apply", "delete", "deletecollection"})


@dataclass(frozen=True)
class Normalized:
    """One audit event as an access-event dict, with what one-event-per-request needs."""

    event: dict[str, Any]
    key: tuple[str, str, str] | None = None
    """(auditID, verb, requestURI): the request the event is a stage of, when it says."""
    rank: int | None = None
    """0 RequestReceived, 1 ResponseStarted, 2 ResponseComplete/Panic."""


def k8s_action_class(verb: str, resource: str | None, subresource: str | None) -> ActionClass:
    """What a request did: pods/exec is administration, RBAC changes are permission changes."""
    low = verb.lower()
    if subresource and subresource.lower() in _ADMIN_SUBRESOURCES:
        return ActionClass.ADMIN
    res = (resource or "").lower()
    if res in _RBAC_RESOURCES and low in _CHANGING_VERBS:
        return ActionClass.PERMISSION_CHANGE
    if res.endswith("reviews") and low == "create":  # TokenReview, SubjectAccessReview: a question
        return ActionClass.READ
    return _VERB_CLASS.get(low, ActionClass.OTHER)


def k8s_uri(
    namespace: str | None, resource: str, group: str | None, name: str | None, subresource: str | None
) -> str:
    """The object's ``k8s://`` URI (see the module docstring)."""
    kind = resource if not group or group == "core" else f"{resource}.{group}"
    path = kind
    if name:
        path += f"/{name}"
        if subresource:
            path += f"/{subresource}"
    return f"k8s://{namespace or ''}/{path}"


def k8s_principal(username: Any) -> tuple[str | None, str | None]:
    """(principal, principal_type) of a Kubernetes user name; unauthenticated is ``anonymous``."""
    name = text(username)
    if name is None:
        return None, None
    if name == "system:anonymous":
        return "anonymous", "anonymous"
    if name.startswith("system:serviceaccount:"):
        return name, "ServiceAccount"
    if name.startswith("system:node:"):
        return name, "Node"
    if name.startswith(("system:", "eks:")):  # control-plane components, EKS-managed add-ons
        return name, "System"
    return name, "User"


def request_fields(verb: str, ref: Mapping[str, Any], request_uri: Any) -> dict[str, Any]:
    """action, action_class and resource of a request on ``ref`` (objectRef-shaped)."""
    resource = text(ref.get("resource"))
    sub = text(ref.get("subresource"))
    if resource:
        target = f"{resource}/{sub}" if sub else resource
        uri = k8s_uri(
            text(ref.get("namespace")), resource, text(ref.get("apiGroup")), text(ref.get("name")), sub
        )
        return {
            "action": f"{verb} {target}",
            "action_class": k8s_action_class(verb, resource, sub).value,
            "resource": uri,
        }
    path = (text(request_uri) or "").split("?", 1)[0]
    return {
        "action": f"{verb} {path}" if path else verb,
        "action_class": _VERB_CLASS.get(verb.lower(), ActionClass.OTHER).value,
        "resource": None,
    }


def gke_request(method: str, resource_name: str | None) -> dict[str, Any]:
    """action, action_class and resource of a GKE Cloud Audit Log entry (``io.k8s.core.v1.pods.create``).

    The verb is the method's last part; the object comes from the resource name
    (``core/v1/namespaces/default/pods/web-1/exec``, ``rbac.authorization.k8s.io/v1/clusterroles/x``).
    """
    verb = method.rsplit(".", 1)[-1]
    ref: dict[str, Any] = {}
    parts = [p for p in (resource_name or "").split("/") if p]
    if len(parts) >= 3:
        ref["apiGroup"], rest = parts[0], parts[2:]
        if rest[0] == "namespaces" and len(rest) >= 3:
            ref["namespace"], rest = rest[1], rest[2:]
        ref["resource"] = rest[0]
        if len(rest) > 1:
            ref["name"] = rest[1]
        if len(rest) > 2:
            ref["subresource"] = rest[2]
    else:
        # no resource name: the method still names it (io.k8s.<group>.<version>.<resource>[.<sub>].<verb>)
        segments = method.split(".")[:-1]
        version = next((i for i, s in enumerate(segments) if _VERSION.fullmatch(s)), None)
        if version is not None and version + 1 < len(segments):
            ref["resource"] = segments[version + 1]
            if version + 2 < len(segments):
                ref["subresource"] = segments[version + 2]
        # which object, and in which namespace, is unknown: name no resource rather than a wrong one
        return {**request_fields(verb, ref, None), "resource": None}
    return request_fields(verb, ref, None)


def normalize_event(
    event: Mapping[str, Any],
    *,
    fallback_times: Sequence[Any] = (),
    account_id: str | None = None,
    region: str | None = None,
) -> Normalized | str:
    """One ``audit.k8s.io`` Event as an access event, or the reason it cannot be one.

    ``fallback_times`` are a wrapper's times, used when the event has none of its own.
    """
    received = parse_time(event.get("requestReceivedTimestamp"))
    staged = parse_time(event.get("stageTimestamp"))
    ts = received or staged or parse_time(event.get("timestamp"))
    for candidate in (*fallback_times, event.get("p_event_time")):
        ts = ts or parse_time(candidate)
    if ts is None:
        return "no time: requestReceivedTimestamp and stageTimestamp are missing or unreadable"
    verb = text(event.get("verb"))
    if verb is None:
        return "no verb: the event does not say what the request did"
    ref = event.get("objectRef")
    fields = request_fields(verb, ref if isinstance(ref, dict) else {}, event.get("requestURI"))

    user = event.get("user")
    principal, principal_type = k8s_principal(ci_get(user, "username"))
    role = ci_first(user, "extra.canonicalArn.0", "extra.arn.0")  # EKS: the IAM role behind the user

    code = ci_get(event, "responseStatus.code")
    status = None if code in _MISSING else str(code)
    stage = (text(event.get("stage")) or "").lower()
    outcome = outcome_from_status(status)
    notes = event.get("annotations")
    decision = (text(notes.get("authorization.k8s.io/decision")) if isinstance(notes, dict) else None) or ""
    if outcome == "unknown" and (stage == "panic" or decision.lower() == "forbid"):
        outcome = "failure"
    error = None
    if outcome == "failure":
        error = text(ci_get(event, "responseStatus.message")) or text(ci_get(event, "responseStatus.reason"))
    duration = None
    if received and staged and stage in ("responsecomplete", "panic"):
        duration = (staged - received).total_seconds() * 1000

    ips = event.get("sourceIPs")
    audit_id = text(event.get("auditID"))
    rank = _STAGE_RANK.get(stage)
    key = (audit_id, verb, text(event.get("requestURI")) or "") if audit_id and rank is not None else None
    return Normalized(
        {
            "event_id": audit_id,
            "ts": ts,
            "principal": principal,
            "principal_type": principal_type,
            "principal_role": text(role),
            "account_id": account_id,
            "region": region,
            "source_ip": text(ips[0]) if isinstance(ips, list) and ips else None,
            "user_agent": text(event.get("userAgent")),
            "service": SERVICE,
            **fields,
            "outcome": outcome,
            "status_code": status,
            "error_message": error,
            "duration_ms": duration,
        },
        key,
        rank,
    )


def is_native(doc: Mapping[str, Any]) -> bool:
    """An ``audit.k8s.io`` Event (not a core ``v1`` Event object, which shares ``kind: Event``)."""
    if doc.get("kind") != "Event":
        return False
    api = doc.get("apiVersion")
    if isinstance(api, str):
        return api.startswith("audit.k8s.io/")
    return any(k in doc for k in ("verb", "auditID", "stage", "requestURI"))


def is_aks(doc: Mapping[str, Any]) -> bool:
    """An AKS diagnostic record (``category: kube-audit``, the event as a JSON string in properties.log)."""
    return (text(ci_get(doc, "category")) or "").lower().startswith("kube-audit")


def is_gke(doc: Mapping[str, Any]) -> bool:
    """A GKE Cloud Audit Log entry (protoPayload methodName ``io.k8s....``)."""
    method = ci_get(doc, "protoPayload.methodName")
    return isinstance(method, str) and method.startswith("io.k8s.")


def _cloudwatch_event(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """An event exported from CloudWatch Logs as ``{"timestamp": ..., "message": "<event JSON>"}``."""
    message = doc.get("message")
    if isinstance(message, str) and message.lstrip().startswith("{") and "audit.k8s.io" in message:
        try:
            inner = json.loads(message)
        except ValueError:
            return None
        return inner if isinstance(inner, dict) and is_native(inner) else None
    return None


def normalize_aks(record: Mapping[str, Any]) -> Normalized | str:
    """An AKS ``kube-audit`` diagnostic record: the event inside properties.log, the record's own time."""
    log = ci_get(record, "properties.log")
    if isinstance(log, str):
        try:
            log = json.loads(log)
        except ValueError as exc:
            return f"AKS kube-audit record: properties.log is not valid JSON ({exc})"
    if not isinstance(log, dict):
        return "AKS kube-audit record without an audit event in properties.log"
    resource_id = text(ci_get(record, "resourceId")) or ""
    subscription = (
        resource_id.split("/")[2].lower() if resource_id.lower().startswith("/subscriptions/") else None
    )
    return normalize_event(
        log,
        fallback_times=(ci_get(record, "time"), ci_get(record, "p_event_time")),
        account_id=subscription,
        region=text(ci_get(record, "location")),
    )


class OneEventPerRequest:
    """Writes one event per request: the completed stage, else the latest stage the file holds.

    Earlier stages of a request whose later stage is present are dropped and counted. Final stages
    are written at once; earlier ones wait until the end (their completion usually follows them), so
    memory holds the open requests and the ids of completed ones.
    """

    def __init__(self, writer: EventWriter) -> None:
        self.writer = writer
        self.superseded = 0
        self._done: set[tuple[str, str, str]] = set()
        self._open: dict[tuple[str, str, str], tuple[int, int, dict[str, Any], str]] = {}

    def add(self, position: int, item: Normalized, raw: str) -> None:
        key, rank = item.key, item.rank
        if key is None or rank is None:
            self.writer.add(position, item.event, raw)
            return
        if rank >= _FINAL_RANK:
            self._done.add(key)
            if self._open.pop(key, None) is not None:
                self.superseded += 1
            self.writer.add(position, item.event, raw)
            return
        if key in self._done:
            self.superseded += 1
            return
        held = self._open.get(key)
        if held is not None:
            self.superseded += 1
            if held[0] > rank:
                return
        self._open[key] = (rank, position, item.event, raw)

    def finish(self) -> int:
        """Write the requests whose completion the file does not hold; returns the stages dropped."""
        for _, position, event, raw in self._open.values():
            self.writer.add(position, event, raw)
        self._open.clear()
        return self.superseded


def report_superseded(ctx: LoadContext, dropped: int) -> None:
    """Count dropped stage events as duplicates and say so."""
    if dropped:
        ctx.counts.duplicate += dropped
        events = "audit event" if dropped == 1 else "audit events"
        ctx.warn(
            f"{dropped:,} earlier-stage {events} (RequestReceived/ResponseStarted) of requests whose "
            "later stage is in the file not stored: one event per request (auditID), counted as duplicates"
        )


class K8sAudit:
    """Kubernetes audit events: apiserver JSON lines, EKS CloudWatch exports, GKE and AKS wrappers."""

    name: ClassVar[str] = "k8s_audit"
    title: ClassVar[str] = "Kubernetes audit events"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        records = sample_records(sample)
        if records:
            matched = sum(
                is_native(r) or is_aks(r) or is_gke(r) or _cloudwatch_event(r) is not None for r in records
            )
            return share_score(matched, len(records))
        head = sample.text[:65536]
        if head.lstrip().startswith(("[", "{")) and '"audit.k8s.io/' in head and '"auditID"' in head:
            return LIKELY  # a document too large for the sample: judged by its head
        return NO

    def load(self, ctx: LoadContext) -> None:
        from mlspm.ingest.formats.gcp_audit import normalize_entry  # gcp_audit imports this module

        writer, records = load_records(ctx)
        requests = OneEventPerRequest(writer)
        for rec in records:
            doc = rec.value
            if doc is None:
                writer.reject(rec, rec.error or "not a JSON object")
                continue
            result: Normalized | dict[str, Any] | str
            if is_native(doc):
                result = normalize_event(doc)
            elif is_aks(doc):
                result = normalize_aks(doc)
            elif is_gke(doc):
                result = normalize_entry(doc)
            elif (inner := _cloudwatch_event(doc)) is not None:
                result = normalize_event(inner, fallback_times=(doc.get("timestamp"),))
            else:
                result = "not a Kubernetes audit event (no audit.k8s.io Event, GKE or AKS audit entry)"
            if isinstance(result, str):
                writer.reject(rec, result)
            elif isinstance(result, Normalized):
                requests.add(rec.position, result, rec.raw)
            else:
                writer.add(rec.position, result, rec.raw)
        dropped = requests.finish()
        writer.finish()
        report_superseded(ctx, dropped)
