"""Audit logs of AI platforms (Databricks, OpenAI organization, Anthropic activity) → access_events.

Each is JSON (lines, arrays or wrapper documents, also as SIEM test wrappers ``{"log": {...}}``) and is
read through the shared Python event path. Resources are URIs an inventory can name:

=============== ==========================================================================================
Databricks      ``models:/<name>[/<version>]`` (MLflow Model Registry), ``uc://<catalog.schema.name>``
                (Unity Catalog), ``dbfs:/<path>``, ``databricks://<workspace>/<kind>/<id>`` for clusters,
                jobs, notebooks, experiments, serving endpoints, secrets, groups and users, else
                ``databricks://<workspace>`` (or ``databricks://account/<account>``); ``service`` is
                ``databricks.<serviceName>``, ``action`` the ``actionName``. Audit logs as Databricks
                delivers them (camelCase) and ``system.access.audit`` exports (snake_case) are both read.
OpenAI          ``openai://<kind>/<id>``: the project or organization a role is granted on, else the object
                the event is about (``api_key``, ``ip_allowlist``, ...); ``action`` is the event ``type``
Anthropic       ``anthropic://<organization>/<kind>/<id>`` (a chat, artifact, MCP server, the resource a role
                is granted on, the user acted on), else ``anthropic://<organization>``
=============== ==========================================================================================

Event names of these platforms (``api_key.created``, ``claude_artifact_sharing_updated``,
``addPrincipalToGroup``) do not follow cloud API verbs, so their action class comes from the words
in the name: roles, groups, owners, sharing and allowlists make a permission change; logins, SSO and
settings are admin; then delete, read, list and write verbs.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import quote

from mlspm.enums import ActionClass
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, NO
from mlspm.ingest.pyevents import EventWriter, first, json_records, parse_time
from mlspm.ingest.rules import outcome_from_status
from mlspm.ingest.source import Sample

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\b|[^A-Za-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_PERMISSION = frozenset(
    (
        "acl", "acls", "permission", "permissions", "grant", "granted", "grants", "role", "roles", "owner",
        "group", "groups", "member", "members", "membership", "invite", "invited", "sharing", "allowlist",
        "recipient", "principal", "principals", "policy", "policies", "restriction",
    )
)  # fmt: skip
_ADMIN = frozenset(
    (
        "login", "logout", "sso", "saml", "jwt", "mfa", "password", "scim", "settings", "setting", "conf",
        "config", "tos", "mount", "unmount", "toggled", "enabled", "disabled", "activated", "deactivated",
    )
)  # fmt: skip
_DELETE = frozenset(
    ("delete", "deleted", "remove", "removed", "revoke", "revoked", "drop", "trash", "archive", "archived", "purge")
)  # fmt: skip
_READ = frozenset(
    ("get", "read", "view", "viewed", "download", "downloaded", "export", "exported", "access", "show")
)
_LIST = frozenset(("list", "listed", "search", "index"))
_WRITE = frozenset(
    (
        "create", "created", "add", "added", "update", "updated", "edit", "set", "put", "install", "upload",
        "uploaded", "register", "generate", "connect", "connected", "change", "changed", "modify", "rename",
        "undelete", "restore", "transfer", "transferred", "sent", "uninstall",
    )
)  # fmt: skip
_FAILED = frozenset(("failed", "denied", "failure"))


def words(name: str) -> list[str]:
    """The lower-case words of an event name in camelCase, snake_case or dotted form."""
    return [w.lower() for w in _WORD.findall(name)]


def audit_action_class(name: str) -> ActionClass:
    """The action class of a platform audit event name (``addPrincipalToGroup`` → permission_change)."""
    found = words(name)
    bag = set(found)
    # "admin" is a grant when it is what the action changes (setAdmin, removeAdmin), not a key's kind.
    if bag & _PERMISSION or (found and found[-1] == "admin") or {"ip", "list"} <= bag:
        return ActionClass.PERMISSION_CHANGE
    if bag & _ADMIN:
        return ActionClass.ADMIN
    if {"temporary", "credential"} <= bag:  # Unity Catalog hands out short-lived credentials to read data
        return ActionClass.READ
    if bag & _FAILED and not bag & (_READ | _LIST):
        return ActionClass.OTHER
    for verbs, klass in (
        (_DELETE, ActionClass.DELETE),
        (_LIST, ActionClass.LIST),
        (_READ, ActionClass.READ),
        (_WRITE, ActionClass.WRITE),
    ):
        if bag & verbs:
            return klass
    return ActionClass.OTHER


def failed(name: str) -> bool:
    """Whether an event name records a failure (``login.failed``, ``IpAccessDenied``)."""
    return bool(set(words(name)) & _FAILED)


def _text(value: Any) -> str | None:
    """A scalar as text; missing, empty and ``-`` are None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip() not in ("", "-"):
        return value.strip()
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _segment(value: str) -> str:
    return quote(value, safe="-._~:@+=,")


def _ip(value: Any) -> str | None:
    """An address without a trailing ``:port`` (IPv4 only: IPv6 has colons of its own)."""
    text = _text(value)
    if text and text.count(":") == 1 and text.rsplit(":", 1)[1].isdigit():
        return text.rsplit(":", 1)[0]
    return text


class _AuditFormat:
    """Shared loading: every record becomes an event via ``normalize`` or a reject with its reason."""

    name: ClassVar[str]
    title: ClassVar[str]
    target_table: ClassVar[str] = "access_events"

    def matches(self, record: dict[str, Any]) -> bool:
        raise NotImplementedError

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        """The event fields of one record; raises ValueError with the reason it cannot be used."""
        raise NotImplementedError

    def sniff(self, sample: Sample) -> int:
        records = [r.get("log") if isinstance(r.get("log"), dict) else r for r in sample.first_records[:20]]
        if not records:
            doc = sample.document
            items = doc if isinstance(doc, list) else None
            if isinstance(doc, dict):
                items = next(
                    (doc[k] for k in ("records", "data", "events", "logs") if isinstance(doc.get(k), list)),
                    [doc],
                )
            records = [r for r in (items or [])[:20] if isinstance(r, dict)]
        hits = sum(1 for r in records if isinstance(r, dict) and self.matches(r))
        if not hits:
            return NO
        return CERTAIN if hits * 2 >= len(records) else LIKELY

    def load(self, ctx: LoadContext) -> None:
        writer = EventWriter(ctx)
        for rec in json_records(ctx):
            if rec.value is None:
                writer.reject(rec, rec.error or "not a JSON object")
                continue
            try:
                event = self.normalize(rec.value)
            except ValueError as exc:
                writer.reject(rec, str(exc))
                continue
            if not event.get("principal") and not event.get("resource"):
                writer.reject(
                    rec, "needs a principal or a resource: the record names no identity and no target"
                )
                continue
            # The record itself: a SIEM test wrapper's own fields are not part of the event.
            writer.add(rec.position, event, json.dumps(rec.value, ensure_ascii=False))
        writer.finish()


# -------------------------------------------------------------------------------------------- Databricks


def _get(record: dict[str, Any], *paths: str) -> Any:
    return first(record, *paths)


def _databricks_resource(record: dict[str, Any], service: str) -> str | None:
    params = _dict(_get(record, "requestParams", "request_params"))
    workspace = _text(_get(record, "workspaceId", "workspace_id"))
    account = _text(_get(record, "accountId", "account_id"))
    home = f"databricks://{_segment(workspace)}" if workspace else None
    if home is None and account:
        home = f"databricks://account/{_segment(account)}"

    def p(*keys: str) -> str | None:
        for key in keys:
            value = _text(params.get(key))
            if value:
                return value
        return None

    if service.startswith("mlflowModelRegistry") and (name := p("name", "registered_model_name")):
        version = p("version")
        return f"models:/{_segment(name)}" + (f"/{_segment(version)}" if version else "")
    if service == "unityCatalog" and (
        full := p("full_name_arg", "full_name", "securable_full_name", "table_full_name")
    ):
        return f"uc://{_segment(full)}"
    if path := p("path", "mountPoint", "mount_point"):
        if service == "dbfs":
            return "dbfs:" + (path if path.startswith("/") else "/" + path)
        if home and path.startswith("/"):
            return f"{home}/workspace{quote(path, safe='/-._~:@+=,')}"
    if home is None:
        return None
    for keys, kind in (
        (("experimentId", "experiment_id"), "experiments"),
        (("clusterId", "cluster_id"), "clusters"),
        (("jobId", "job_id"), "jobs"),
        (("notebookId", "notebook_id"), "notebooks"),
        (("endpoint_name", "endpointName"), "serving-endpoints"),
        (("targetGroupName", "targetGroupId"), "groups"),
        (("targetUserName", "targetUserId"), "users"),
    ):
        if value := p(*keys):
            return f"{home}/{kind}/{_segment(value)}"
    if (scope := p("scope")) and (key := p("key")):
        return f"{home}/secrets/{_segment(scope)}/{_segment(key)}"
    if service in ("serverlessRealTimeInference", "modelServing", "servingEndpoints") and (name := p("name")):
        return f"{home}/serving-endpoints/{_segment(name)}"
    if service.startswith("deltaSharing") and (name := p("name", "share", "recipient_name")):
        return f"{home}/delta-sharing/{_segment(name)}"
    return home


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class DatabricksAudit(_AuditFormat):
    """Databricks audit logs (delivered JSON lines, or ``system.access.audit`` exports)."""

    name: ClassVar[str] = "databricks_audit"
    title: ClassVar[str] = "Databricks audit log"

    def matches(self, record: dict[str, Any]) -> bool:
        return bool(
            (_text(record.get("serviceName")) and _text(record.get("actionName")))
            or (_text(record.get("service_name")) and _text(record.get("action_name")))
        )

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        service = _text(_get(record, "serviceName", "service_name"))
        action = _text(_get(record, "actionName", "action_name"))
        if not service or not action:
            raise ValueError("not a Databricks audit record (no serviceName and actionName)")
        raw_time = _get(record, "timestamp", "event_time")
        ts = parse_time(raw_time)
        if ts is None:
            raise ValueError("missing timestamp" if raw_time is None else "timestamp is not a time")
        # A failed login has no identity yet: the user it tried to log in as is a request parameter.
        principal = _text(
            _get(
                record,
                "userIdentity.email",
                "user_identity.email",
                "identity_metadata.run_by",
                "requestParams.user",
                "request_params.user",
            )
        )
        kind = None
        if principal:
            kind = (
                "User"
                if "@" in principal
                else "ServicePrincipal"
                if _UUID.fullmatch(principal)
                else "System"
                if principal.lower().startswith("system")
                else "Unknown"
            )
        status = _text(_get(record, "response.statusCode", "response.status_code"))
        names = words(action)
        return {
            "event_id": _text(_get(record, "requestId", "request_id", "event_id")),
            "ts": ts,
            "principal": principal,
            "principal_type": kind,
            "account_id": _text(_get(record, "workspaceId", "workspace_id", "accountId", "account_id")),
            "source_ip": _ip(_get(record, "sourceIPAddress", "source_ip_address")),
            "user_agent": _text(_get(record, "userAgent", "user_agent")),
            "service": f"databricks.{service}",
            "action": action,
            "action_class": audit_action_class(action).value,
            "resource": _databricks_resource(record, service),
            "outcome": "failure" if set(names) & _FAILED else outcome_from_status(status),
            "status_code": status,
            "error_message": _text(_get(record, "response.errorMessage", "response.error_message")),
        }


# ------------------------------------------------------------------------------------------------ OpenAI


def _openai_resource(record: dict[str, Any], event_type: str) -> str | None:
    detail = _dict(record.get(event_type.replace(".", "_")))
    target_type, target_id = _text(detail.get("resource_type")), _text(detail.get("resource_id"))
    if target_type and target_id:
        return f"openai://{_segment(target_type.removeprefix('api.'))}/{_segment(target_id)}"
    object_id = _text(detail.get("id")) or _text(first(detail, "configs.0.id"))
    if object_id:
        if object_id.startswith("org-"):
            kind = "organization"
        elif object_id.startswith(("proj-", "proj_")):
            kind = "project"
        else:
            kind = "_".join(event_type.split(".")[:-1]).removesuffix("_config") or "object"
        return f"openai://{_segment(kind)}/{_segment(object_id)}"
    project = _text(first(record, "project.id"))
    return f"openai://project/{_segment(project)}" if project else None


class OpenAIAudit(_AuditFormat):
    """OpenAI organization audit logs (``GET /v1/organization/audit_logs`` items)."""

    name: ClassVar[str] = "openai_audit"
    title: ClassVar[str] = "OpenAI organization audit log"

    def matches(self, record: dict[str, Any]) -> bool:
        return record.get("object") == "organization.audit_log" or (
            {"id", "type", "effective_at", "actor"} <= record.keys()
        )

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        event_type = _text(record.get("type"))
        if not event_type:
            raise ValueError("missing type")
        ts = parse_time(record.get("effective_at"))
        if ts is None:
            raise ValueError(
                "missing effective_at" if record.get("effective_at") is None else "effective_at is not a time"
            )
        actor = _dict(record.get("actor"))
        actor_type = _text(actor.get("type"))
        principal = _text(first(actor, "session.user.email", "session.user.id"))
        kind = "User" if principal else None
        if principal is None and actor_type == "api_key":
            principal = _text(first(actor, "api_key.user.email", "api_key.user.id"))
            kind = "User" if principal else None
            if principal is None:
                principal = _text(first(actor, "api_key.service_account.id"))
                kind = "ServiceAccount" if principal else None
            if principal is None:
                principal, kind = _text(first(actor, "api_key.id")), "APIKey"
        detail = _dict(record.get(event_type.replace(".", "_")))
        return {
            "event_id": _text(record.get("id")),
            "ts": ts,
            "principal": principal,
            "principal_type": kind,
            "account_id": _text(first(record, "project.id")),
            "source_ip": _text(first(actor, "session.ip_address")),
            "user_agent": _text(first(actor, "session.user_agent")),
            "service": "openai",
            "action": event_type,
            "action_class": audit_action_class(event_type).value,
            "resource": _openai_resource(record, event_type),
            "outcome": "failure" if failed(event_type) else "success",
            "status_code": _text(detail.get("error_code")),
            "error_message": _text(detail.get("error_message")),
            "auth_type": actor_type,
        }


# --------------------------------------------------------------------------------------------- Anthropic

# Fields that name what an Anthropic activity is about, most specific first, with the kind they name.
_ANTHROPIC_TARGETS = (
    ("claude_chat_id", "claude_chat"),
    ("claude_artifact_id", "claude_artifact"),
    ("claude_project_id", "claude_project"),
    ("mcp_server_id", "mcp_server"),
    ("api_key_id", "api_key"),
    ("workspace_id", "workspace"),
    ("deleted_user_id", "user"),
)
_ANTHROPIC_ACTORS = {
    "user_actor": "User",
    "api_actor": "APIKey",
    "unauthenticated_user_actor": "anonymous",
}


def _anthropic_resource(record: dict[str, Any]) -> str | None:
    org = _text(record.get("organization_id"))
    base = f"anthropic://{_segment(org)}" if org else "anthropic://"
    resource_type, resource_id = _text(record.get("resource_type")), _text(record.get("resource_id"))
    if resource_type and resource_id:
        return f"{base}/{_segment(resource_type)}/{_segment(resource_id)}"
    for key, kind in _ANTHROPIC_TARGETS:
        if value := _text(record.get(key)):
            return f"{base}/{kind}/{_segment(value)}"
    target_type, target_id = _text(record.get("target_type")), _text(record.get("target_id"))
    if target_id:
        return f"{base}/{_segment(target_type or 'target')}/{_segment(target_id)}"
    return base if org else None


class AnthropicActivity(_AuditFormat):
    """Anthropic organization activity (audit) feed items."""

    name: ClassVar[str] = "anthropic_activity"
    title: ClassVar[str] = "Anthropic activity log"

    def matches(self, record: dict[str, Any]) -> bool:
        actor = record.get("actor")
        return (
            {"id", "created_at", "type", "organization_id"} <= record.keys()
            and isinstance(actor, dict)
            and str(actor.get("type", "")).endswith("_actor")
        )

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        event_type = _text(record.get("type"))
        if not event_type:
            raise ValueError("missing type")
        ts = parse_time(record.get("created_at"))
        if ts is None:
            raise ValueError(
                "missing created_at" if record.get("created_at") is None else "created_at is not a time"
            )
        actor = _dict(record.get("actor"))
        actor_type = _text(actor.get("type")) or ""
        kind = _ANTHROPIC_ACTORS.get(actor_type, "Unknown")
        principal = _text(first(actor, "email_address", "user_id", "api_key_id"))
        if principal is None and kind == "anonymous":
            principal = "anonymous"
        return {
            "event_id": _text(record.get("id")),
            "ts": ts,
            "principal": principal,
            "principal_type": kind if principal else None,
            "account_id": _text(record.get("organization_id")),
            "source_ip": _text(actor.get("ip_address")),
            "user_agent": _text(actor.get("user_agent")),
            "service": "anthropic",
            "action": event_type,
            "action_class": audit_action_class(event_type).value,
            "resource": _anthropic_resource(record),
            "outcome": "failure" if failed(event_type) else "success",
            "auth_type": actor_type or None,
        }
