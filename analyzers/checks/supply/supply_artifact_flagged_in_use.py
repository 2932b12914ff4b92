"""supply_artifact_flagged_in_use: who downloaded, deployed or invoked a model a scanner flagged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analyzers.model import AnalyzerContext, AnalyzerMeta, Fired
from mlspm.enums import Severity

_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_NAMES = {rank: name for name, rank in _RANK.items()}
_EVIDENCE_CAP = 10_000

# Flagged files, one row per asset. A file's state is its latest actual scan by each scanner (a run with
# 'issue'/'scanned' rows for it); the issues since its last clean scan count. A file linking could not place
# (changed hash) is placed by location: the scanned path ends with an asset's bucket/key (or key with a
# folder); only an unambiguous best match names the asset.
_FLAGGED = """
WITH observed AS (
    SELECT scanner, target, run_id, max(scanned_at) AS scanned_at, bool_or(kind = 'issue') AS flagged
    FROM scan_results WHERE kind IN ('issue', 'scanned') AND target <> ''
    GROUP BY ALL
),
ordered AS (
    SELECT *, row_number() OVER (PARTITION BY scanner, target ORDER BY scanned_at NULLS FIRST, run_id) AS seq
    FROM observed
),
state AS (
    SELECT scanner, target, coalesce(max(seq) FILTER (WHERE NOT flagged), 0) AS last_clean
    FROM ordered GROUP BY ALL HAVING arg_max(flagged, seq)
),
flagged AS (
    SELECT * FROM (
        SELECT s.id, s.scanner, s.target, s.scanned_at, s.asset_id,
               coalesce(s.module_operator, s.rule_id, 'an unnamed operator') AS operator,
               severity_rank(coalesce(s.severity, 'medium')) AS rank
        FROM scan_results s
        JOIN ordered o USING (scanner, target, run_id)
        JOIN state st USING (scanner, target)
        WHERE s.kind = 'issue' AND o.seq > st.last_clean
    ) WHERE rank >= $min_rank
),
objects AS (
    SELECT DISTINCT asset_id, parts.bucket AS bucket, parts.key AS key,
           regexp_extract(parts.key, '[^/]+$') AS base
    FROM (
        SELECT asset_id, regexp_extract(locator, '^[a-z][a-z0-9+.-]*://([^/]+)/(.*[^/])$', ['bucket', 'key'])
                   AS parts
        FROM asset_locators WHERE kind = 'exact'
        UNION ALL
        SELECT asset_id,
               regexp_extract(lower(uri), '^[a-z][a-z0-9+.-]*://([^/]+)/(.*[^/])$', ['bucket', 'key'])
        FROM assets WHERE uri IS NOT NULL
    ) WHERE parts.key <> ''
),
unlinked AS (
    SELECT DISTINCT target, replace(lower(target), '\\', '/') AS path FROM flagged WHERE asset_id IS NULL
),
located AS (
    SELECT u.target, o.asset_id,
           CASE WHEN ends_with(u.path, '/' || o.bucket || '/' || o.key) THEN strlen(o.bucket || o.key) + 1
                ELSE strlen(o.key) END AS strength
    FROM unlinked u JOIN objects o ON regexp_extract(u.path, '[^/]+$') = o.base
    WHERE ends_with(u.path, '/' || o.bucket || '/' || o.key)
       OR (ends_with(u.path, '/' || o.key) AND contains(o.key, '/'))
    UNION ALL
    SELECT u.target, l.asset_id, 100000
    FROM unlinked u JOIN asset_locators l ON l.kind = 'exact' AND l.locator = u.path
),
by_location AS (
    SELECT target, min(asset_id) AS asset_id
    FROM (SELECT * FROM located QUALIFY rank() OVER (PARTITION BY target ORDER BY strength DESC) = 1)
    GROUP BY target HAVING count(DISTINCT asset_id) = 1
),
placed AS (
    SELECT f.*, coalesce(f.asset_id, b.asset_id) AS model
    FROM flagged f LEFT JOIN by_location b USING (target)
)
SELECT p.model, min(p.scanned_at) AS flagged_since, max(p.rank) AS rank,
       list(DISTINCT p.operator ORDER BY p.operator) AS operators,
       list(DISTINCT p.operator ORDER BY p.operator) FILTER (WHERE p.rank = (SELECT max(rank) FROM placed q
                                                                             WHERE q.model = p.model))
           AS top_operators,
       list(DISTINCT p.scanner ORDER BY p.scanner) AS scanners,
       list(p.id ORDER BY p.id) AS scan_ids,
       list(DISTINCT p.target ORDER BY p.target) AS targets,
       any_value(a.name) AS name, any_value(a.version) AS version
FROM placed p JOIN assets a ON a.asset_id = p.model
GROUP BY p.model
"""

# The flagged models' own locators (a locator another asset also holds — e.g. an endpoint ARN an ML-BOM
# gives each version — says nothing about this model), those of the non-bucket stores they are stored_in,
# and the endpoints they are deployed_as with every model deployed there. Bucket-wide prefixes are dropped.
_RELATED = """
WITH flagged AS (SELECT unnest($models::VARCHAR[]) AS model),
endpoints AS (
    SELECT DISTINCT l.dst_asset AS endpoint FROM lineage l
    WHERE l.relation = 'deployed_as' AND l.src_asset IN (SELECT model FROM flagged)
),
served AS (
    SELECT DISTINCT l.src_asset AS model, l.dst_asset AS endpoint FROM lineage l
    WHERE l.relation = 'deployed_as' AND l.dst_asset IN (SELECT endpoint FROM endpoints)
),
own AS (
    SELECT m.model, l.locator, l.kind FROM (
        SELECT model, model AS holder FROM flagged
        UNION SELECT model, model FROM served
        UNION SELECT l.src_asset, l.dst_asset FROM lineage l JOIN assets d ON d.asset_id = l.dst_asset
              WHERE l.relation = 'stored_in' AND d.kind <> 'bucket'
                AND l.src_asset IN (SELECT model FROM flagged)
    ) m
    JOIN asset_locators l ON l.asset_id = m.holder
    WHERE l.kind IN ('exact', 'prefix') AND NOT regexp_matches(l.locator, '^[a-z][a-z0-9+.-]*://[^/]*/?$')
      AND NOT EXISTS (SELECT 1 FROM asset_locators o
                      WHERE o.locator = l.locator AND o.asset_id <> l.asset_id AND o.kind = l.kind)
)
SELECT 'own' AS role, model AS owner, NULL AS endpoint, locator, kind FROM own
UNION ALL
SELECT 'endpoint', s.model, s.endpoint, l.locator, l.kind
FROM served s JOIN asset_locators l ON l.asset_id = s.endpoint AND l.kind IN ('exact', 'prefix')
UNION ALL
-- whole stores a flagged model is stored_in: the flagged file's object in them is derived from its path
SELECT 'store', l.src_asset, NULL, loc.locator, loc.kind
FROM lineage l JOIN asset_locators loc ON loc.asset_id = l.dst_asset
WHERE l.relation = 'stored_in' AND l.src_asset IN (SELECT model FROM flagged)
  AND loc.kind = 'prefix' AND regexp_matches(loc.locator, '^[a-z][a-z0-9+.-]*://[^/]+/$')
"""

_DEPLOYS = """
WITH rules AS (SELECT unnest($models::VARCHAR[]) AS model, unnest($locators::VARCHAR[]) AS locator)
SELECT DISTINCT r.model, e.ts
FROM access_events e JOIN rules r ON lower(e.resource) = r.locator
WHERE e.asset_id IN (SELECT unnest($assets::VARCHAR[]))
  AND e.outcome = 'success' AND list_contains($deploy_actions::VARCHAR[], e.action)
"""

# The assets linking put events on these locators on: the exact holder, else the longest prefix
# (a store-derived object is held by nobody; its events sit on the bucket).
_HOLDERS = """
WITH l AS (SELECT unnest($l::VARCHAR[]) AS x)
SELECT DISTINCT asset_id FROM asset_locators WHERE locator IN (SELECT x FROM l) AND kind <> 'sha256'
UNION
SELECT arg_max(a.asset_id, strlen(a.locator))
FROM l JOIN asset_locators a ON a.kind = 'prefix' AND starts_with(l.x, a.locator)
WHERE l.x NOT IN (SELECT locator FROM asset_locators WHERE kind = 'exact')
GROUP BY l.x
"""

_USE = """
WITH rules AS (
    SELECT unnest($r_model::VARCHAR[]) AS model, unnest($r_locator::VARCHAR[]) AS locator,
           unnest($r_mode::VARCHAR[]) AS mode, unnest($r_via::VARCHAR[]) AS via,
           unnest($r_start::TIMESTAMPTZ[]) AS start, unnest($r_stop::TIMESTAMPTZ[]) AS stop
),
since AS (SELECT unnest($f_model::VARCHAR[]) AS model, unnest($f_since::TIMESTAMPTZ[]) AS flagged_since),
candidates AS (
    -- linking already placed these events on an asset holding one of the locators: filter on that
    -- (a constant list, fetched first) before any string test
    SELECT id, ts, principal, action, action_class, resource, lower(resource) AS res, auth_type, source_ip
    FROM access_events
    WHERE asset_id IN (SELECT unnest($assets::VARCHAR[]))
      AND outcome = 'success' AND principal IS NOT NULL AND action_class IN ('read', 'write', 'invoke')
),
under_prefix AS (
    SELECT c.*, r.model, r.via
    FROM candidates c JOIN rules r ON r.mode = 'prefix' AND starts_with(c.res, r.locator)
    WHERE (r.start IS NULL OR c.ts >= r.start) AND (r.stop IS NULL OR c.ts < r.stop)
),
matched AS (
    -- each event once per model: prefix rules do not nest (see _rules) and an object that is also an
    -- exact locator of the model is taken from the exact branch
    SELECT c.*, r.model, r.via FROM candidates c JOIN rules r ON r.mode = 'exact' AND c.res = r.locator
    WHERE (r.start IS NULL OR c.ts >= r.start) AND (r.stop IS NULL OR c.ts < r.stop)
    UNION ALL
    SELECT p.* FROM under_prefix p
    ANTI JOIN (SELECT model, via, locator FROM rules WHERE mode = 'exact') x
           ON x.model = p.model AND x.via = p.via AND x.locator = p.res
),
used AS (
    SELECT *,
           CASE WHEN action_class = 'invoke' THEN 'invoked'
                WHEN action_class = 'write' AND list_contains($deploy_actions::VARCHAR[], action)
                     THEN 'deployed'
                WHEN action_class = 'read' AND via = '' AND res LIKE '%://%' AND NOT starts_with(res, 'arn:')
                     AND NOT ends_with(res, '/') THEN 'downloaded'
           END AS verb
    FROM matched
),
per_action AS (
    SELECT u.model, u.principal, u.verb, u.via, coalesce(u.ts >= s.flagged_since, true) AS after_flag,
           u.action, count(*) AS n, min(u.ts) AS first_ts, max(u.ts) AS last_ts, list(u.id)[1:$cap] AS ids,
           count(*) FILTER (WHERE u.auth_type = 'QueryString') AS presigned,
           list(DISTINCT u.source_ip) FILTER (WHERE u.source_ip IS NOT NULL) AS ips,
           arg_max(u.resource, u.ts) AS last_resource
    FROM used u JOIN since s USING (model)
    WHERE u.verb IS NOT NULL
    GROUP BY ALL
)
SELECT model, principal, short_name(principal) AS who, verb, via, after_flag, sum(n)::BIGINT AS n,
       min(first_ts) AS first_ts, max(last_ts) AS last_ts, flatten(list(ids))[1:$cap] AS ids,
       list(action ORDER BY first_ts) AS actions, sum(presigned)::BIGINT AS presigned,
       list_distinct(flatten(list(ips))) AS ips, arg_max(last_resource, last_ts) AS last_resource
FROM per_action
GROUP BY model, principal, verb, via, after_flag
"""

_VERB_ORDER = ("deployed", "downloaded", "invoked")


@dataclass
class _Flag:
    model: str
    display: str
    since: datetime | None
    rank: int
    operators: list[str]
    top_operators: list[str]
    scanners: list[str]
    scan_ids: list[int]
    targets: list[str]


@dataclass
class _Use:
    verb: str
    via: str
    after: bool
    n: int
    first: datetime
    last: datetime
    ids: list[int]
    actions: list[str]
    presigned: int
    ips: list[str]
    resource: str


@dataclass
class _Principal:
    principal: str
    who: str
    uses: list[_Use] = field(default_factory=list)
    unattributed: dict[str, int] = field(default_factory=dict)


class Check:
    """Scan results joined to access events through assets, locators and deployed_as lineage."""

    def __init__(self, meta: AnalyzerMeta) -> None:
        self.meta = meta

    def run(self, ctx: AnalyzerContext) -> Iterator[Fired]:
        p = ctx.params
        min_rank = _RANK.get(str(p["min_flag_severity"]).strip().lower(), 2)
        deploy_actions = list(p["deploy_actions"])
        flags = self._flags(ctx, min_rank)
        if not flags:
            return
        rules = self._rules(ctx, flags, deploy_actions)
        if not rules:
            return
        names = self._names(ctx, {r[3].lstrip("?") for r in rules if r[3]})
        assets = self._holders(ctx, {r[1] for r in rules})
        rows = ctx.cur.execute(
            _USE,
            {
                "r_model": [r[0] for r in rules],
                "r_locator": [r[1] for r in rules],
                "r_mode": [r[2] for r in rules],
                "r_via": [r[3] for r in rules],
                "r_start": [r[4] for r in rules],
                "r_stop": [r[5] for r in rules],
                "f_model": [f.model for f in flags.values()],
                "f_since": [f.since for f in flags.values()],
                "deploy_actions": deploy_actions,
                "cap": _EVIDENCE_CAP,
                "assets": assets,
            },
        ).fetchall()
        users: dict[tuple[str, str], _Principal] = {}
        for (
            model,
            principal,
            who,
            verb,
            via,
            after,
            n,
            first,
            last,
            ids,
            actions,
            presigned,
            ips,
            resource,
        ) in rows:
            entry = users.setdefault((model, principal), _Principal(principal, who or principal))
            if via.startswith("?"):  # an endpoint whose serving version the logs cannot tell
                if verb == "invoked":
                    endpoint = names.get(via[1:], via[1:])
                    entry.unattributed[endpoint] = entry.unattributed.get(endpoint, 0) + int(n)
                continue
            entry.uses.append(
                _Use(
                    verb,
                    names.get(via, via),
                    bool(after),
                    int(n),
                    first,
                    last,
                    list(ids),
                    list(dict.fromkeys(actions)),
                    int(presigned),
                    list(ips or []),
                    resource,
                )
            )
        for (model, _), user in sorted(users.items()):
            fired = self._finding(flags[model], user, bool(p["report_before_flag"]))
            if fired is not None:
                yield fired

    @staticmethod
    def _flags(ctx: AnalyzerContext, min_rank: int) -> dict[str, _Flag]:
        found: dict[str, _Flag] = {}
        for model, since, rank, operators, top, scanners, scan_ids, targets, name, version in ctx.cur.execute(
            _FLAGGED, {"min_rank": min_rank}
        ).fetchall():
            display = f"{name} {version}" if version else str(name)
            found[model] = _Flag(
                model,
                display,
                since,
                int(rank),
                list(operators),
                list(top or operators),
                list(scanners),
                list(scan_ids),
                list(targets),
            )
        return found

    def _rules(
        self, ctx: AnalyzerContext, flags: dict[str, _Flag], deploy_actions: list[str]
    ) -> list[tuple[str, str, str, str, datetime | None, datetime | None]]:
        """(model, locator, exact|prefix, via endpoint, start, stop) rules; via '?endpoint' when the logs
        cannot tell whether the model served that endpoint (its calls are then only mentioned)."""
        related = ctx.cur.execute(_RELATED, {"models": list(flags)}).fetchall()
        own: dict[str, list[tuple[str, str]]] = defaultdict(list)
        endpoint_locators: dict[str, set[tuple[str, str]]] = defaultdict(set)
        serving: dict[str, set[str]] = defaultdict(set)
        stores: dict[str, list[str]] = defaultdict(list)
        for role, owner, endpoint, locator, kind in related:
            if role == "own":
                own[owner].append((locator, kind))
            elif role == "store":
                stores[owner].append(locator)
            else:
                endpoint_locators[endpoint].add((locator, kind))
                serving[endpoint].add(owner)
        for model, prefixes in stores.items():
            if not any("://" in loc and not loc.startswith("arn:") for loc, _ in own.get(model, [])):
                # no object of its own in the inventory: the flagged file's path names it in the store
                own[model].extend((obj, "exact") for obj in _objects_in(flags[model].targets, prefixes))
        rules: list[tuple[str, str, str, str, datetime | None, datetime | None]] = []
        for model in flags:
            rules.extend((model, loc, kind, "", None, None) for loc, kind in _outermost(own.get(model, [])))
        deploys = self._deploys(ctx, serving, own, deploy_actions)
        for endpoint, models in serving.items():
            for model in sorted(models & flags.keys()):
                windows = _serving_windows(model, models, deploys)
                via = endpoint if windows is not None else "?" + endpoint
                for start, stop in windows or [(None, None)]:
                    rules.extend(
                        (model, loc, kind, via, start, stop)
                        for loc, kind in sorted(endpoint_locators[endpoint])
                    )
        return rules

    @staticmethod
    def _deploys(
        ctx: AnalyzerContext,
        serving: dict[str, set[str]],
        own: dict[str, list[tuple[str, str]]],
        deploy_actions: list[str],
    ) -> list[tuple[datetime, str]]:
        """Deploy events on each model that shares an endpoint with another: (time, model), sorted."""
        shared = {m for models in serving.values() if len(models) > 1 for m in models}
        pairs = [(m, loc) for m in sorted(shared) for loc, kind in own.get(m, []) if kind == "exact"]
        if not pairs:
            return []
        rows = ctx.cur.execute(
            _DEPLOYS,
            {
                "models": [m for m, _ in pairs],
                "locators": [loc for _, loc in pairs],
                "deploy_actions": deploy_actions,
                "assets": Check._holders(ctx, {loc for _, loc in pairs}),
            },
        ).fetchall()
        return sorted((ts, model) for model, ts in rows)

    @staticmethod
    def _holders(ctx: AnalyzerContext, locators: set[str]) -> list[str]:
        """The assets holding these locators: linking put every matching event on one of them."""
        rows = ctx.cur.execute(_HOLDERS, {"l": sorted(locators)}).fetchall()
        return [r[0] for r in rows]

    @staticmethod
    def _names(ctx: AnalyzerContext, asset_ids: set[str]) -> dict[str, str]:
        if not asset_ids:
            return {}
        rows = ctx.cur.execute(
            "SELECT asset_id, name FROM assets WHERE asset_id IN (SELECT unnest($ids::VARCHAR[]))",
            {"ids": sorted(asset_ids)},
        ).fetchall()
        return dict(rows)

    def _finding(self, flag: _Flag, user: _Principal, report_before: bool) -> Fired | None:
        after = [u for u in user.uses if u.after]
        before = [u for u in user.uses if not u.after]
        if not after and not (before and report_before):
            return None
        flag_text = _flag_text(flag)
        if after:
            sentence = f"{user.who} {_verbs(after, flag.display, f' ({flag_text})')}{_last(after)}"
            if before:
                sentence += f"; before the flag: {_verbs(before, 'it', '')}"
            dangerous = any(u.verb in ("deployed", "downloaded") for u in after)
            severity = Severity.CRITICAL if flag.rank >= 4 and dangerous else Severity.HIGH
        else:
            sentence = (
                f"{user.who} {_verbs(before, flag.display, '')}{_last(before)} — before it was {flag_text}"
            )
            severity = Severity.MEDIUM
        if user.unattributed:
            calls = ", ".join(f"{e} {_times(n)}" for e, n in sorted(user.unattributed.items()))
            sentence += (
                f" (it also invoked endpoint {calls}, not counted: the logs do not show which version "
                "served those calls)"
            )
        uses = after + before
        last = max(uses, key=lambda u: u.last)
        event_ids = sorted({i for u in uses for i in u.ids})
        return Fired(
            key=f"{user.principal}|{flag.model}",
            summary=sentence + ".",
            principal=user.principal,
            asset_id=flag.model,
            resource=last.resource,
            first_seen=min(u.first for u in uses),
            last_seen=last.last,
            severity=severity,
            details={
                "flagged_since": flag.since,
                "flag_severity": _NAMES[flag.rank],
                "operators": flag.operators,
                "scanners": flag.scanners,
                "flagged_files": flag.targets,
                "after_flag": _counts(after),
                "before_flag": _counts(before),
                "presigned_downloads": sum(u.presigned for u in uses if u.verb == "downloaded"),
                "source_ips": sorted({ip for u in uses for ip in u.ips}),
                "unattributed_invocations": user.unattributed,
            },
            event_ids=event_ids[:_EVIDENCE_CAP],
            scan_ids=flag.scan_ids,
            evidence_count=sum(u.n for u in uses) + len(flag.scan_ids),
        )


def _objects_in(targets: list[str], stores: list[str]) -> list[str]:
    """``scheme://bucket/key`` for each scanned path that goes through a ``/bucket/`` folder of a store."""
    found = []
    for store in stores:
        scheme, _, bucket = store.rstrip("/").partition("://")
        for target in targets:
            path = target.lower().replace("\\", "/")
            at = path.rfind(f"/{bucket}/")
            if at >= 0 and not path.endswith("/"):
                found.append(f"{scheme}://{bucket}/{path[at + len(bucket) + 2 :]}")
    return found


def _outermost(locators: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Exact locators, and the prefixes not inside another of the list (an event then matches one)."""
    prefixes = {loc for loc, kind in locators if kind == "prefix"}
    keep = dict.fromkeys(
        (loc, kind)
        for loc, kind in locators
        if kind != "prefix" or not any(p != loc and loc.startswith(p) for p in prefixes)
    )
    return list(keep)


def _serving_windows(
    model: str, models: set[str], deploys: list[tuple[datetime, str]]
) -> list[tuple[datetime | None, datetime | None]] | None:
    """When ``model`` served an endpoint that ``models`` are deployed as; None when the logs cannot tell.

    A version serves from each of its deploy events until another version is deployed. Before the first
    deploy event, the one version with no deploy event in the logs served (if there is exactly one).
    """
    if len(models) == 1:
        return [(None, None)]
    events = [(ts, m) for ts, m in deploys if m in models]
    if not events:
        return None
    windows: list[tuple[datetime | None, datetime | None]] = []
    never_deployed = models - {m for _, m in events}
    if len(never_deployed) == 1 and model in never_deployed:
        windows.append((None, events[0][0]))
    current: str | None = None
    start: datetime | None = None
    for ts, m in events:
        if m == current:
            continue
        if current == model:
            windows.append((start, ts))
        current, start = m, ts
    if current == model:
        windows.append((start, None))
    return windows


def _flag_text(flag: _Flag) -> str:
    ops = flag.top_operators[:3]
    more = len(flag.operators) - len(ops)
    operators = ", ".join(ops) + (f" (+{more} more)" if more > 0 else "")
    when = f" on {flag.since:%Y-%m-%d}" if flag.since else ""
    return f"flagged {_NAMES[flag.rank].upper()} {operators} by {', '.join(flag.scanners)}{when}"


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n:,} times"


def _verbs(uses: list[_Use], subject: str, flag: str) -> str:
    """'deployed X (flag) to endpoint E (3 calls: ...) and invoked it 48 times through endpoint E'."""
    parts: list[str] = []
    for verb in _VERB_ORDER:
        group = [u for u in uses if u.verb == verb]
        if not group:
            continue
        obj = subject + flag if not parts else "it"
        n = sum(u.n for u in group)
        vias = sorted({u.via for u in group if u.via})
        if verb == "deployed":
            actions = list(dict.fromkeys(a for u in sorted(group, key=lambda u: u.first) for a in u.actions))
            target = f" to endpoint {', '.join(vias)}" if vias else ""
            calls = f"{n} calls: {', '.join(actions)}" if n > 1 else actions[0]
            parts.append(f"deployed {obj}{target} ({calls})")
        elif verb == "downloaded":
            presigned = sum(u.presigned for u in group)
            via = f", {presigned} through presigned URLs" if presigned else ""
            parts.append(f"downloaded {obj} {_times(n)}{via}")
        else:
            through = f" through endpoint {', '.join(vias)}" if vias else ""
            parts.append(f"invoked {obj} {_times(n)}{through}")
    return " and ".join(parts) if len(parts) < 3 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _last(uses: list[_Use]) -> str:
    """', on <time>' for a single use, ', last on <time>' for several."""
    when = _when(max(u.last for u in uses))
    return f", on {when}" if sum(u.n for u in uses) == 1 else f", last on {when}"


def _when(ts: datetime) -> str:
    return f"{ts:%Y-%m-%d %H:%M} UTC"


def _counts(uses: list[_Use]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for u in uses:
        out[u.verb] = out.get(u.verb, 0) + u.n
    return out
