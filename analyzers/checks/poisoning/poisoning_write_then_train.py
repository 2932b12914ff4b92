"""poisoning_write_then_train: an unusual write into training data shortly before a training job read it,
traced to the model versions that job produced and the endpoints they were deployed to."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from analyzers.model import AnalyzerContext, AnalyzerMeta, Fired
from mlspm.enums import Severity
from mlspm.store import Cursor

# What an "unusual write" is belongs to poisoning_dataset_unusual_writer: its query is run here with this
# analyzer's own parameters, so the two never disagree about which writes are suspect.
_WRITES_SQL = Path(__file__).with_name("poisoning_dataset_unusual_writer.sql")
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")

# SageMaker's hosting chain (platform API names): a model points at an artifact, an endpoint config at
# models, an endpoint at a config.
_REGISTER_ACTIONS = ("CreateModel", "CreateModelPackage")
_CONFIG_ACTIONS = ("CreateEndpointConfig",)
_DEPLOY_ACTIONS = ("CreateEndpoint", "UpdateEndpoint")
_MODEL_KINDS = ("model", "model_version")
# The artifact is uploaded as a run ends: writes up to an hour past the run's time limit still count,
# and one stamped in the same second as the run's start belongs to it.
_ARTIFACT_SLACK = timedelta(hours=1)
_TICK = timedelta(seconds=1)

_ASSUMED = re.compile(r"^arn:[^:]+:sts::(\d*):assumed-role/([^/]+)/(.+)$")
_ROLE = re.compile(r"^arn:[^:]+:iam::(\d*):role/(?:.*/)?([^/]+)$")


def role_key(principal: str | None) -> str | None:
    """``account:role-name`` for a role ARN (with or without path) or a role session, else None."""
    if not principal:
        return None
    m = _ASSUMED.match(principal) or _ROLE.match(principal)
    return f"{m.group(1)}:{m.group(2)}" if m else None


def session_name(principal: str | None) -> str | None:
    """The session part of a role-session ARN (``SageMaker`` for jobs SageMaker runs), else None."""
    m = _ASSUMED.match(principal or "")
    return m.group(3) if m else None


def _lower_keys(value: Any) -> Any:
    """The JSON value with every object key lower-cased: CloudTrail camelCases request parameters
    (``inputDataConfig[].dataSource.s3DataSource.s3Uri``), API/describe output uses PascalCase."""
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def values_at(doc: Any, path: str) -> list[Any]:
    """Every value at a dotted path of lower-cased keys; ``[]`` after a key walks a list."""
    found = [doc]
    for part in path.split("."):
        many = part.endswith("[]")
        name = part.removesuffix("[]")
        step: list[Any] = []
        for node in found:
            value = node.get(name) if isinstance(node, dict) else None
            if value is None:
                continue
            if many and isinstance(value, list):
                step.extend(value)
            else:
                step.append(value)
        found = step
    return found


def strings_at(doc: Any, paths: Sequence[str]) -> list[str]:
    out: list[str] = []
    for path in paths:
        out.extend(v for v in values_at(doc, path) if isinstance(v, str) and v)
    return out


def request_params(raw: str | None) -> dict[str, Any]:
    """The request parameters of a raw record (CloudTrail ``requestParameters``, or a flat record)."""
    if not raw:
        return {}
    try:
        doc = _lower_keys(json.loads(raw))
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    params = doc.get("requestparameters")
    merged = dict(doc)
    if isinstance(params, dict):
        merged.update(params)
    response = doc.get("responseelements")
    if isinstance(response, dict):
        merged.setdefault("_response", response)
    return merged


_INPUT_PATHS = (
    "inputdataconfig[].datasource.s3datasource.s3uri",
    "trainingjobdefinition.inputdataconfig[].datasource.s3datasource.s3uri",
    "automljobinputdataconfig[].datasource.s3datasource.s3uri",
    "trainingdataconfig.s3uri",
    "validationdataconfig.validators[].s3uri",
)
_OUTPUT_PATHS = (
    "outputdataconfig.s3outputpath",
    "trainingjobdefinition.outputdataconfig.s3outputpath",
    "outputdataconfig.s3uri",
)
_NAME_PATHS = ("trainingjobname", "hyperparametertuningjobname", "automljobname", "jobname")
_MODEL_URL_PATHS = (
    "primarycontainer.modeldataurl",
    "containers[].modeldataurl",
    "inferencespecification.containers[].modeldataurl",
)


def _prefix(uri: str) -> str:
    return uri.lower().rstrip("/") + "/"


def _under(obj: str, uri: str) -> bool:
    """Does the S3 URI (a prefix or an object) cover the object?"""
    low = uri.lower()
    return obj == low or obj.startswith(_prefix(uri))


@dataclass
class Written:
    """One object an unusual writer wrote (or deleted), with its write times."""

    resource: str
    times: list[datetime] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


@dataclass
class WriteWindow:
    key: str
    principal: str
    asset_id: str
    dataset: str
    details: dict[str, Any]
    objects: dict[str, Written] = field(default_factory=dict)


@dataclass
class Job:
    event_id: int
    ts: datetime
    name: str
    resource: str | None
    asset_id: str | None
    role: str | None
    role_arn: str | None
    inputs: list[str]
    outputs: list[str]
    runtime: timedelta

    @property
    def ident(self) -> str:
        return (self.resource or self.name).lower()


@dataclass
class Run:
    """A training run that consumed data: a training-job event, or reads by a training role alone."""

    ts: datetime
    role: str | None
    job: Job | None = None
    reader: str | None = None
    reads: list[tuple[int, datetime, str]] = field(default_factory=list)  # (event id, ts, object)

    @property
    def ident(self) -> str:
        if self.job:
            return self.job.ident
        return f"reads:{self.role or self.reader}:{self.ts:%Y-%m-%dT%H}"

    def covers(self, obj: str) -> bool:
        if self.job is not None and any(_under(obj, uri) for uri in self.job.inputs):
            return True
        return any(o == obj for _, _, o in self.reads)


@dataclass
class Model:
    label: str
    asset_id: str | None
    created: datetime | None
    sm_names: set[str] = field(default_factory=set)
    event_ids: list[int] = field(default_factory=list)


@dataclass
class Deployment:
    endpoint: str
    asset_id: str | None
    ts: datetime | None
    via: str  # events | lineage
    prod: bool
    event_ids: list[int] = field(default_factory=list)


class Check:
    """Write-then-train: see the metadata beside this file."""

    def __init__(self, meta: AnalyzerMeta) -> None:
        self.meta = meta
        self.writes_sql = _WRITES_SQL.read_text(encoding="utf-8")
        self.writes_params = sorted(set(_PARAM.findall(self.writes_sql)) - {"data_until"})
        missing = [p for p in self.writes_params if p not in meta.parameters]
        if missing:
            raise ValueError(f"{meta.id} needs the parameters of {_WRITES_SQL.name}: {', '.join(missing)}")

    def run(self, ctx: AnalyzerContext) -> Iterable[Fired]:
        windows = self._unusual_writes(ctx)
        if not windows:
            return []
        cur = ctx.cur
        p = ctx.params
        window = timedelta(hours=int(p["window_hours"]))
        default_runtime = timedelta(hours=int(p["default_max_runtime_hours"]))
        jobs = training_jobs(cur, list(p["training_actions"]), default_runtime)
        training_roles = {j.role for j in jobs if j.role}
        sessions = {s.lower() for s in p["training_session_names"]}
        reads: dict[str, list[tuple[int, datetime, str, str, str | None]]] = defaultdict(list)
        for r in _training_reads(cur, windows, training_roles, sessions):
            reads[r[2]].append(r)
        assets = _assets(cur)
        starts = [j.ts for j in jobs]  # jobs come oldest first
        matches = [
            (w, run, hit)
            for w in windows.values()
            for run in _runs(w, jobs, starts, reads, window, default_runtime)
            if (hit := _covered(w, run, window))
        ]
        if not matches:
            return []
        trail = Trail(cur, jobs, assets)
        trail.load_artifacts([run for _, run, _ in matches], default_runtime)
        return [self._finding(trail, w, run, hit, default_runtime) for w, run, hit in matches]

    # -- the suspect writes ------------------------------------------------------------------------

    def _unusual_writes(self, ctx: AnalyzerContext) -> dict[str, WriteWindow]:
        params = {name: ctx.params[name] for name in self.writes_params}
        # the same query and parameters as poisoning_dataset_unusual_writer's: computed once per run
        names, rows = ctx.shared.fetch(ctx.cur, self.writes_sql, params)
        windows: dict[str, WriteWindow] = {}
        ids: dict[int, str] = {}
        for row in rows:
            r = dict(zip(names, row, strict=True))
            if str(r.get("severity")) == "low":  # a regular writer older than the logs: not suspect
                continue
            details = json.loads(r["details"]) if isinstance(r["details"], str) else dict(r["details"] or {})
            w = WriteWindow(r["key"], r["principal"], r["asset_id"], r["dataset"], details)
            windows[w.key] = w
            for i in r["event_ids"] or []:
                ids[int(i)] = w.key
        if ids:
            rows = ctx.cur.execute(
                "SELECT id, ts, resource FROM access_events WHERE id IN (SELECT unnest(?::BIGINT[]))",
                [list(ids)],
            ).fetchall()
            for eid, ts, resource in rows:
                w = windows[ids[eid]]
                obj = w.objects.setdefault(str(resource).lower(), Written(str(resource)))
                obj.times.append(ts)
                obj.ids.append(eid)
        return windows

    # -- one finding -------------------------------------------------------------------------------

    def _finding(
        self, trail: Trail, w: WriteWindow, run: Run, hit: dict[str, datetime], default_runtime: timedelta
    ) -> Fired:
        assets = trail.assets
        models, deployments = trail.follow(run, w.asset_id, default_runtime)
        trained = sorted(a for a, info in assets.items() if w.asset_id in info["trained_on"])
        lineage_models = [a for a in trained if assets[a]["kind"] in _MODEL_KINDS]
        lineage_jobs = [a for a in trained if assets[a]["kind"] not in _MODEL_KINDS]
        first_write = min(hit.values())
        last_write = max(hit.values())
        hours = (run.ts - last_write).total_seconds() / 3600
        confirm = [(i, ts, o) for i, ts, o in run.reads if o in hit]
        confirmed = {o for _, _, o in confirm}
        evidence = sorted(
            {i for o in hit for i in w.objects[o].ids}
            | ({run.job.event_id} if run.job else set())
            | {i for i, _, _ in confirm}
            | {i for m in models for i in m.event_ids}
            | {i for d in deployments for i in d.event_ids}
        )
        times = [
            first_write,
            run.ts,
            *(m.created for m in models if m.created),
            *(d.ts for d in deployments if d.ts),
        ]
        dataset_env = assets.get(w.asset_id, {}).get("environment")
        reached_prod = any(d.prod for d in deployments) or any(
            assets.get(m.asset_id or "", {}).get("environment") == "prod" for m in models
        )
        severity = Severity.CRITICAL if deployments or reached_prod else Severity.HIGH
        who = short_name(w.principal)
        n = len(hit)
        what = f"{n} object{'s' if n != 1 else ''}"
        reader = (
            f"training job {run.job.name}"
            if run.job is not None
            else f"training role {short_name(run.reader)}"
        )
        sentence = (
            f"{who} wrote {what} into {w.dataset} on {first_write:%Y-%m-%d %H:%M} UTC, "
            f"{_gap(hours)} before {reader} read it"
        )
        if run.job is not None and confirmed:
            sentence += f" ({_read_back(len(confirmed), n)})"
        if models:
            sentence += f"; it produced {join_words([m.label for m in models])}"
            if deployments:
                sentence += ", deployed to " + join_words([_deployed(d) for d in deployments])
            else:
                sentence += ", not deployed as far as the logs show"
        else:
            sentence += "; no model version produced by it is known yet"
            if lineage_models:
                sentence += (
                    f" ({len(lineage_models)} model version{'s are' if len(lineage_models) > 1 else ' is'}"
                    f" trained on {w.dataset} per the inventory)"
                )
        details = {
            "writer": w.principal,
            "dataset": w.dataset,
            "dataset_environment": dataset_env,
            "objects_read_by_training": sorted(w.objects[o].resource for o in hit),
            "objects_confirmed_read": sorted(w.objects[o].resource for o in confirmed),
            "first_write": first_write.isoformat(),
            "last_write": last_write.isoformat(),
            "hours_write_to_training": round(hours, 1),
            "training_job": run.job.name if run.job else None,
            "training_job_arn": run.job.resource if run.job else None,
            "training_started": run.ts.isoformat(),
            "training_role": (run.job.role_arn or run.job.role) if run.job else (run.reader or run.role),
            "training_inputs": run.job.inputs if run.job else [],
            "training_outputs": run.job.outputs if run.job else [],
            "models": [
                {
                    "model": m.label,
                    "asset_id": m.asset_id,
                    "created": m.created.isoformat() if m.created else None,
                    "sagemaker_models": sorted(m.sm_names),
                }
                for m in models
            ],
            "endpoints": [
                {
                    "endpoint": d.endpoint,
                    "asset_id": d.asset_id,
                    "deployed": d.ts.isoformat() if d.ts else None,
                    "via": d.via,
                    "prod": d.prod,
                }
                for d in deployments
            ],
            "models_trained_on_dataset_per_lineage": lineage_models,
            "jobs_trained_on_dataset_per_lineage": lineage_jobs,
            "write_finding": w.details,
        }
        return Fired(
            key=f"{w.key}|{run.ident}",
            summary=sentence,
            principal=w.principal,
            asset_id=w.asset_id,
            resource=run.job.resource if run.job else None,
            first_seen=min(times),
            last_seen=max(times),
            severity=severity,
            details=details,
            event_ids=evidence,
        )


# -- training runs -------------------------------------------------------------------------------------


def training_jobs(cur: Cursor, actions: list[str], default_runtime: timedelta) -> list[Job]:
    """Every successful training-job start, oldest first, with what its raw record says it read and wrote."""
    rows = cur.execute(
        "SELECT id, ts, resource, asset_id, principal, raw FROM access_events "
        "WHERE action IN (SELECT unnest(?::VARCHAR[])) AND outcome <> 'failure' ORDER BY ts, id",
        [actions],
    ).fetchall()
    jobs = []
    for eid, ts, resource, asset_id, principal, raw in rows:
        req = request_params(raw)
        inputs = strings_at(req, _INPUT_PATHS)
        names = strings_at(req, _NAME_PATHS)
        roles = strings_at(req, ("rolearn",))
        runtime = values_at(req, "stoppingcondition.maxruntimeinseconds")
        seconds = runtime[0] if runtime and isinstance(runtime[0], int | float) else None
        name = names[0] if names else (str(resource).rsplit("/", 1)[-1] if resource else str(eid))
        jobs.append(
            Job(
                event_id=int(eid),
                ts=ts,
                name=name,
                resource=resource,
                asset_id=asset_id,
                role=role_key(roles[0]) if roles else role_key(principal),
                role_arn=roles[0] if roles else None,
                inputs=[u.lower() for u in inputs],
                outputs=[u.lower() for u in strings_at(req, _OUTPUT_PATHS)],
                runtime=timedelta(seconds=seconds) if seconds else default_runtime,
            )
        )
    return jobs


def _training_reads(
    cur: Cursor, windows: dict[str, WriteWindow], roles: set[str], sessions: set[str]
) -> list[tuple[int, datetime, str, str, str | None]]:
    """Reads of the suspect objects by training roles: (id, ts, object, principal, role key)."""
    datasets = sorted({w.asset_id for w in windows.values()})
    objects = sorted({o for w in windows.values() for o in w.objects})
    rows = cur.execute(
        "SELECT id, ts, lower(resource), principal FROM access_events "
        "WHERE action_class = 'read' AND outcome <> 'failure' AND asset_id IN (SELECT unnest(?::VARCHAR[])) "
        "AND lower(resource) IN (SELECT unnest(?::VARCHAR[])) ORDER BY ts",
        [datasets, objects],
    ).fetchall()
    out = []
    for eid, ts, obj, principal in rows:
        key = role_key(principal)
        if (key and key in roles) or (session_name(principal) or "").lower() in sessions:
            out.append((int(eid), ts, obj, principal, key))
    return out


def _runs(
    w: WriteWindow,
    jobs: list[Job],
    starts: list[datetime],
    reads: dict[str, list[tuple[int, datetime, str, str, str | None]]],
    window: timedelta,
    default_runtime: timedelta,
) -> Iterator[Run]:
    """Training runs that may have consumed this window's objects: jobs (started within ``window`` after
    a write) whose input covers one of them, with their role's reads attached; reads no job explains
    form runs of their own."""
    first = min(t for o in w.objects.values() for t in o.times)
    last = max(t for o in w.objects.values() for t in o.times)
    mine = sorted((r for o in w.objects for r in reads.get(o, ()) if r[1] > first), key=lambda r: r[1])
    used: set[int] = set()
    for job in jobs[bisect_right(starts, first) : bisect_right(starts, last + window)]:
        run = Run(ts=job.ts, role=job.role, job=job)
        for r in mine:
            if r[4] == job.role and job.ts <= r[1] <= job.ts + job.runtime:
                run.reads.append((r[0], r[1], r[2]))
        # A job whose record names no input still counts when its role read the objects while it ran.
        if any(_under(o, uri) for o in w.objects for uri in job.inputs) or (not job.inputs and run.reads):
            used.update(r[0] for r in run.reads)
            yield run
    current: dict[str, Run] = {}
    loose: list[Run] = []
    for r in mine:
        if r[0] in used:
            continue
        who = r[4] or r[3]
        # Reads by one role within a training run's length belong to one run.
        found = current.get(who)
        if found is None or r[1] - found.ts > default_runtime:
            found = current[who] = Run(ts=r[1], role=r[4], reader=r[3])
            loose.append(found)
        found.reads.append((r[0], r[1], r[2]))
    yield from loose


def _covered(w: WriteWindow, run: Run, window: timedelta) -> dict[str, datetime]:
    """Objects of the window the run consumed, each with its latest write before the run started,
    when that write was at most ``window`` earlier."""
    hit: dict[str, datetime] = {}
    for obj, written in w.objects.items():
        before = [t for t in written.times if t < run.ts]
        if before and run.ts - max(before) <= window and run.covers(obj):
            hit[obj] = max(before)
    return hit


# -- what the run produced, and where it went ---------------------------------------------------------


def _assets(cur: Cursor) -> dict[str, dict[str, Any]]:
    """Inventory assets with what lineage says about them (trained_on, deployed_as)."""
    out: dict[str, dict[str, Any]] = {}
    for asset_id, kind, name, version, env in cur.execute(
        "SELECT asset_id, kind, name, version, environment FROM assets"
    ).fetchall():
        out[asset_id] = {
            "kind": kind,
            "name": name,
            "version": version,
            "environment": env,
            "trained_on": set(),
            "deployed_as": set(),
        }
    for src, relation, dst in cur.execute(
        "SELECT src_asset, relation, dst_asset FROM lineage WHERE relation IN ('trained_on', 'deployed_as')"
    ).fetchall():
        if src in out:
            out[src][relation].add(dst)
    return out


def _label(asset_id: str | None, assets: dict[str, dict[str, Any]], fallback: str) -> str:
    info = assets.get(asset_id or "")
    if info is None:
        return fallback
    return f"{info['name']} {info['version']}" if info.get("version") else str(info["name"])


class Trail:
    """Where training runs' outputs went: the hosting events are read and parsed once per analysis (few
    rows), artifact writes once for all runs that fired, so each finding costs no query of its own."""

    def __init__(self, cur: Cursor, jobs: list[Job], assets: dict[str, dict[str, Any]]) -> None:
        self.cur = cur
        self.jobs = jobs
        self.assets = assets
        self.by_output: dict[str, list[Job]] = defaultdict(list)
        for job in jobs:
            for out in job.outputs:
                self.by_output[out].append(job)
        self.registrations: list[tuple[int, datetime, str | None, list[str], list[str]]] = []
        self.configs: list[tuple[int, datetime, str, set[str]]] = []
        self.deploys: list[tuple[int, datetime, str | None, str | None, str, dict[str, Any]]] = []
        actions = [*_REGISTER_ACTIONS, *_CONFIG_ACTIONS, *_DEPLOY_ACTIONS]
        for eid, ts, action, resource, asset_id, raw in cur.execute(
            "SELECT id, ts, action, resource, asset_id, raw FROM access_events "
            "WHERE action IN (SELECT unnest(?::VARCHAR[])) AND outcome <> 'failure' ORDER BY ts, id",
            [actions],
        ).fetchall():
            req = request_params(raw)
            if action in _REGISTER_ACTIONS:
                urls = [u.lower() for u in strings_at(req, _MODEL_URL_PATHS)]
                if urls:
                    self.registrations.append((int(eid), ts, asset_id, urls, strings_at(req, ("modelname",))))
            elif action in _CONFIG_ACTIONS:
                variants = {n.lower() for n in strings_at(req, ("productionvariants[].modelname",))}
                for config in strings_at(req, ("endpointconfigname",)):
                    self.configs.append((int(eid), ts, config.lower(), variants))
            else:
                config = next((c.lower() for c in strings_at(req, ("endpointconfigname",))), "")
                self.deploys.append((int(eid), ts, resource, asset_id, config, req))
        self.artifacts: dict[str, list[tuple[int, datetime, str, str | None, str]]] = {}
        self.first_seen: dict[str, tuple[datetime, int]] | None = None
        self.cache: dict[str, tuple[list[Model], list[Deployment]]] = {}

    def load_artifacts(self, runs: list[Run], default_runtime: timedelta) -> None:
        """Writes by the runs' roles while they ran, in one query, indexed by role (or reader)."""
        if not runs:
            return
        start = min(r.ts for r in runs)
        end = max(r.ts + (r.job.runtime if r.job else default_runtime) for r in runs) + _ARTIFACT_SLACK
        names = sorted({(r.role or "").split(":", 1)[-1] for r in runs if r.role})
        readers = sorted({r.reader for r in runs if r.reader})
        rows = self.cur.execute(
            "SELECT id, ts, lower(resource), asset_id, principal FROM access_events "
            "WHERE action_class = 'write' AND outcome <> 'failure' AND resource IS NOT NULL "
            "AND ts >= ? AND ts <= ? AND (principal IN (SELECT unnest(?::VARCHAR[])) "
            "OR regexp_extract(principal, ':assumed-role/([^/]+)/', 1) IN (SELECT unnest(?::VARCHAR[]))) "
            "ORDER BY ts",
            [start, end, readers, names],
        ).fetchall()
        for eid, ts, obj, asset_id, principal in rows:
            for who in {role_key(principal), principal}:
                if who:
                    self.artifacts.setdefault(who, []).append((int(eid), ts, obj, asset_id, principal))

    def follow(
        self, run: Run, dataset: str, default_runtime: timedelta
    ) -> tuple[list[Model], list[Deployment]]:
        key = f"{run.ident}|{dataset}"
        if key not in self.cache:
            models = self._produced(run, dataset, default_runtime)
            self.cache[key] = (models, self._deployments(models))
        return self.cache[key]

    def _produced(self, run: Run, dataset: str, default_runtime: timedelta) -> list[Model]:
        """Model versions the run produced: artifacts its role wrote under the job's output path while it
        ran, models registered from those artifacts (or from the job's own output folder), and — without
        a job event — model assets the training role wrote while it ran. When none of that is in the
        logs, the inventory's models trained on the dataset that first appear while the run ran."""
        assets = self.assets
        job = run.job
        end = run.ts + (job.runtime if job else default_runtime) + _ARTIFACT_SLACK
        models: dict[str, Model] = {}

        def add(asset_id: str | None, label: str, ts: datetime | None, eid: int | None) -> Model:
            key = asset_id or label
            model = models.get(key)
            if model is None:
                model = models[key] = Model(_label(asset_id, assets, label), asset_id, ts)
            if ts and (model.created is None or ts < model.created):
                model.created = ts
            if eid is not None:
                model.event_ids.append(eid)
            return model

        artifacts: set[str] = set()
        outputs = job.outputs if job else []
        who = run.role or run.reader or ""
        writes = self.artifacts.get(who, [])
        times = [w[1] for w in writes]
        for eid, ts, obj, asset_id, _ in writes[
            bisect_right(times, run.ts - _TICK) : bisect_right(times, end)
        ]:
            if job is not None and not any(_under(obj, uri) for uri in outputs):
                continue
            kind = assets.get(asset_id or "", {}).get("kind")
            if job is None and kind not in _MODEL_KINDS:
                continue
            artifacts.add(obj)
            if asset_id and kind in _MODEL_KINDS:
                add(asset_id, asset_id, ts, eid)
            elif job is not None:
                add(None, obj.rsplit("/", 2)[-2] if obj.count("/") > 3 else obj, ts, eid)
        if job is not None:
            for eid, ts, asset_id, urls, sm_names in self.registrations:
                if ts < run.ts or not any(self._from_job(u, job, artifacts, ts) for u in urls):
                    continue
                model = add(asset_id, sm_names[0] if sm_names else urls[0], ts, eid)
                model.sm_names.update(sm_names)
        if not models:
            for asset_id, (first_ts, first_id) in self._first_seen().items():
                if dataset in assets[asset_id]["trained_on"] and run.ts <= first_ts <= end:
                    add(asset_id, asset_id, first_ts, first_id)
        return sorted(models.values(), key=lambda m: (m.created or run.ts, m.label))

    def _first_seen(self) -> dict[str, tuple[datetime, int]]:
        """When each model the inventory says was trained on a dataset first shows up in the logs."""
        if self.first_seen is None:
            trained = [
                a for a, info in self.assets.items() if info["trained_on"] and info["kind"] in _MODEL_KINDS
            ]
            self.first_seen = {
                asset_id: (ts, int(eid))
                for asset_id, ts, eid in self.cur.execute(
                    "SELECT asset_id, min(ts), arg_min(id, ts) FROM access_events "
                    "WHERE asset_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY asset_id",
                    [trained],
                ).fetchall()
            }
        return self.first_seen

    def _from_job(self, url: str, job: Job, artifacts: set[str], ts: datetime) -> bool:
        """Does a model artifact URL come from this job? Its own written artifact, its own folder under the
        output path, or the output path when this is the latest job writing there before the model."""
        if url in artifacts or any(_under(a, url) for a in artifacts):
            return True
        for out in job.outputs:
            if url.startswith(_prefix(out) + job.name.lower() + "/"):
                return True
            if _under(url, out):
                latest = max((j for j in self.by_output[out] if j.ts <= ts), key=lambda j: j.ts, default=None)
                if latest is job:
                    return True
        return False

    def _deployments(self, models: list[Model]) -> list[Deployment]:
        """Endpoints serving the models: SageMaker model -> endpoint config -> CreateEndpoint/UpdateEndpoint
        events, plus the inventory's deployed_as lineage."""
        assets = self.assets
        found: dict[str, Deployment] = {}
        names = {n.lower() for m in models for n in m.sm_names}
        created = [m.created for m in models if m.created]
        first = min(created) if created else None
        configs = {
            config: eid
            for eid, ts, config, variants in self.configs
            if variants & names and (first is None or ts >= first)
        }
        for eid, ts, resource, asset_id, config, req in self.deploys:
            if config not in configs:
                continue
            endpoint = _endpoint_name(asset_id, resource, req, assets)
            if endpoint not in found:
                info = assets.get(asset_id or "", {})
                found[endpoint] = Deployment(
                    endpoint,
                    asset_id,
                    ts,
                    "events",
                    info.get("environment") == "prod",
                    [configs[config], eid],
                )
        for m in models:
            for dst in sorted(assets.get(m.asset_id or "", {}).get("deployed_as", ())):
                endpoint = _label(dst, assets, dst)
                if endpoint not in found:
                    found[endpoint] = Deployment(
                        endpoint, dst, None, "lineage", assets.get(dst, {}).get("environment") == "prod"
                    )
        return list(found.values())


def _endpoint_name(
    asset_id: str | None, resource: str | None, req: dict[str, Any], assets: dict[str, dict[str, Any]]
) -> str:
    if asset_id and asset_id in assets and assets[asset_id]["kind"] == "endpoint":
        return str(assets[asset_id]["name"])
    names = strings_at(req, ("endpointname",))
    if names:
        return names[0]
    return (resource or "endpoint").rsplit("/", 1)[-1]


# -- wording -------------------------------------------------------------------------------------------


def short_name(principal: str | None) -> str:
    """Like the short_name SQL macro: role/session for assumed roles, the name for IAM users."""
    if not principal:
        return "unknown principal"
    m = re.search(r"assumed-role/(.+)$", principal)
    if m:
        return m.group(1)
    m = re.search(r":[a-z-]+/(.+)$", principal)
    return m.group(1) if m else principal


def _gap(hours: float) -> str:
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.0f} h"


def _read_back(k: int, n: int) -> str:
    if n == 1:
        return "its role read the written object"
    if k == n:
        return f"its role read all {n} written objects"
    return f"its role read {k} of the {n} written objects"


def _deployed(d: Deployment) -> str:
    if d.ts is not None:
        return f"{d.endpoint} on {d.ts:%Y-%m-%d %H:%M}"
    return f"{d.endpoint} (per inventory lineage)"


def join_words(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
