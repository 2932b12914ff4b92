"""poisoning_permission_change: permission changes on training data and model registries — what they
open up (who may now write), and whether they are the usual administrator's routine."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from analyzers.checks.poisoning.poisoning_write_then_train import (
    join_words,
    request_params,
    role_key,
    short_name,
    strings_at,
    training_jobs,
    values_at,
)
from analyzers.model import AnalyzerContext, AnalyzerMeta, Fired
from mlspm.enums import Severity
from mlspm.store import Cursor

# Where permissions changed (cheap columns only): the analyzer decides which targets are in scope before
# it touches `raw`, because reading raw costs about as much per row as decompressing its whole block.
_WHERE = """
SELECT DISTINCT coalesce(resource, ''), coalesce(asset_id, '')
FROM access_events
WHERE action_class = 'permission_change' AND outcome <> 'failure' AND principal IS NOT NULL
"""
# In-scope changes (and the policies they may attach), identical ones — same actor, action, target, day
# and request — folded together; S3 access-log lines carry no request.
_CHANGES = """
SELECT list(id), min(ts), max(ts), principal, action, resource, asset_id, any_value(account_id),
       source_format, request, is_human(principal, any_value(principal_type))
FROM (
    SELECT e.*, CASE
        WHEN e.source_format = 's3_access' OR NOT json_valid(e.raw) THEN NULL
        WHEN json_exists(e.raw, '$.eventName') THEN
             json_object('requestParameters', e.raw->'$.requestParameters',
                         'responseElements', e.raw->'$.responseElements')::VARCHAR
        ELSE e.raw END AS request
    FROM access_events e
    LEFT JOIN (SELECT unnest(?::VARCHAR[]) AS r, unnest(?::VARCHAR[]) AS a) w
      ON coalesce(e.resource, '') = w.r AND coalesce(e.asset_id, '') = w.a
    WHERE e.action_class = 'permission_change' AND e.outcome <> 'failure' AND e.principal IS NOT NULL
      AND (w.r IS NOT NULL OR e.action IN ('CreatePolicy', 'CreatePolicyVersion'))
)
GROUP BY principal, action, resource, asset_id, ts::DATE, source_format, request
ORDER BY min(ts), min(id)
"""
_POLICY_SOURCES = ("CreatePolicy", "CreatePolicyVersion")
# (ids, first, last, principal, action, resource, asset_id, account, source format, request, human)
_Row = tuple[
    list[int], datetime, datetime, str, str, str | None, str | None, str | None, str, str | None, bool
]

# How much a change opens up, for poisoning: who may now write (or tamper with) the data.
NARROWS, CHANGES, WIDENS, WIDENS_WRITE = 0, 1, 2, 3

# Actions that modify data, models or access (IAM/resource policy action names, lower-cased; `*` in a
# pattern is a policy wildcard).
_WRITE_ACTION = re.compile(
    r"^(\*|[a-z0-9-]+:\*|s3:(put|delete|replicate|restore|abort|create|copy)[a-z*]*"
    r"|sagemaker:(create|update|put|delete|add|register|import|start)[a-z*]*"
    r"|iam:(put|attach|create|update|pass|add)[a-z*]*)$"
)
# Deny statements conditioned only on transport (TLS) are encryption guards, not access guards.
_TRANSPORT_KEYS = {"aws:securetransport", "s3:tlsversion", "s3:signatureversion"}
_ACL_WRITE = {"WRITE", "WRITE_ACP", "FULL_CONTROL"}
_BPA_FLAGS = ("blockpublicacls", "ignorepublicacls", "blockpublicpolicy", "restrictpublicbuckets")
_POLICY_FIELDS = ("bucketpolicy", "policy", "resourcepolicy", "policydocument", "policytext")
_IAM_TARGET = re.compile(r"^arn:[^:]+:iam::(\d*):(role|user|group)/(?:.*/)?([^/]+)$")
_S3_BUCKET = re.compile(r"^(?:s3://|arn:aws[a-z-]*:s3:::)([^/]+)/?$")
_REGISTRY_ARN = re.compile(r"^arn:[^:]+:sagemaker:[^:]*:\d*:model-package-group/(.+)$")


@dataclass
class Change:
    """Identical permission-change events (same actor, action, target, day and request), classified."""

    ids: list[int]
    ts: datetime
    last: datetime
    principal: str
    human: bool
    action: str
    resource: str | None
    account: str | None
    source: str
    rank: int
    phrase: str | None
    doc: Any = None
    mentions: list[str] = field(default_factory=list)
    """Datasets' buckets and registries the change's policy document names."""


@dataclass
class Target:
    """What a change was made on, and why it matters for training data or registries."""

    id: str
    asset_id: str | None
    label: str
    kind: str  # dataset | bucket | registry | iam
    critical: bool
    note: str = ""
    iam: str | None = None  # role key or user ARN, for IAM targets


@dataclass
class Estate:
    """The inventory facts the analyzer needs, read once."""

    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    bucket_datasets: dict[str, set[str]] = field(default_factory=dict)  # bucket name -> dataset ids
    bucket_assets: dict[str, str] = field(default_factory=dict)  # bucket asset id -> bucket name
    registries: dict[str, str] = field(default_factory=dict)  # asset id -> name
    writers: dict[str, set[str]] = field(default_factory=dict)  # grantee (ARN / role key) -> asset ids
    admins: dict[str, set[str]] = field(default_factory=dict)
    training_roles: dict[str, list[str]] = field(default_factory=dict)  # role key -> job names
    scope: tuple[str, ...] = ()
    """What a policy must name to be about training data or registries: bucket and registry ARNs."""


class Check:
    """Permission changes on training data and model registries: see the metadata beside this file."""

    def __init__(self, meta: AnalyzerMeta) -> None:
        self.meta = meta

    def run(self, ctx: AnalyzerContext) -> Iterable[Fired]:
        cur = ctx.cur
        p = ctx.params
        estate = _estate(cur, p)
        rows = _requests(cur, estate)
        if not rows:
            return []
        follow = timedelta(hours=int(p["follow_hours"]))
        policies: dict[str, Any] = {}  # last known policy document per target / managed policy ARN
        groups: dict[tuple[str, str, date], list[Change]] = defaultdict(list)
        targets: dict[str, Target] = {}
        history: dict[tuple[str, str], set[date]] = defaultdict(set)  # (actor, target) -> days
        known: dict[tuple[str | None, str | None], Target | None] = {}
        for ids, ts, last, principal, action, resource, asset_id, account, source, raw, human in rows:
            req = request_params(raw)
            _remember_created_policy(action, req, policies)
            where = (resource, asset_id)
            if where not in known:
                known[where] = _target(resource, asset_id, estate)
            target = known[where]
            if target is None:
                continue
            change = _classify(
                [int(i) for i in ids],
                ts,
                last,
                principal,
                bool(human),
                action,
                resource,
                account,
                source,
                req,
                target,
                policies,
                estate.scope,
            )
            if target.kind == "iam":
                change.mentions = _mentions(change.doc, req, policies, estate)
            targets.setdefault(target.id, target)
            actor = principal if human else (role_key(principal) or principal)
            groups[(principal, target.id, ts.date())].append(change)
            history[(actor, target.id)].add(ts.date())
        writes = _later_writes(cur, groups, targets, estate, follow, list(p["dataset_kinds"]))
        fired = []
        for (principal, target_id, day), changes in groups.items():
            target = targets[target_id]
            follow_up = writes.get((principal, target_id, day), [])
            mentions = sorted({m for c in changes for m in c.mentions})
            if target.kind == "iam" and not (target.critical or target.note or follow_up or mentions):
                continue  # an IAM principal with no tie to training data or registries
            human = changes[0].human
            actor = principal if human else (role_key(principal) or principal)
            prior = sorted(d for d in history[(actor, target_id)] if d < day)
            fired.append(self._finding(principal, target, day, changes, prior, follow_up, estate, p))
        return fired

    def _finding(
        self,
        principal: str,
        target: Target,
        day: date,
        changes: list[Change],
        prior: list[date],
        follow_up: list[tuple[int, datetime, str, str]],
        estate: Estate,
        p: dict[str, Any],
    ) -> Fired:
        rank = max(c.rank for c in changes)
        admin_grant = bool(estate.admins.get(principal, set()) & {target.asset_id}) or bool(
            estate.admins.get(role_key(principal) or "", set()) & {target.asset_id}
        )
        routine = len(prior) >= int(p["min_admin_days"]) or admin_grant
        critical_write = any(estate.datasets.get(a, {}).get("critical") for _, _, a, _ in follow_up)
        if target.kind == "iam" and follow_up and critical_write:
            severity = Severity.HIGH
        elif rank == NARROWS or (routine and rank < WIDENS_WRITE):
            severity = Severity.LOW
        elif rank == WIDENS_WRITE and target.critical and not routine:
            severity = Severity.HIGH
        else:
            severity = Severity.MEDIUM
        first, last = changes[0].ts, max(c.last for c in changes)
        when = f"{first:%Y-%m-%d %H:%M}" + (f"–{last:%H:%M}" if last - first >= timedelta(minutes=1) else "")
        phrases = _phrases(changes)
        sentence = f"{short_name(principal)} changed permissions on {target.label} on {when} UTC: "
        sentence += "; ".join(phrases)
        if follow_up:
            objects = {o for _, _, _, o in follow_up}
            names = sorted({estate.datasets.get(a, {}).get("name", a) for _, _, a, _ in follow_up})
            hours = (min(t for _, t, _, _ in follow_up) - first).total_seconds() / 3600
            sentence += (
                f"; {hours:.0f} h later that {target.label.split()[0]} wrote {len(objects)} "
                f"object{'s' if len(objects) != 1 else ''} into {join_words(names)}"
            )
        elif target.note:
            sentence += f"; {target.note}"
        mentions = sorted({m for c in changes for m in c.mentions})
        if mentions and not follow_up:
            sentence += f"; the policy names {join_words(mentions[:3])}"
        if admin_grant:
            sentence += "; the inventory names this principal an administrator of it (routine)"
        elif routine:
            sentence += f"; it changed permissions there on {len(prior)} earlier days (routine)"
        elif prior:
            plural = "s" if len(prior) > 1 else ""
            sentence += f"; it changed permissions there on only {len(prior)} earlier day{plural}"
        else:
            sentence += "; its first permission change there"
        details = {
            "target": target.id,
            "target_kind": target.kind,
            "critical_target": target.critical,
            "changes": [
                {
                    "time": c.ts.isoformat(),
                    "action": c.action,
                    "source": c.source,
                    "events": len(c.ids),
                    "effect": c.phrase,
                    "opens": ["narrows", "changes", "widens", "widens_write"][c.rank],
                }
                for c in changes[:50]
            ],
            "widest": ["narrows", "changes", "widens", "widens_write"][rank],
            "earlier_change_days": [d.isoformat() for d in prior],
            "routine": routine,
            "admin_in_inventory": admin_grant,
            "writes_after": [
                {"time": t.isoformat(), "dataset": a, "object": o} for _, t, a, o in follow_up[:50]
            ],
        }
        return Fired(
            key=f"{principal}|{target.id}|{day:%Y-%m-%d}",
            summary=sentence,
            principal=principal,
            asset_id=target.asset_id,
            resource=changes[0].resource,
            first_seen=first,
            last_seen=max([last, *(t for _, t, _, _ in follow_up)]),
            severity=severity,
            details=details,
            event_ids=sorted({i for c in changes for i in c.ids} | {i for i, _, _, _ in follow_up}),
        )


def _requests(cur: Cursor, estate: Estate) -> list[_Row]:
    """In-scope change groups with their requests, oldest first (policies are diffed in order)."""
    places = [(r, a) for r, a in cur.execute(_WHERE).fetchall() if _target(r or None, a or None, estate)]
    return [
        (*row[:10], bool(row[10]))
        for row in cur.execute(_CHANGES, [[r for r, _ in places], [a for _, a in places]]).fetchall()
    ]


# -- the inventory side ----------------------------------------------------------------------------------


def _estate(cur: Cursor, p: dict[str, Any]) -> Estate:
    e = Estate()
    kinds = list(p["dataset_kinds"])
    for asset_id, name, env in cur.execute(
        "SELECT asset_id, name, environment FROM assets WHERE list_contains(?, kind)", [kinds]
    ).fetchall():
        e.datasets[asset_id] = {"name": name, "env": env, "training": False, "locators": []}
    for asset_id, name in cur.execute("SELECT asset_id, name FROM assets WHERE kind = 'registry'").fetchall():
        e.registries[asset_id] = name
    for asset_id, locator in cur.execute(
        "SELECT asset_id, locator FROM asset_locators WHERE kind IN ('prefix', 'exact') "
        "AND asset_id IN (SELECT asset_id FROM assets WHERE list_contains(?, kind))",
        [kinds],
    ).fetchall():
        if asset_id in e.datasets:
            e.datasets[asset_id]["locators"].append(locator)
            m = re.match(r"^s3://([^/]+)/", locator)
            if m:
                e.bucket_datasets.setdefault(m.group(1), set()).add(asset_id)
    for asset_id, locator in cur.execute(
        "SELECT a.asset_id, l.locator FROM assets a JOIN asset_locators l USING (asset_id) "
        "WHERE a.kind = 'bucket' AND l.kind = 'prefix'"
    ).fetchall():
        m = re.match(r"^s3://([^/]+)/$", locator)
        if m:
            e.bucket_assets[asset_id] = m.group(1)
    for src, relation, dst in cur.execute(
        "SELECT src_asset, relation, dst_asset FROM lineage WHERE relation IN ('trained_on', 'stored_in')"
    ).fetchall():
        if relation == "trained_on" and dst in e.datasets:
            e.datasets[dst]["training"] = True
        elif relation == "stored_in" and src in e.datasets and dst in e.bucket_assets:
            e.bucket_datasets.setdefault(e.bucket_assets[dst], set()).add(src)
    for job in training_jobs(cur, list(p["training_actions"]), timedelta(hours=24)):
        if job.role:
            e.training_roles.setdefault(job.role, []).append(job.name)
        for uri in job.inputs:
            for info in e.datasets.values():
                if any(
                    loc.startswith(uri.rstrip("/") + "/") or uri.startswith(loc) for loc in info["locators"]
                ):
                    info["training"] = True
    for info in e.datasets.values():
        info["critical"] = info["training"] and info["env"] == "prod"
    e.scope = tuple(
        [f"arn:aws:s3:::{b}" for b in sorted(e.bucket_datasets)]
        + [f"model-package-group/{n.lower()}" for n in sorted(e.registries.values())]
        + [f"model-package/{n.lower()}/" for n in sorted(e.registries.values())]
    )
    writes = {v.lower() for v in p["write_privileges"]}
    for principal, asset_id, privilege in cur.execute(
        "SELECT principal, asset_id, lower(privilege) FROM permissions"
    ).fetchall():
        names = {principal, role_key(principal) or principal}
        in_scope = asset_id in e.datasets or asset_id in e.registries or asset_id in e.bucket_assets
        for name in names:
            if privilege in writes and in_scope:
                e.writers.setdefault(name, set()).add(asset_id)
            if privilege == "admin":
                e.admins.setdefault(name, set()).add(asset_id)
    return e


def _target(resource: str | None, asset_id: str | None, e: Estate) -> Target | None:
    """The training-data or registry target of a change, or an IAM principal (scoped later); None when
    the change is on something else."""
    if asset_id in e.datasets:
        info = e.datasets[asset_id]
        kind = "training dataset" if info["training"] else "dataset"
        return Target(asset_id, asset_id, f"{kind} {info['name']}", "dataset", info["critical"])
    if asset_id in e.registries:
        return Target(asset_id, asset_id, f"model registry {e.registries[asset_id]}", "registry", True)
    low = (resource or "").lower()
    bucket = e.bucket_assets.get(asset_id or "")
    m = _S3_BUCKET.match(low)
    if bucket is None and m:
        bucket = m.group(1)
    if bucket and (bucket in e.bucket_datasets) and (m or asset_id in e.bucket_assets):
        held = sorted(e.bucket_datasets[bucket], key=lambda a: e.datasets[a]["name"])
        names = [e.datasets[a]["name"] for a in held]
        listed = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        critical = any(e.datasets[a]["critical"] for a in held)
        training = any(e.datasets[a]["training"] for a in held)
        label = f"bucket {bucket} (holds {'training ' if training else ''}datasets {listed})"
        return Target(asset_id or f"s3://{bucket}", asset_id, label, "bucket", critical)
    reg = _REGISTRY_ARN.match(low)
    if reg:
        return Target(low, asset_id, f"model registry {reg.group(1)}", "registry", True)
    iam = _IAM_TARGET.match(resource or "")
    if iam:
        account, kind, name = iam.groups()
        key = f"{account}:{name}" if kind == "role" else (resource or "")
        notes = []
        jobs = e.training_roles.get(key, [])
        if jobs:
            notes.append(f"it is the training role of {join_words(sorted(set(jobs))[:2])}")
        granted = sorted(e.writers.get(key, set()) | e.writers.get(resource or "", set()))
        if granted:
            notes.append(f"the inventory lets it write to {join_words(granted[:3])}")
        return Target(resource or key, None, f"{kind} {name}", "iam", bool(jobs), "; ".join(notes), key)
    return None


def _later_writes(
    cur: Cursor,
    groups: dict[tuple[str, str, date], list[Change]],
    targets: dict[str, Target],
    e: Estate,
    follow: timedelta,
    kinds: list[str],
) -> dict[tuple[str, str, date], list[tuple[int, datetime, str, str]]]:
    """For changes on IAM principals: that principal's writes into datasets within ``follow`` after."""
    wanted = {k: targets[k[1]] for k in groups if targets[k[1]].kind == "iam"}
    if not wanted:
        return {}
    start = min(groups[k][0].ts for k in wanted)
    end = max(c.last for k in wanted for c in groups[k]) + follow
    rows = cur.execute(
        "SELECT e.id, e.ts, e.asset_id, e.resource, e.principal FROM access_events e "
        "JOIN assets a ON a.asset_id = e.asset_id AND list_contains(?, a.kind) "
        "WHERE e.action_class IN ('write', 'delete') AND e.outcome <> 'failure' AND e.ts >= ? AND e.ts <= ? "
        "ORDER BY e.ts",
        [kinds, start, end],
    ).fetchall()
    out: dict[tuple[str, str, date], list[tuple[int, datetime, str, str]]] = {}
    for key, target in wanted.items():
        changes = groups[key]
        hits = [
            (int(i), ts, a, str(r))
            for i, ts, a, r, who in rows
            if (role_key(who) == target.iam or who == target.iam)
            and changes[0].ts < ts <= max(c.last for c in changes) + follow
        ]
        if hits:
            out[key] = hits
    return out


# -- what a change opens up ------------------------------------------------------------------------------


def _classify(
    ids: list[int],
    ts: datetime,
    last: datetime,
    principal: str,
    human: bool,
    action: str,
    resource: str | None,
    account: str | None,
    source: str,
    req: dict[str, Any],
    target: Target,
    policies: dict[str, Any],
    scope: tuple[str, ...],
) -> Change:
    low = action.lower()
    rank, phrase = CHANGES, None
    doc = None
    if "publicaccessblock" in low:
        rank, phrase = _public_access_block(low, req)
    elif low.endswith("acl") or ".acl" in low:
        rank, phrase = _acl(req)
    elif low.startswith(("attach", "detach")):
        rank, phrase = _attach(low, req, policies, scope)
    elif low.startswith("delete") and "policy" in low and target.kind != "iam":
        rank, phrase = _deleted_policy(policies.get(target.id))
        policies.pop(target.id, None)
    elif low.startswith("delete") and "policy" in low:
        rank, phrase = CHANGES, f"deletes inline policy {_first(req, 'policyname') or ''}".strip()
    else:
        doc = _policy_doc(req)
        if doc is not None:
            identity = target.kind == "iam" and "assumerole" not in low
            rank, phrase = _policy(
                doc, identity, account, policies.get(target.id) if not identity else None, scope
            )
            if not identity:
                policies[target.id] = doc
    return Change(ids, ts, last, principal, human, action, resource, account, source, rank, phrase, doc)


def _mentions(doc: Any, req: dict[str, Any], policies: dict[str, Any], e: Estate) -> list[str]:
    """Dataset buckets and registries named in the change's policy (inline, or created earlier)."""
    if doc is None:
        doc = policies.get((_first(req, "policyarn") or "").lower())
    if doc is None:
        return []
    text = json.dumps(doc).lower()
    found = [f"bucket {b}" for b in e.bucket_datasets if f"arn:aws:s3:::{b}" in text]
    found += [
        f"model registry {n}" for n in e.registries.values() if f"model-package-group/{n.lower()}" in text
    ]
    return found


def _first(req: dict[str, Any], path: str) -> str | None:
    found = strings_at(req, (path,))
    return found[0] if found else None


def _public_access_block(action: str, req: dict[str, Any]) -> tuple[int, str]:
    if action.startswith("delete"):
        return WIDENS, "removes Block Public Access"
    configs = [c for c in values_at(req, "publicaccessblockconfiguration") if isinstance(c, dict)]
    if not configs:
        return CHANGES, "changes Block Public Access"
    off = [k for k in _BPA_FLAGS if str(configs[0].get(k)).lower() == "false"]
    if off:
        return WIDENS, "turns off Block Public Access" + (
            "" if len(off) == len(_BPA_FLAGS) else f" ({', '.join(off)})"
        )
    return NARROWS, "turns on Block Public Access"


def _acl(req: dict[str, Any]) -> tuple[int, str | None]:
    owner = _first(req, "accesscontrolpolicy.owner.id")
    grants = [
        g for g in values_at(req, "accesscontrolpolicy.accesscontrollist.grant[]") if isinstance(g, dict)
    ]
    per: dict[str, set[str]] = defaultdict(set)
    public = False
    for g in grants:
        raw_grantee = g.get("grantee")
        grantee: dict[str, Any] = raw_grantee if isinstance(raw_grantee, dict) else {}
        perm = str(g.get("permission", "")).upper()
        gid, uri, email = grantee.get("id"), str(grantee.get("uri", "")), grantee.get("emailaddress")
        if gid and gid == owner:
            continue
        if uri.endswith("/AllUsers"):
            who, public = "everyone (AllUsers)", True
        elif uri.endswith("/AuthenticatedUsers"):
            who, public = "any AWS account (AuthenticatedUsers)", True
        elif gid:
            who = f"canonical user {gid[:6]}…{gid[-4:]}" + (", not the owner" if owner else "")
        elif email:
            who = f"{email}"
        else:
            who = uri or "another grantee"
        per[who].add(perm)
    canned = " ".join(strings_at(req, ("x-amz-acl", "x-amz-acl[]"))).lower()
    header_write = [
        h for h in ("x-amz-grant-write", "x-amz-grant-full-control", "x-amz-grant-write-acp") if h in req
    ]
    if "public-read-write" in canned:
        return WIDENS_WRITE, "sets the canned ACL public-read-write (anyone may write)"
    writes = {w: p for w, p in per.items() if p & _ACL_WRITE}
    if writes:
        text = "; ".join(f"grants {', '.join(sorted(p))} to {w}" for w, p in writes.items())
        return WIDENS_WRITE, text
    if header_write:
        return (
            WIDENS_WRITE,
            f"grants {', '.join(h.removeprefix('x-amz-grant-') for h in header_write)} by ACL header",
        )
    if per or canned in ("public-read", "authenticated-read"):
        shown = (
            "; ".join(f"grants {', '.join(sorted(p))} to {w}" for w, p in per.items())
            or f"canned ACL {canned}"
        )
        return WIDENS if public or per else CHANGES, shown
    if canned in ("private", "bucket-owner-full-control", "bucket-owner-read"):
        return NARROWS, f"sets the canned ACL {canned}"
    return CHANGES, None


def _attach(
    action: str, req: dict[str, Any], policies: dict[str, Any], scope: tuple[str, ...]
) -> tuple[int, str]:
    arn = _first(req, "policyarn") or ""
    name = arn.rsplit("/", 1)[-1] or "a policy"
    if action.startswith("detach"):
        return CHANGES, name
    doc = policies.get(arn.lower())
    if doc is not None:
        rank, phrase = _policy(doc, True, None, None, scope)
        return rank, f"{name}, which {phrase}"
    if ":iam::aws:policy/" in arn:
        # AWS managed policies are known by name: the *ReadOnly* ones cannot modify data.
        if re.search(r"readonly", name, re.IGNORECASE):
            return CHANGES, f"AWS managed {name} (read-only)"
        if re.search(r"(administratoraccess|poweruseraccess|fullaccess)", name, re.IGNORECASE):
            return WIDENS_WRITE, f"AWS managed {name}"
        return CHANGES, f"AWS managed {name}"
    return CHANGES, name


def _remember_created_policy(action: str, req: dict[str, Any], policies: dict[str, Any]) -> None:
    """CreatePolicy / CreatePolicyVersion carry the document a later AttachRolePolicy refers to by ARN."""
    if action not in ("CreatePolicy", "CreatePolicyVersion"):
        return
    doc = _policy_doc(req)
    arn = _first(req, "policyarn") or _first(req, "_response.policy.arn")
    if doc is not None and arn:
        policies[arn.lower()] = doc


def _policy_doc(req: dict[str, Any]) -> Any:
    for name in _POLICY_FIELDS:
        value = req.get(name)
        if isinstance(value, str) and value.strip():
            for text in (value, unquote(value)):
                try:
                    value = json.loads(text)
                    break
                except ValueError:
                    continue
        if isinstance(value, dict):
            return _lower(value)
    return None


def _lower(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): _lower(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower(v) for v in value]
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(doc: Any) -> list[dict[str, Any]]:
    return [s for s in _as_list(doc.get("statement")) if isinstance(s, dict)] if isinstance(doc, dict) else []


def _principals(value: Any) -> list[str]:
    if value == "*":
        return ["*"]
    out: list[str] = []
    if isinstance(value, dict):
        for v in value.values():
            out.extend(str(x) for x in _as_list(v))
    elif value is not None:
        out.extend(str(x) for x in _as_list(value))
    return out


def _grants(
    doc: Any, scope: tuple[str, ...] | None = None
) -> tuple[set[tuple[str, str]], set[tuple[str, str]], list[str]]:
    """(write grants as (who, action), other grants to public/external principals, write-guard denies).
    With ``scope`` (an identity policy), only statements on those resources or on everything count."""
    writes: set[tuple[str, str]] = set()
    exposed: set[tuple[str, str]] = set()
    guards: list[str] = []
    for st in _statements(doc):
        if scope is not None and not _in_scope(st, scope):
            continue
        effect = str(st.get("effect", "")).lower()
        actions = [str(a) for a in _as_list(st.get("action"))] or (["*"] if "notaction" in st else [])
        who = _principals(st.get("principal")) or ["(this identity)"]
        raw_condition = st.get("condition")
        condition: dict[str, Any] = raw_condition if isinstance(raw_condition, dict) else {}
        keys = {str(k).lower() for ops in condition.values() if isinstance(ops, dict) for k in ops}
        if effect == "allow":
            for w in who:
                label = "everyone (*)" if w == "*" and not condition else w
                for a in actions:
                    if _WRITE_ACTION.match(a.lower()):
                        writes.add((label, a))
                    elif w == "*" or re.match(r"^\d{12}$|^arn:aws[a-z-]*:iam::\d{12}:", w):
                        exposed.add((label, a))
        elif (
            effect == "deny"
            and any(_WRITE_ACTION.match(a.lower()) for a in actions)
            and (not condition or not keys <= _TRANSPORT_KEYS)
        ):
            guards.append(str(st.get("sid") or "a Deny statement"))
    return writes, exposed, guards


def _in_scope(statement: dict[str, Any], scope: tuple[str, ...]) -> bool:
    resources = [str(r).lower() for r in _as_list(statement.get("resource"))]
    if "notresource" in statement:
        return True
    return any(r in ("*", "arn:aws:s3:::*") or any(s in r for s in scope) for r in resources)


def _policy(
    doc: Any, identity: bool, account: str | None, previous: Any, scope: tuple[str, ...] = ()
) -> tuple[int, str | None]:
    """What putting this policy opens up; for resource policies, compared with the last known one. An
    identity policy counts only for its statements on training data or registries (``scope``)."""
    writes, exposed, guards = _grants(doc, scope if identity else None)
    if previous is not None:
        old_writes, old_exposed, old_guards = _grants(previous)
        writes -= old_writes
        exposed -= old_exposed
        dropped = [g for g in old_guards if g not in guards]
    else:
        dropped = []
    if writes:
        return WIDENS_WRITE, ("grants " if identity else "allows ") + _grant_text(writes, account)
    if dropped:
        return WIDENS_WRITE, f"drops the write guard {join_words(dropped[:2])}"
    if exposed:
        return WIDENS, "allows " + _grant_text(exposed, account)
    if previous is not None:
        return CHANGES, "replaces the policy without opening new access"
    if identity:
        return CHANGES, "grants no write on training data or registries"
    return CHANGES, "sets a policy granting no write or outside access"


def _grant_text(grants: set[tuple[str, str]], account: str | None = None) -> str:
    by_who: dict[str, list[str]] = defaultdict(list)
    for who, action in sorted(grants):
        by_who[who].append(action)
    parts = []
    for who, actions in list(by_who.items())[:3]:
        shown = ", ".join(actions[:3]) + (f" +{len(actions) - 3}" if len(actions) > 3 else "")
        parts.append(shown if who == "(this identity)" else f"{shown} to {_grantee(who, account)}")
    return "; ".join(parts)


def _grantee(who: str, account: str | None) -> str:
    """A policy principal for a sentence: whole accounts by number, marked when outside the estate's."""
    m = re.match(r"^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$", who)
    if m:
        number = m.group(1) or m.group(2)
        return f"{'outside ' if account and number != account else ''}account {number}"
    m = re.match(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):", who)
    if m and account and m.group(1) != account:
        return f"{short_name(who)} of outside account {m.group(1)}"
    return short_name(who)


def _deleted_policy(previous: Any) -> tuple[int, str]:
    if previous is None:
        return CHANGES, "deletes the policy (its content is not in the logs)"
    writes, exposed, guards = _grants(previous)
    if guards:
        return WIDENS_WRITE, f"deletes the policy and with it the write guard {join_words(guards[:2])}"
    if exposed or writes:
        return NARROWS, "deletes the policy that allowed " + _grant_text(exposed | writes)
    return CHANGES, "deletes the policy"


def _phrases(changes: list[Change]) -> list[str]:
    """One phrase per distinct effect; a bare action name only when no record of the same second says
    more (S3 access logs repeat CloudTrail's change without its request body)."""
    described = {c.ts.replace(microsecond=0) for c in changes if c.phrase}
    out: list[str] = []
    for c in changes:
        if c.phrase:
            text = f"{c.action} {c.phrase}"
        elif c.ts.replace(microsecond=0) not in described:
            text = c.action
        else:
            continue
        if text not in out:
            out.append(text)
    return out
