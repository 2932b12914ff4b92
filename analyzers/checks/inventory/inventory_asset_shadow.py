"""inventory_asset_shadow: ML assets seen in logs or on disk but in no inventory, registered as discovered."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analyzers.model import AnalyzerContext, AnalyzerMeta, DiscoveredAsset, Fired

_EVIDENCE_CAP = 10_000
_ARN = re.compile(r"^arn:aws[\w-]*:(sagemaker|bedrock):([^:]*):([^:]*):([a-z-]+)/(.+)$")
_OBJECT = re.compile(r"^([a-z][a-z0-9+.\-]*)://([^/]+)/(.+)$")
_SERVICE = {"sagemaker": "SageMaker", "bedrock": "Bedrock"}
# SageMaker/Bedrock ARN resource types → asset kind (DESIGN's kinds; endpoint configs keep their own).
_KINDS = {
    "model": "model",
    "endpoint": "endpoint",
    "endpoint-config": "endpoint_config",
    "model-package": "model_version",
    "model-package-group": "registry",
    "training-job": "training_job",
    "inference-component": "endpoint",
    "feature-group": "feature_group",
    "notebook-instance": "notebook",
    "custom-model": "model",
    "imported-model": "model",
    "provisioned-model": "endpoint",
    "model-customization-job": "training_job",
}
_DISCOVERED = "SELECT asset_id FROM assets WHERE source = 'discovered'"

# The asset ids whose events may be about shadow resources are fetched first and bound as a list: a
# constant list filter runs before the string tests (an IN-subquery made DuckDB test every row's resource).
# Names are made readable after aggregation, not once per event.
_EVENTS = """
SELECT res, principal, coalesce(short_name(principal), '(unknown principal)') AS who, action, action_class,
       outcome, n, first_ts, last_ts, ids, presigned
FROM (
    SELECT lower(resource) AS res, principal, action, action_class, outcome, count(*) AS n,
           min(ts) AS first_ts, max(ts) AS last_ts, list(id)[1:$cap] AS ids,
           count(*) FILTER (WHERE auth_type = 'QueryString') AS presigned
    FROM (SELECT * FROM access_events WHERE asset_id IS NULL OR list_contains($assets::VARCHAR[], asset_id))
    WHERE __FILTER__
    GROUP BY ALL
)
"""
# Events on SageMaker/Bedrock ARNs no inventory asset holds (or only a discovered one, on a re-run).
_ARN_EVENTS = _EVENTS.replace(
    "__FILTER__", "(resource LIKE 'arn:aws%:sagemaker:%' OR resource LIKE 'arn:aws%:bedrock:%')"
)
# Object-store files with a weight extension covered by nothing more specific than a bucket.
_OBJECT_EVENTS = _EVENTS.replace(
    "__FILTER__",
    "resource LIKE '%://%/%' AND NOT starts_with(resource, 'arn:')"
    " AND NOT starts_with(lower(resource), 'http')"
    " AND list_bool_or(list_transform($suffixes::VARCHAR[], lambda x: ends_with(lower(resource), x)))",
)

# The SageMaker calls that tie shadow resources together (model → artifact, endpoint → config).
_LINKS = """
SELECT action, lower(resource) AS res, raw FROM access_events
WHERE action IN ('CreateModel', 'CreateEndpoint', 'UpdateEndpoint', 'CreateEndpointConfig')
  AND outcome = 'success' AND resource LIKE 'arn:aws%:sagemaker:%' AND raw IS NOT NULL
"""

_COVERED_ARNS = """
SELECT DISTINCT locator FROM asset_locators
WHERE asset_id IN (SELECT asset_id FROM assets WHERE source <> 'discovered')
  AND (locator LIKE '%:model-package-group/%' OR locator LIKE '%:endpoint/%')
"""

# Files mlspm scan read (or skipped with a weight extension) that link to no inventory asset and are not
# placed by location: bucket/key of an exact locator at the end of the path, or a prefix locator's
# bucket/key inside it (the key alone when it has a folder).
_SCANNED = f"""
WITH files AS (
    SELECT target, replace(lower(target), '\\', '/') AS path, list(id ORDER BY id) AS ids,
           max(scanned_at) AS last_scan, list(DISTINCT scanner) AS scanners,
           list(DISTINCT module_operator ORDER BY module_operator)
               FILTER (WHERE kind = 'issue' AND module_operator IS NOT NULL) AS operators
    FROM scan_results
    WHERE target <> '' AND (asset_id IS NULL OR asset_id IN ({_DISCOVERED}))
    GROUP BY target
    HAVING bool_or(kind IN ('issue', 'scanned'))
        OR list_bool_or(list_transform($suffixes::VARCHAR[],
                                       lambda x: ends_with(replace(lower(target), '\\', '/'), x)))
),
places AS (
    SELECT parts.bucket AS bucket, parts.key AS key, ends_with(loc, '/') AS is_prefix
    FROM (
        SELECT loc, regexp_extract(loc, '^[a-z][a-z0-9+.-]*://([^/]+)/(.+)$', ['bucket', 'key']) AS parts
        FROM (
            SELECT locator AS loc, asset_id FROM asset_locators WHERE kind IN ('exact', 'prefix')
            UNION ALL
            SELECT lower(uri), asset_id FROM assets WHERE uri IS NOT NULL
        )
        WHERE asset_id NOT IN ({_DISCOVERED})
    )
    WHERE parts.key <> ''
)
SELECT f.target, f.path, f.ids, f.last_scan, f.scanners, f.operators
FROM files f
WHERE NOT EXISTS (SELECT 1 FROM asset_locators l WHERE l.kind = 'exact' AND l.locator = f.path
                    AND l.asset_id NOT IN ({_DISCOVERED}))
  AND NOT EXISTS (
    SELECT 1 FROM places p
    WHERE CASE WHEN p.is_prefix
               THEN contains(f.path, '/' || p.bucket || '/' || p.key)
                    OR (contains(rtrim(p.key, '/'), '/') AND contains(f.path, '/' || p.key))
               ELSE ends_with(f.path, '/' || p.bucket || '/' || p.key)
                    OR (contains(p.key, '/') AND ends_with(f.path, '/' || p.key)) END)
"""  # noqa: S608


@dataclass
class _Use:
    """Events of one principal and action on one resource."""

    resource: str
    principal: str | None
    who: str
    action: str
    action_class: str
    outcome: str
    n: int
    first: datetime
    last: datetime
    ids: list[int]
    presigned: int


@dataclass
class _Group:
    """One discovered asset in the making: what it is, how it is located, and what touched it."""

    key: str  # the ARN, object folder or local folder it started from
    kind: str
    name: str
    label: str
    uri: str
    locators: list[str] = field(default_factory=list)
    uses: list[_Use] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    scan_ids: list[int] = field(default_factory=list)
    scan_operators: set[str] = field(default_factory=set)
    last_scan: datetime | None = None
    scanners: set[str] = field(default_factory=set)
    artifact: str | None = None
    parts: list[str] = field(default_factory=list)  # merged-in resources (endpoint configs, folders)


class Check:
    """Logs and scans against the inventory's locators; an uncovered ML resource becomes discovered."""

    def __init__(self, meta: AnalyzerMeta) -> None:
        self.meta = meta

    def run(self, ctx: AnalyzerContext) -> Iterator[Fired]:
        suffixes = [s.lower() for s in ctx.params["weight_suffixes"]]
        types = {("sagemaker", t) for t in ctx.params["sagemaker_types"]}
        types |= {("bedrock", t) for t in ctx.params["bedrock_types"]}
        cur = ctx.cur
        discovered = [r[0] for r in cur.execute(_DISCOVERED).fetchall()]
        stores = [r[0] for r in cur.execute("SELECT asset_id FROM assets WHERE kind = 'bucket'").fetchall()]
        arn_rows = [
            _Use(*r)
            for r in cur.execute(_ARN_EVENTS, {"cap": _EVIDENCE_CAP, "assets": discovered}).fetchall()
        ]
        object_rows = [
            _Use(*r)
            for r in cur.execute(
                _OBJECT_EVENTS, {"cap": _EVIDENCE_CAP, "suffixes": suffixes, "assets": stores + discovered}
            ).fetchall()
        ]
        scanned = cur.execute(_SCANNED, {"suffixes": suffixes}).fetchall()
        if not (arn_rows or object_rows or scanned):
            return
        covered = {r[0] for r in cur.execute(_COVERED_ARNS).fetchall()}
        groups = self._arn_groups(arn_rows, types, covered)
        folders = self._folder_groups(object_rows)
        self._link(cur, groups, folders, covered)
        for folder in folders.values():
            groups[folder.key] = folder
        self._scanned(scanned, groups)
        ids = self._ids(cur, groups)
        for group in sorted(groups.values(), key=lambda g: ids[g.key]):
            asset_id = ids[group.key]
            ctx.discovered.append(
                DiscoveredAsset(
                    asset_id=asset_id,
                    kind=group.kind,
                    name=group.name,
                    uri=group.uri,
                    locators=tuple(dict.fromkeys(group.locators)),
                )
            )
            yield _finding(asset_id, group)

    @staticmethod
    def _arn_groups(rows: list[_Use], types: set[tuple[str, str]], covered: set[str]) -> dict[str, _Group]:
        groups: dict[str, _Group] = {}
        by_arn: dict[str, list[_Use]] = defaultdict(list)
        for use in rows:
            by_arn[use.resource].append(use)
        for arn, uses in by_arn.items():
            m = _ARN.match(arn)
            if not m or (m.group(1), m.group(4)) not in types:
                continue
            if not any(u.outcome == "success" for u in uses):
                continue  # only refused calls: the resource may not even exist
            service, region, account, rtype, name = m.groups()
            if rtype == "model-package" and "/" in name:
                group_arn = f"arn:aws:sagemaker:{region}:{account}:model-package-group/{name.split('/')[0]}"
                if group_arn in covered:
                    continue  # a version of an inventoried registry
            label = f"{_SERVICE[service]} {rtype.replace('-', ' ')}"
            groups[arn] = _Group(arn, _KINDS.get(rtype, "model"), name, label, arn, [arn], list(uses))
        return groups

    @staticmethod
    def _folder_groups(rows: list[_Use]) -> dict[str, _Group]:
        """One group per model folder (the object's parent); a bucket-root file stays its own locator."""
        groups: dict[str, _Group] = {}
        for use in rows:
            m = _OBJECT.match(use.resource)
            if not m:
                continue
            scheme, bucket, key = m.groups()
            folder_key = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
            folder = f"{scheme}://{bucket}/{folder_key}"
            group = groups.get(folder)
            if group is None:
                name = folder_key.rstrip("/").rsplit("/", 1)[-1] or bucket
                group = _Group(folder, "model", name, "model files under", folder)
                group.locators.append(folder if folder_key else use.resource)
                groups[folder] = group
            elif not folder_key:
                group.locators.append(use.resource)
            group.uses.append(use)
            base = key.rsplit("/", 1)[-1]
            if base not in group.files:
                group.files.append(base)
        return groups

    @staticmethod
    def _link(cur: Any, groups: dict[str, _Group], folders: dict[str, _Group], covered: set[str]) -> None:
        """Model ← the shadow folder its modelDataUrl points into; endpoint ← the config it names."""
        for action, arn, raw in cur.execute(_LINKS).fetchall():
            params = _request(raw)
            if action == "CreateModel" and arn in groups:
                url = _find(params, ("modeldataurl", "s3uri"))
                if url:
                    url = url.lower()
                    groups[arn].artifact = url
                    folder = url if url.endswith("/") else url.rsplit("/", 1)[0] + "/"
                    merged = folders.pop(folder, None)
                    if merged is not None:
                        _absorb(groups[arn], merged)
            elif action in ("CreateEndpoint", "UpdateEndpoint") and ":endpoint/" in arn:
                name = _find(params, ("endpointconfigname",))
                if not name:
                    continue
                config = arn.split(":endpoint/")[0] + ":endpoint-config/" + name.lower()
                if config not in groups:
                    continue
                if arn in covered:
                    del groups[config]  # a new config of an inventoried endpoint
                elif arn in groups:
                    _absorb(groups[arn], groups.pop(config))

    @staticmethod
    def _scanned(rows: list[tuple[Any, ...]], groups: dict[str, _Group]) -> None:
        """Scanned files join the object folder whose bucket/key ends their path, else their own folder."""
        objects: dict[str, _Group] = {}
        for group in groups.values():
            for use in group.uses:
                m = _OBJECT.match(use.resource)
                if m:
                    objects["/" + m.group(2) + "/" + m.group(3)] = group
        for target, path, ids, last_scan, scanners, operators in rows:
            found = next((g for suffix, g in objects.items() if path.endswith(suffix)), None)
            if found is None:
                folder = path.rsplit("/", 1)[0] + "/"
                found = groups.get(folder)
                if found is None:
                    name = folder.rstrip("/").rsplit("/", 1)[-1] or folder
                    found = _Group(folder, "model", name, "model files on disk under", folder, [folder])
                    groups[folder] = found
            group = found
            group.locators.append(target)
            base = path.rsplit("/", 1)[-1]
            if base not in group.files:
                group.files.append(base)
            group.scan_ids.extend(ids)
            group.scan_operators.update(operators or [])
            group.scanners.update(scanners or [])
            if last_scan is not None and (group.last_scan is None or last_scan > group.last_scan):
                group.last_scan = last_scan

    @staticmethod
    def _ids(cur: Any, groups: dict[str, _Group]) -> dict[str, str]:
        """``<kind>:<name>``; a name an inventory asset or another group already has gets a hash suffix."""
        wanted = {key: f"{g.kind}:{_short(g)}" for key, g in groups.items()}
        taken = {
            r[0]
            for r in cur.execute(
                "SELECT asset_id FROM assets "
                "WHERE source <> 'discovered' AND asset_id IN (SELECT unnest($ids::VARCHAR[]))",
                {"ids": sorted(set(wanted.values()))},
            ).fetchall()
        }
        counts: dict[str, int] = defaultdict(int)
        for value in wanted.values():
            counts[value] += 1
        out = {}
        for key, value in wanted.items():
            if value in taken or counts[value] > 1:
                value = f"{value}~{hashlib.sha1(key.encode()).hexdigest()[:8]}"
            out[key] = value
        return out


def _short(group: _Group) -> str:
    """The readable part of an id: the ARN's name, or bucket/folder for objects, the path for local files."""
    if group.key.startswith("arn:"):
        return group.name
    m = _OBJECT.match(group.key)
    if m:
        return (m.group(2) + "/" + m.group(3)).rstrip("/")
    return group.key.rstrip("/")


def _absorb(into: _Group, other: _Group) -> None:
    into.locators.extend(other.locators)
    into.uses.extend(other.uses)
    into.parts.append(other.key)
    for f in other.files:
        if f not in into.files:
            into.files.append(f)


def _request(raw: str | None) -> Any:
    try:
        record = json.loads(raw or "")
    except ValueError:
        return None
    if isinstance(record, dict):
        return record.get("requestParameters") or record.get("requestparameters") or record
    return None


def _find(value: Any, keys: tuple[str, ...]) -> str | None:
    """The first string under a key named one of ``keys`` (case-insensitive), searched depth-first."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k.lower() in keys and isinstance(v, str) and v:
                return v
        for v in value.values():
            found = _find(v, keys)
            if found:
                return found
    elif isinstance(value, list):
        for v in value:
            found = _find(v, keys)
            if found:
                return found
    return None


def _verb(use: _Use) -> str | None:
    """What a successful event did to the asset, in the summary's words (None: not worth a clause)."""
    if use.outcome != "success":
        return None
    on_object = not use.resource.startswith("arn:")
    if use.action_class == "write":
        if on_object:
            return "uploaded"
        return "created" if use.action.lower().startswith("create") else "changed"
    if use.action_class == "invoke":
        return "invoked"
    if use.action_class == "read" and on_object:
        return "downloaded"
    if use.action_class == "delete":
        return "deleted"
    return None


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n:,} times"


def _when(ts: datetime) -> str:
    return f"{ts:%Y-%m-%d %H:%M} UTC"


def _clauses(uses: list[_Use]) -> list[str]:
    by_verb: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    first: dict[str, datetime] = {}
    last_single: dict[str, datetime] = {}
    for use in uses:
        verb = _verb(use)
        if verb is None:
            continue
        by_verb[verb][use.who] += use.n
        first[verb] = min(first.get(verb, use.first), use.first)
        last_single[verb] = use.last
    clauses = []
    for verb in sorted(by_verb, key=lambda v: first[v]):
        people = sorted(by_verb[verb].items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(n for _, n in people)
        if len(people) == 1:
            who, n = people[0]
            clauses.append(f"{verb} by {who} " + (f"on {_when(last_single[verb])}" if n == 1 else _times(n)))
        else:
            top = ", ".join(f"{who} {n:,}" for who, n in people[:3])
            more = f", +{len(people) - 3} more" if len(people) > 3 else ""
            clauses.append(f"{verb} {_times(total)} by {len(people)} principals ({top}{more})")
    return clauses


def _finding(asset_id: str, group: _Group) -> Fired:
    uses = group.uses
    ok = [u for u in uses if u.outcome == "success"]
    if group.key.startswith("arn:"):
        what = f"{group.label} {group.name} ({group.key}"
        if group.artifact:
            what += f", artifact {group.artifact}"
        if group.parts:
            parts = (p.rsplit(":", 1)[-1] if p.startswith("arn:") else p for p in group.parts)
            what += f", with {', '.join(parts)}"
        what += ")"
    else:
        shown = ", ".join(group.files[:3]) + (
            f" +{len(group.files) - 3} more" if len(group.files) > 3 else ""
        )
        what = f"{group.label} {group.key} ({shown})"
    sentence = f"{what} is in no inventory"
    clauses = _clauses(uses)
    if clauses:
        sentence += ": " + ", ".join(clauses)
        if len(ok) > 1 or (ok and ok[0].n > 1):
            sentence += f", last on {_when(max(u.last for u in ok))}"
    elif uses:
        principals = {u.who for u in uses}
        sentence += f": {_times(sum(u.n for u in uses))} in the logs by {len(principals)} principal(s)"
    if group.scan_ids:
        flagged = f", flagged {', '.join(sorted(group.scan_operators))}" if group.scan_operators else ""
        when = f" {group.last_scan:%Y-%m-%d}" if group.last_scan else ""
        sentence += f"; scanned by {', '.join(sorted(group.scanners))}{when}{flagged}"
    writers = sorted((u for u in ok if u.action_class == "write"), key=lambda u: u.first)
    users = sorted(uses, key=lambda u: (-u.n, u.who))
    principal = writers[0].principal if writers else users[0].principal if users else None
    per_principal: dict[str, int] = defaultdict(int)
    for u in uses:
        per_principal[u.principal or "(unknown)"] += u.n
    event_ids = sorted({i for u in uses for i in u.ids})
    return Fired(
        key=asset_id,
        summary=sentence + ".",
        principal=principal,
        asset_id=asset_id,
        resource=group.key,
        first_seen=min((u.first for u in uses), default=None),
        last_seen=max((u.last for u in uses), default=group.last_scan),
        details={
            "kind": group.kind,
            "locators": list(dict.fromkeys(group.locators)),
            "artifact": group.artifact,
            "merged": group.parts,
            "files": group.files,
            "principals": dict(per_principal),
            "actions": sorted({u.action for u in uses}),
            "scan_operators": sorted(group.scan_operators),
        },
        event_ids=event_ids[:_EVIDENCE_CAP],
        scan_ids=group.scan_ids,
        evidence_count=sum(u.n for u in uses) + len(group.scan_ids),
    )
