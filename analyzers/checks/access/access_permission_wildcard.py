"""access_permission_wildcard: grants to everyone or of everything on ML assets; IAM wildcard policies."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analyzers.checks.access._policy import (
    allow_statements,
    ci,
    document,
    record_part,
    request_parameters,
    strings,
)
from analyzers.model import AnalyzerContext, AnalyzerMeta, Fired
from mlspm.enums import Severity

INLINE = {"PutRolePolicy": "role", "PutUserPolicy": "user", "PutGroupPolicy": "group"}
ATTACH = {"AttachRolePolicy": "role", "AttachUserPolicy": "user", "AttachGroupPolicy": "group"}
WATCHED = (*INLINE, *ATTACH, "CreatePolicy", "CreatePolicyVersion")
HIGH_RIGHTS = ("write", "admin", "*", "all", "owner", "full_control", "fullcontrol")

_PERMISSIONS_SQL = """
SELECT p.principal, p.asset_id, p.privilege, p.granted_by, a.kind, a.environment
FROM permissions p JOIN assets a USING (asset_id)
WHERE list_contains($kinds, a.kind)
  AND (p.principal LIKE '%*%' OR p.principal LIKE '%?%' OR list_contains($everyone, lower(p.principal))
       OR list_contains($broad, lower(p.privilege)))
ORDER BY p.asset_id, p.principal, p.privilege
"""

_EVENTS_SQL = """
SELECT id, event_id, ts, principal, short_name(principal), action, resource, account_id, raw
FROM access_events
WHERE action IN (SELECT unnest($actions)) AND outcome = 'success' AND raw IS NOT NULL
ORDER BY ts, id
"""

# What a grantee does with ML assets: grouped by (principal, role) first, matched by role name after.
_ML_USE_SQL = """
SELECT coalesce(principal_role, principal) AS actor, count(*) AS n, list(DISTINCT asset_id) AS assets
FROM access_events
WHERE asset_id IS NOT NULL AND coalesce(principal_role, principal) IS NOT NULL
GROUP BY ALL
"""

_ML_GRANTS_SQL = "SELECT principal, list(DISTINCT asset_id) FROM permissions GROUP BY principal"


@dataclass
class Change:
    row_id: int
    event_id: str
    ts: datetime
    actor: str | None
    who: str
    action: str
    grantee_kind: str  # role | user | group | policy
    grantee: str  # name (or policy ARN for CreatePolicyVersion)
    grantee_arn: str | None
    what: str
    full_admin: bool
    active: bool = True


class Check:
    """Wildcard grants in the inventory's permissions and in CloudTrail IAM policy changes."""

    def __init__(self, meta: AnalyzerMeta) -> None:
        self.meta = meta

    def run(self, ctx: AnalyzerContext) -> Iterable[Fired]:
        p = ctx.params
        everyone = [s.lower() for s in p["everyone_principals"]]
        broad = [s.lower() for s in p["broad_privileges"]]
        fired = list(self._permission_rows(ctx, everyone, broad))
        changes = self._changes(ctx, [a.lower() for a in p["wildcard_actions"]], p["admin_policies"])
        if changes:
            use, grants = self._ml_context(ctx)
            fired.extend(self._change_fired(c, use, grants) for c in changes)
        return fired

    def _permission_rows(
        self, ctx: AnalyzerContext, everyone: list[str], broad: list[str]
    ) -> Iterable[Fired]:
        rows = ctx.cur.execute(
            _PERMISSIONS_SQL, {"kinds": ctx.params["kinds"], "everyone": everyone, "broad": broad}
        ).fetchall()
        for principal, asset_id, privilege, granted_by, kind, env in rows:
            low_principal, low_privilege = principal.lower(), privilege.lower()
            world = low_principal in everyone or "*" in principal or "?" in principal
            if world:
                high = low_privilege in HIGH_RIGHTS or low_privilege in broad
                severity = Severity.CRITICAL if env == "prod" and high else Severity.HIGH
                who = (
                    "everyone"
                    if low_principal in everyone or principal == "*"
                    else f"any principal matching {principal}"
                )
                where = f"{kind} {asset_id} ({env or 'no environment'})"
                text = f"The inventory grants {privilege} on {where} to {who}"
            else:
                severity = Severity.MEDIUM
                text = (
                    f"The inventory grants the blanket privilege {privilege!r} on {kind} {asset_id} "
                    f"({env or 'no environment'}) to {principal}"
                )
            text += f", granted by {granted_by}." if granted_by else "."
            yield Fired(
                key=f"perm|{principal}|{asset_id}|{privilege}",
                summary=text,
                principal=principal,
                asset_id=asset_id,
                severity=severity,
                details={
                    "privilege": privilege,
                    "wildcard_principal": world,
                    "kind": kind,
                    "environment": env,
                    "granted_by": granted_by,
                },
            )

    @staticmethod
    def _changes(
        ctx: AnalyzerContext, wildcard_actions: list[str], admin_policies: list[str]
    ) -> list[Change]:
        admin = {name.lower() for name in admin_policies}
        wildcard_docs: dict[
            str, tuple[str, bool]
        ] = {}  # customer policy ARN -> what its latest version allows
        found: list[Change] = []
        for row in ctx.cur.execute(_EVENTS_SQL, {"actions": list(WATCHED)}).fetchall():
            row_id, event_id, ts, actor, who, action, resource, account, raw = row
            params = request_parameters(raw)
            if params is None:
                continue
            base = {
                "row_id": row_id,
                "event_id": event_id,
                "ts": ts,
                "actor": actor,
                "who": who or actor or "an unknown principal",
                "action": action,
            }
            if action in ("CreatePolicy", "CreatePolicyVersion"):
                allows, full = _wildcards(document(ci(params, "policyDocument")), wildcard_actions)
                arn = str(
                    ci(params, "policyArn")
                    or ci(ci(record_part(raw, "responseElements"), "policy"), "arn")
                    or ""
                )
                name = str(ci(params, "policyName") or arn.rsplit("/", 1)[-1])
                if arn:
                    if allows:
                        wildcard_docs[arn.lower()] = (allows, full)
                    else:
                        wildcard_docs.pop(arn.lower(), None)
                if action == "CreatePolicyVersion" and allows:
                    default = str(ci(params, "setAsDefault") or "").lower() == "true"
                    found.append(
                        Change(
                            **base,
                            grantee_kind="policy",
                            grantee=name,
                            grantee_arn=arn or None,
                            what=(
                                f"created a new version of the managed policy {name} that allows {allows} "
                                f'on Resource "*"' + ("" if default else " (not set as the default version)")
                            ),
                            full_admin=full,
                            active=default,
                        )
                    )
                continue
            kind = INLINE.get(action) or ATTACH.get(action) or "role"
            target = str(ci(params, f"{kind}Name") or "")
            target_arn = (
                resource
                if resource and resource.startswith("arn:")
                else (f"arn:aws:iam::{account}:{kind}/{target}" if account and target else None)
            )
            if action in INLINE:
                allows, full = _wildcards(document(ci(params, "policyDocument")), wildcard_actions)
                if not allows:
                    continue
                policy = ci(params, "policyName") or "an inline policy"
                found.append(
                    Change(
                        **base,
                        grantee_kind=kind,
                        grantee=target,
                        grantee_arn=target_arn,
                        what=f"put the inline policy {policy} on {kind} {target} allowing {allows} "
                        f'on Resource "*"',
                        full_admin=full,
                    )
                )
                continue
            policy_arn = str(ci(params, "policyArn") or "")
            policy_name = policy_arn.rsplit("/", 1)[-1]
            if _aws_managed(policy_arn) and policy_name.lower() in admin:
                full = policy_name.lower() == "administratoraccess"
                found.append(
                    Change(
                        **base,
                        grantee_kind=kind,
                        grantee=target,
                        grantee_arn=target_arn,
                        what=f"attached the AWS managed policy {policy_name} to {kind} {target}",
                        full_admin=full,
                    )
                )
            elif policy_arn.lower() in wildcard_docs:
                allows, full = wildcard_docs[policy_arn.lower()]
                found.append(
                    Change(
                        **base,
                        grantee_kind=kind,
                        grantee=target,
                        grantee_arn=target_arn,
                        what=f"attached the managed policy {policy_name} (which allows {allows} on "
                        f'Resource "*") to {kind} {target}',
                        full_admin=full,
                    )
                )
        return found

    @staticmethod
    def _ml_context(ctx: AnalyzerContext) -> tuple[dict[str, tuple[int, set[str]]], dict[str, set[str]]]:
        """ML requests and assets per identity key, from the logs and from the inventory's grants."""
        use: dict[str, tuple[int, set[str]]] = {}
        for actor, n, assets in ctx.cur.execute(_ML_USE_SQL).fetchall():
            key = identity(actor)
            count, seen = use.get(key, (0, set()))
            use[key] = (count + n, seen | set(assets))
        grants: dict[str, set[str]] = {}
        for principal, assets in ctx.cur.execute(_ML_GRANTS_SQL).fetchall():
            grants.setdefault(identity(principal), set()).update(assets)
        return use, grants

    @staticmethod
    def _change_fired(c: Change, use: dict[str, tuple[int, set[str]]], grants: dict[str, set[str]]) -> Fired:
        text = f"{c.who} {c.what} at {c.ts.strftime('%Y-%m-%d %H:%M')} UTC"
        text += (
            ": every action on every resource, every model, dataset and endpoint included"
            if c.full_admin
            else ""
        )
        requests, used = 0, set[str]()
        granted: set[str] = set()
        if c.grantee_arn and c.grantee_kind in ("role", "user"):
            key = identity(c.grantee_arn)
            requests, used = use.get(key, (0, set()))
            granted = grants.get(key, set())
            if used or granted:
                text += (
                    f"; in the logs this {c.grantee_kind} made {requests:,} requests to {len(used)} ML "
                    f"asset{'s' if len(used) != 1 else ''} and the inventory grants it access to "
                    f"{len(granted)}"
                )
        severity = Severity.HIGH if c.active else Severity.MEDIUM
        return Fired(
            key=f"iam|{c.action}|{c.event_id}",
            summary=text + ".",
            principal=c.actor,
            resource=c.grantee_arn or c.grantee,
            first_seen=c.ts,
            last_seen=c.ts,
            severity=severity,
            details={
                "change": c.action,
                "grantee_kind": c.grantee_kind,
                "grantee": c.grantee,
                "full_admin": c.full_admin,
                "grantee_ml_requests": requests,
                "grantee_ml_assets_used": sorted(used),
                "grantee_ml_assets_granted": sorted(granted),
            },
            event_ids=[c.row_id],
            evidence_count=1,
        )


def identity(principal: str) -> str:
    """One key per identity: a role by account and name (role ARN with or without path, or an
    assumed-role session of it), anything else lower-cased."""
    low = principal.lower()
    parts = low.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        account, rest = parts[4], parts[5]
        if parts[2] == "iam" and rest.startswith("role/"):
            return f"role:{account}:{rest.rsplit('/', 1)[-1]}"
        if parts[2] == "sts" and rest.startswith("assumed-role/"):
            return f"role:{account}:{rest.split('/')[1]}"
    return low


def _aws_managed(policy_arn: str) -> bool:
    return fnmatch.fnmatchcase(policy_arn.lower(), "arn:aws*:iam::aws:policy/*")


def _wildcards(doc: dict[str, Any] | None, wildcard_actions: list[str]) -> tuple[str, bool]:
    """(the wildcard actions an Allow on Resource "*" grants, as text; whether that is "*" itself)."""
    if not doc:
        return "", False
    found: list[str] = []
    for st in allow_statements(doc):
        if "*" not in strings(ci(st, "Resource")):
            continue
        actions = [a.lower() for a in strings(ci(st, "Action"))]
        if not actions and ci(st, "NotAction") is not None:
            found.append("every action but " + ", ".join(strings(ci(st, "NotAction"))))
            continue
        found.extend(f'"{a}"' for a in actions if a in wildcard_actions)
    unique = list(dict.fromkeys(found))
    return ", ".join(unique), '"*"' in unique
