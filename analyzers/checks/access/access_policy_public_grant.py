"""access_policy_public_grant: policies, ACLs and Block Public Access changes that open ML stores to all."""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analyzers.checks.access._policy import (
    allow_statements,
    as_list,
    ci,
    document,
    request_parameters,
    strings,
)
from analyzers.model import AnalyzerContext, AnalyzerMeta, Fired
from mlspm.enums import Severity

# CloudTrail event names (platform conventions, not estate names). Account-level Block Public Access
# is logged under both spellings depending on the API used (s3 / s3control).
POLICY_ACTIONS = ("PutBucketPolicy",)
ACL_ACTIONS = ("PutBucketAcl", "PutObjectAcl")
PAB_PUT = ("PutBucketPublicAccessBlock", "PutPublicAccessBlock", "PutAccountPublicAccessBlock")
PAB_DELETE = ("DeleteBucketPublicAccessBlock", "DeletePublicAccessBlock", "DeleteAccountPublicAccessBlock")
REGISTRY_ACTIONS = ("PutModelPackageGroupPolicy", "AddModelPackageGroupPolicy")
WATCHED = (*POLICY_ACTIONS, *ACL_ACTIONS, *PAB_PUT, *PAB_DELETE, *REGISTRY_ACTIONS)

# What ends the window in which a grant was in force (the next change of the same setting). S3 access-log
# operation names count too: they say that the setting changed even though they do not carry its content.
CLOSERS: dict[str, tuple[str, ...]] = {
    "policy": (
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "DeleteBucket",
        "REST.PUT.BUCKETPOLICY",
        "REST.DELETE.BUCKETPOLICY",
        "REST.DELETE.BUCKET",
    ),
    "bucket_acl": ("PutBucketAcl", "DeleteBucket", "REST.PUT.ACL", "REST.DELETE.BUCKET"),
    "object_acl": (
        "PutObjectAcl",
        "PutObject",
        "DeleteObject",
        "REST.PUT.ACL",
        "REST.PUT.OBJECT",
        "REST.DELETE.OBJECT",
    ),
    "pab": (*PAB_PUT, *PAB_DELETE, "REST.PUT.PUBLICACCESSBLOCK", "REST.DELETE.PUBLICACCESSBLOCK"),
    "registry": (*REGISTRY_ACTIONS, "DeleteModelPackageGroupPolicy", "DeleteModelPackageGroup"),
}

PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
WORLD_GROUPS = {
    "http://acs.amazonaws.com/groups/global/allusers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/authenticatedusers": "AuthenticatedUsers",
}
CANNED_PUBLIC = {
    "public-read": "AllUsers: READ",
    "public-read-write": "AllUsers: READ, WRITE",
    "authenticated-read": "AuthenticatedUsers: READ",
}
ML_KINDS = ("model", "model_version", "dataset", "feature_group", "registry")
# Condition values that restrict nothing (AWS treats a policy using them as public).
OPEN_VALUES = {"*", "0.0.0.0/0", "::/0"}

_EVENTS_SQL = """
SELECT id, event_id, ts, principal, short_name(principal), action, lower(resource), asset_id, raw
FROM access_events
WHERE action IN (SELECT unnest($actions)) AND outcome = 'success' AND raw IS NOT NULL
  -- cheap text screens so only candidates are parsed in Python: a world grant needs a "*" (policies), a
  -- global group URI or a canned public ACL (ACLs); Block Public Access changes are all read
  AND (contains(action, 'PublicAccessBlock') OR contains(raw, '*')
       OR contains(raw, 'acs.amazonaws.com/groups/global/') OR contains(raw, 'public-read')
       OR contains(raw, 'authenticated-read'))
ORDER BY ts, id
"""

_CLOSERS_SQL = """
SELECT action, rtrim(lower(resource), '/'), ts, raw
FROM access_events
WHERE action IN (SELECT unnest($actions)) AND outcome = 'success'
  AND rtrim(lower(resource), '/') IN (SELECT unnest($resources))
  AND ts > $since
"""

_ANONYMOUS_SQL = """
SELECT id, ts, lower(resource), source_ip, coalesce(bytes_out, 0), source_format
FROM access_events
WHERE principal = 'anonymous' AND outcome = 'success'
  AND starts_with(lower(resource), 's3://')
  AND split_part(lower(resource), '/', 3) IN (SELECT unnest($buckets))
  AND ts >= $since
ORDER BY ts, id
"""

_ML_ASSETS_SQL = """
SELECT split_part(l.locator, '/', 3), l.locator, l.kind, a.asset_id, a.kind, a.environment
FROM asset_locators l JOIN assets a USING (asset_id)
WHERE starts_with(l.locator, 's3://') AND split_part(l.locator, '/', 3) IN (SELECT unnest($buckets))
"""

_ASSET_ENV_SQL = "SELECT asset_id, kind, environment FROM assets WHERE asset_id IN (SELECT unnest($ids))"


@dataclass
class Grant:
    """One change that opened (or could open) a store to everyone."""

    row_id: int
    event_id: str
    ts: datetime
    principal: str | None
    who: str
    action: str
    resource: str
    asset_id: str | None
    scope: str  # policy | bucket_acl | object_acl | pab | registry
    bucket: str | None
    what: str  # the plain words for the grant
    patterns: list[str] = field(default_factory=list)  # s3:// globs it opens; empty = the whole bucket
    pab_all_off: bool = False


@dataclass
class MlAsset:
    asset_id: str
    kind: str
    environment: str | None
    locator: str
    locator_kind: str


class Check:
    """Finds public grants in CloudTrail and counts the anonymous requests that followed them."""

    def __init__(self, meta: AnalyzerMeta) -> None:
        self.meta = meta

    def run(self, ctx: AnalyzerContext) -> Iterable[Fired]:
        restricting = {k.lower() for k in ctx.params["restricting_condition_keys"]}
        rows = ctx.cur.execute(_EVENTS_SQL, {"actions": list(WATCHED)}).fetchall()
        grants = [g for row in rows if (g := _grant(row, restricting)) is not None]
        if not grants:
            return []
        buckets = sorted({g.bucket for g in grants if g.bucket})
        since = min(g.ts for g in grants)
        closers = self._closers(ctx, grants, since)
        anonymous = ctx.cur.execute(_ANONYMOUS_SQL, {"buckets": buckets, "since": since}).fetchall()
        ml_assets: dict[str, list[MlAsset]] = defaultdict(list)
        for bucket, locator, lkind, asset_id, kind, env in ctx.cur.execute(
            _ML_ASSETS_SQL, {"buckets": buckets}
        ).fetchall():
            ml_assets[bucket].append(MlAsset(asset_id, kind, env, locator, lkind))
        linked = {g.asset_id for g in grants if g.asset_id}
        envs = {a: (k, e) for a, k, e in ctx.cur.execute(_ASSET_ENV_SQL, {"ids": sorted(linked)}).fetchall()}
        return [self._fired(g, grants, closers, anonymous, ml_assets, envs) for g in grants]

    @staticmethod
    def _closers(
        ctx: AnalyzerContext, grants: list[Grant], since: datetime
    ) -> list[tuple[str, str, datetime]]:
        resources = sorted({g.resource.rstrip("/") for g in grants})
        actions = sorted({a for g in grants for a in CLOSERS[g.scope]})
        found = []
        for action, resource, ts, raw in ctx.cur.execute(
            _CLOSERS_SQL, {"actions": actions, "resources": resources, "since": since}
        ).fetchall():
            # A Block Public Access put only ends an "off" window when it turns every block back on.
            if action in PAB_PUT and _pab_off(request_parameters(raw)):
                continue
            found.append((action, resource, ts))
        return found

    def _fired(
        self,
        g: Grant,
        grants: list[Grant],
        closers: list[tuple[str, str, datetime]],
        anonymous: list[tuple[Any, ...]],
        ml_assets: dict[str, list[MlAsset]],
        envs: dict[str, tuple[str, str | None]],
    ) -> Fired:
        key_resource = g.resource.rstrip("/")
        ended = min(
            (
                ts
                for action, res, ts in closers
                if res == key_resource and action in CLOSERS[g.scope] and ts > g.ts
            ),
            default=None,
        )
        in_bucket = ml_assets.get(g.bucket or "", [])
        bucket_asset = next((a.asset_id for a in in_bucket if a.kind == "bucket"), None)
        if g.scope == "registry":
            kind, env = envs.get(g.asset_id or "", ("registry", None))
            exposed = [MlAsset(g.asset_id, kind, env, g.resource, "exact")] if g.asset_id else []
        else:
            exposed = [a for a in in_bucket if a.kind in ML_KINDS and _overlaps(a, g)]
        exposed_ids = sorted({a.asset_id for a in exposed})
        prod_ids = sorted({a.asset_id for a in exposed if a.environment == "prod"})

        follow = []
        if g.scope != "pab":
            for row in anonymous:
                _id, ts, res, _ip, _bytes, _fmt = row
                if ts < g.ts or (ended is not None and ts >= ended):
                    continue
                if split_bucket(res) != g.bucket:
                    continue
                if g.scope == "object_acl" and res != g.resource:
                    continue
                follow.append(row)
        requests, volume = _dedup_count(follow)
        ips = len({r[3] for r in follow if r[3]})

        if g.scope == "pab":
            severity = Severity.HIGH if prod_ids else Severity.MEDIUM
            later = [
                o
                for o in grants
                if o.scope != "pab"
                and o.bucket == g.bucket
                and o.ts >= g.ts
                and (ended is None or o.ts < ended)
            ]
            sentence = self._pab_sentence(g, exposed_ids, prod_ids, later, ended)
        else:
            if prod_ids:
                severity = Severity.CRITICAL
            elif exposed_ids or g.asset_id:
                severity = Severity.HIGH
            else:
                severity = Severity.MEDIUM
            sentence = self._grant_sentence(g, exposed_ids, prod_ids, requests, volume, ips, follow, ended)

        event_ids = [g.row_id, *(r[0] for r in follow)]
        last = max([g.ts, *(r[1] for r in follow)])
        return Fired(
            key=f"{g.bucket or g.resource}|{g.action}|{g.event_id}",
            summary=sentence,
            principal=g.principal,
            asset_id=bucket_asset or g.asset_id,
            resource=g.resource,
            first_seen=g.ts,
            last_seen=last,
            severity=severity,
            details={
                "change": g.action,
                "grant": g.what,
                "scope": g.scope,
                "bucket": g.bucket,
                "granted_resources": g.patterns,
                "exposed_ml_assets": exposed_ids,
                "exposed_prod_assets": prod_ids,
                "in_force_until": ended.isoformat() if ended else None,
                "anonymous_requests": requests,
                "anonymous_bytes": volume,
                "anonymous_ips": ips,
            },
            event_ids=event_ids,
            evidence_count=len(event_ids),
        )

    @staticmethod
    def _grant_sentence(
        g: Grant,
        exposed: list[str],
        prod: list[str],
        requests: int,
        volume: int,
        ips: int,
        follow: list[tuple[Any, ...]],
        ended: datetime | None,
    ) -> str:
        text = f"{g.who} {g.what}"
        if g.scope != "registry":
            text += "; it exposes " + _assets_phrase(exposed, prod)
            if requests:
                plural = "s" if requests > 1 else ""
                text += (
                    f"; {requests:,} anonymous request{plural} from {ips} address"
                    f"{'es' if ips != 1 else ''} then read {_bytes(volume)} between "
                    f"{_hm(follow[0][1])} and {_hm(follow[-1][1])}"
                )
            else:
                text += "; no anonymous request followed in the loaded logs"
        if ended is not None:
            text += f"; the grant stayed in force {_duration(ended - g.ts)}, until {_hm(ended)}"
        else:
            text += "; the grant is still in force at the end of the loaded logs"
        return text + "."

    @staticmethod
    def _pab_sentence(
        g: Grant, exposed: list[str], prod: list[str], later: list[Grant], ended: datetime | None
    ) -> str:
        text = f"{g.who} {g.what}"
        if g.bucket:
            text += ", which holds " + _assets_phrase(exposed, prod)
        if later:
            first = later[0]
            text += (
                f"; a public grant followed {_duration(first.ts - g.ts)} later "
                f"({first.action} at {_hm(first.ts)})"
            )
        if ended is not None:
            text += f"; the blocks were turned back on {_duration(ended - g.ts)} later ({_hm(ended)})"
        else:
            text += "; the blocks are still off at the end of the loaded logs"
        return text + "."


def split_bucket(resource: str) -> str | None:
    """The bucket of an ``s3://bucket/key`` resource."""
    if not resource.startswith("s3://"):
        return None
    return resource[5:].split("/", 1)[0] or None


def _grant(row: tuple[Any, ...], restricting: set[str]) -> Grant | None:
    """The grant an event makes, or None when it does not open anything to everyone."""
    row_id, event_id, ts, principal, who, action, resource, asset_id, raw = row
    params = request_parameters(raw)
    if params is None:
        return None
    resource = resource or ""
    bucket = str(ci(params, "bucketName") or "").lower() or split_bucket(resource)
    base = {
        "row_id": row_id,
        "event_id": event_id,
        "ts": ts,
        "principal": principal,
        "who": who or principal or "an unknown principal",
        "action": action,
        "resource": resource,
        "asset_id": asset_id,
        "bucket": bucket,
    }
    if action in POLICY_ACTIONS or action in REGISTRY_ACTIONS:
        doc = document(ci(params, "bucketPolicy", "policy", "resourcePolicy", "policyDocument"))
        statements = list(_public_statements(doc, restricting)) if doc else []
        if not statements:
            return None
        actions = sorted({a for s in statements for a in s[0]}) or ["every action"]
        patterns = sorted({p for s in statements for p in s[1]})
        what_doc = "a bucket policy" if action in POLICY_ACTIONS else "a model package group policy"
        scope = "policy" if action in POLICY_ACTIONS else "registry"
        shown = ", ".join(_short_pattern(p, bucket) for p in patterns[:3]) + (
            ", ..." if len(patterns) > 3 else ""
        )
        target = bucket if scope == "policy" and bucket else _short_arn(resource)
        what = (
            f"put {what_doc} on {target} that grants {', '.join(actions[:4])}"
            f"{', ...' if len(actions) > 4 else ''}{' on ' + shown if shown and scope == 'policy' else ''}"
            f' to Principal "*" with no restricting condition'
        )
        return Grant(**base, scope=scope, what=what, patterns=patterns)
    if action in ACL_ACTIONS:
        grants = _public_acl(params)
        if not grants:
            return None
        scope = "object_acl" if action == "PutObjectAcl" else "bucket_acl"
        if scope == "object_acl":
            key = resource.split("/", 3)[-1] if resource.count("/") >= 3 else resource
            what = f"set an ACL on object {key} in {bucket} granting {'; '.join(grants)}"
        else:
            what = f"set a bucket ACL on {bucket or resource} granting {'; '.join(grants)}"
        return Grant(**base, scope=scope, what=what)
    if action in PAB_DELETE or action in PAB_PUT:
        off = list(PAB_FLAGS) if action in PAB_DELETE else _pab_off(params)
        if not off:
            return None
        if not bucket:
            base["resource"] = resource or str(ci(params, "x-amz-account-id") or "")
        words = (
            "deleted the Block Public Access configuration"
            if action in PAB_DELETE
            else "turned off all four Block Public Access settings"
            if len(off) == len(PAB_FLAGS)
            else "turned off the Block Public Access settings " + ", ".join(off)
        )
        words += f" of {bucket}" if bucket else f" of account {base['resource']}"
        return Grant(**base, scope="pab", what=words, pab_all_off=len(off) == len(PAB_FLAGS))
    return None


def _public_statements(doc: dict[str, Any], restricting: set[str]) -> Iterator[tuple[list[str], list[str]]]:
    """(actions, s3:// resource globs) of each Allow statement open to everyone."""
    for st in allow_statements(doc):
        not_principal = ci(st, "NotPrincipal")
        if not (_is_world(ci(st, "Principal")) or not_principal is not None):
            continue
        if _restricted(ci(st, "Condition"), restricting):
            continue
        actions = strings(ci(st, "Action"))
        if not actions and ci(st, "NotAction") is not None:
            actions = ["all but " + ", ".join(strings(ci(st, "NotAction")))]
        resources = [_s3_glob(r) for r in strings(ci(st, "Resource"))]
        yield actions, [r for r in resources if r]


def _is_world(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in strings(value) for value in principal.values())
    return False


def _restricted(condition: Any, restricting: set[str]) -> bool:
    """True when a condition pins the caller to fixed values of a key that limits who can call."""
    if not isinstance(condition, dict):
        return False
    for block in condition.values():
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            if str(key).lower() in restricting and not (set(strings(values)) & OPEN_VALUES):
                return True
    return False


def _s3_glob(resource: str) -> str | None:
    """``arn:aws:s3:::bucket/key*`` as ``s3://bucket/key*`` (lower-case); ``*`` stays ``*``."""
    low = resource.lower()
    if low == "*":
        return "*"
    if low.startswith("arn:aws") and ":s3:::" in low:
        return "s3://" + low.split(":s3:::", 1)[1]
    return low if low.startswith("s3://") else None


def _short_pattern(pattern: str, bucket: str | None) -> str:
    prefix = f"s3://{bucket}/" if bucket else None
    return pattern[len(prefix) :] if prefix and pattern.startswith(prefix) else pattern


def _overlaps(asset: MlAsset, g: Grant) -> bool:
    """Does the grant open (part of) what the asset's locator names?"""
    if g.scope == "object_acl":
        res = g.resource
        return asset.locator == res or (asset.locator_kind == "prefix" and res.startswith(asset.locator))
    if not g.patterns:
        return True
    for pattern in g.patterns:
        if pattern == "*" or "/" not in pattern[5:]:  # everything, or the bucket itself (listing)
            return True
        head = pattern.split("*", 1)[0].split("?", 1)[0]
        if asset.locator_kind == "prefix":
            if head.startswith(asset.locator) or asset.locator.startswith(head):
                return True
        elif fnmatch.fnmatchcase(asset.locator, pattern):
            return True
    return False


def _public_acl(params: dict[str, Any]) -> list[str]:
    """``["AllUsers: READ", ...]`` for the grants to everyone in an ACL request."""
    found: list[str] = []
    for canned in as_list(ci(params, "x-amz-acl")):
        label = CANNED_PUBLIC.get(str(canned).lower())
        if label:
            found.append(f"{label} (canned {canned})")
    for key, value in params.items():
        if str(key).lower().startswith("x-amz-grant-"):
            permission = str(key)[len("x-amz-grant-") :].upper().replace("-", "_")
            for text in as_list(value):
                for uri, group in WORLD_GROUPS.items():
                    if uri in str(text).lower():
                        found.append(f"{group}: {permission}")
    acl = ci(ci(params, "AccessControlPolicy"), "AccessControlList")
    for grant in as_list(ci(acl, "Grant", "Grants")):
        uri = str(ci(ci(grant, "Grantee"), "URI") or "").lower()
        if uri in WORLD_GROUPS:
            found.append(f"{WORLD_GROUPS[uri]}: {ci(grant, 'Permission') or 'access'}")
    return list(dict.fromkeys(found))


def _pab_off(params: dict[str, Any] | None) -> list[str]:
    """The Block Public Access settings a put turns off (a setting left out of the request is off)."""
    config = ci(params, "PublicAccessBlockConfiguration")
    if not isinstance(config, dict):
        return []
    off = []
    for flag in PAB_FLAGS:
        value = ci(config, flag)
        if value is None or str(value).lower() == "false":
            off.append(flag)
    return off


def _dedup_count(rows: list[tuple[Any, ...]]) -> tuple[int, int]:
    """(requests, bytes) counted per log source and the fullest source kept: CloudTrail data events
    and S3 access logs record the same request."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        counts = per[row[5]]
        counts[0] += 1
        counts[1] += int(row[4] or 0)
    if not per:
        return 0, 0
    best = max(per.values(), key=lambda c: (c[0], c[1]))
    return best[0], best[1]


def _assets_phrase(exposed: list[str], prod: list[str]) -> str:
    if not exposed:
        return "no inventoried ML asset"
    shown = ", ".join(exposed[:4]) + (", ..." if len(exposed) > 4 else "")
    noun = "ML asset" if len(exposed) == 1 else "ML assets"
    in_prod = f", {len(prod)} in production" if prod else ""
    return f"{len(exposed)} {noun} ({shown}{in_prod})"


def _short_arn(value: str) -> str:
    """The name part of an ARN (``model-package-group/x`` -> ``x``), or the value itself."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def _hm(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def _duration(delta: Any) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def _bytes(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
