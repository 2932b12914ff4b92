"""Model files (benign pickles, a safetensors file, a hostile pickle), the inventories, a modelscan report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pickle
import random
import struct
import uuid
from pathlib import Path
from typing import Any

from sample_data.estate import (
    ACCOUNT,
    APP,
    BATCH,
    BEDROCK_MODELS,
    CAL,
    CI,
    DANA,
    DATA_PIPE,
    DATASETS,
    DATASETS_BUCKET,
    DEMO_BUCKET,
    DEPLOYER,
    DOMAIN,
    ENDPOINTS,
    LUCAS,
    MEI,
    MODELS,
    MODELS_BUCKET,
    PARTNER,
    PLATFORM_TEAM,
    RAJ,
    REGION,
    REGISTRY,
    SCAN_ROOT,
    SERVING,
    SUPPORT_TEAM,
    T_SCAN,
    TRAIN_EXEC,
    ModelVersion,
    bedrock_arn,
    endpoint_config_arn,
    training_job_arn,
)

# What the hostile pickle would run if anyone ever loaded it: deliberately harmless, but a real shell command,
# so every scanner sees exactly what a malicious model looks like.
HOSTILE_COMMAND = "echo 'mlspm sample: this model file runs a shell command when unpickled' >&2"
CSV_COLUMNS = (
    "asset_id",
    "kind",
    "name",
    "version",
    "uri",
    "owner",
    "environment",
    "classification",
    "format",
    "sha256",
    "public",
    "encrypted",
    "locators",
    "allowed_writers",
    "allowed_readers",
    "trained_on",
    "deployed_as",
    "stored_in",
    "tags",
)


# --------------------------------------------------------------------------------------------- model files
def benign_pickle(m: ModelVersion, rng: random.Random) -> bytes:
    """Plain data only (dicts, lists, floats, strings): nothing a scanner could object to."""
    n = 24 if m.name != "demand-forecast" else 12
    data = {
        "model": m.name,
        "version": m.version,
        "framework": m.framework,
        "feature_names": [f"f{i:02d}" for i in range(n)],
        "coef": [round(rng.gauss(0.0, 0.8), 6) for _ in range(n)],
        "intercept": round(rng.gauss(0.0, 0.3), 6),
        "trees": [[round(rng.uniform(-1, 1), 5) for _ in range(16)] for _ in range(40)],
        "classes": [0, 1],
        "metrics": {"auc": round(rng.uniform(0.86, 0.94), 4)},
    }
    return pickle.dumps(data, protocol=4)


def _unicode(s: str) -> bytes:
    raw = s.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE


def hostile_pickle(m: ModelVersion, rng: random.Random) -> bytes:
    """A model-looking dict whose '_postload' value is posix.system(cmd), assembled opcode by opcode.

    GLOBAL 'posix system' + REDUCE is the shape real malicious pickles use; nothing here is ever unpickled.
    """
    out = bytearray(b"\x80\x04")  # PROTO 4
    out += b"}("  # EMPTY_DICT, MARK
    out += _unicode("model") + _unicode(m.name)
    out += _unicode("version") + _unicode(m.version)
    out += _unicode("coef") + b"]("  # EMPTY_LIST, MARK
    for _ in range(24):
        out += b"G" + struct.pack(">d", round(rng.gauss(0.0, 0.8), 6))  # BINFLOAT
    out += b"e"  # APPENDS
    out += _unicode("_postload")
    out += b"cposix\nsystem\n"  # GLOBAL
    out += _unicode(HOSTILE_COMMAND) + b"\x85"  # TUPLE1
    out += b"R"  # REDUCE
    out += b"u."  # SETITEMS, STOP
    return bytes(out)


def safetensors_file(m: ModelVersion, rng: random.Random) -> bytes:
    """The safetensors layout: u64 header length, JSON header (8-byte aligned), raw little-endian tensors."""
    shapes = {"classifier.weight": (8, 32), "classifier.bias": (8,), "pooler.dense.weight": (32, 32)}
    header: dict[str, Any] = {"__metadata__": {"format": "pt", "model": m.name, "version": m.version}}
    blobs = []
    offset = 0
    for name, shape in shapes.items():
        count = 1
        for dim in shape:
            count *= dim
        blob = struct.pack(f"<{count}f", *(rng.gauss(0.0, 0.05) for _ in range(count)))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def write_models(out: Path, seed: int) -> dict[str, dict[str, Any]]:
    """Write every model version's artifact under models/<bucket>/<key>; returns per-asset file facts."""
    facts: dict[str, dict[str, Any]] = {}
    for m in MODELS:
        rng = random.Random(f"{seed}/{m.asset_id}")
        if m.kind_of_file == "hostile":
            data = hostile_pickle(m, rng)
        elif m.fmt == "safetensors":
            data = safetensors_file(m, rng)
        else:
            data = benign_pickle(m, rng)
        path = out / "models" / MODELS_BUCKET / m.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        real = hashlib.sha256(data).hexdigest()
        # The planted mismatch: the registry recorded the hash of an earlier build of this artifact.
        recorded = (
            hashlib.sha256(data + b"\x00earlier-build").hexdigest() if m.kind_of_file == "mismatch" else real
        )
        facts[m.asset_id] = {"path": path, "sha256": real, "recorded_sha256": recorded, "bytes": len(data)}
    return facts


# --------------------------------------------------------------------------------------------- inventory
def _model_locators(m: ModelVersion) -> list[str]:
    # Only versions that were ever deployed have a SageMaker model object.
    locs = [m.sm_arn] if m.endpoint else []
    locs += [m.package_arn, f"s3://{MODELS_BUCKET}/{m.key}", f"{SCAN_ROOT}/{MODELS_BUCKET}/{m.key}"]
    return locs


MODEL_READERS = (SERVING, TRAIN_EXEC, DEPLOYER, MEI, DANA)
ENDPOINT_CALLERS = {
    "fraud-detector-prod": (BATCH, PARTNER, DEPLOYER),
    "ticket-classifier-prod": (APP, DEPLOYER),
    "churn-predictor-staging": (DANA, DEPLOYER),
}


def inventory_rows(facts: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """Every asset as a generic asset-list row; the CycloneDX BOM repeats models and datasets identically."""
    rows: list[dict[str, str]] = []

    def row(**kw: Any) -> None:
        r = dict.fromkeys(CSV_COLUMNS, "")
        for k, v in kw.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            elif isinstance(v, list | tuple):
                # dict.fromkeys dedupes in order: two SSO users share one permission-set role.
                v = ";".join(dict.fromkeys(x.allow_ref if hasattr(x, "allow_ref") else str(x) for x in v))
            r[k] = str(v)
        rows.append(r)

    row(
        asset_id=f"bucket:{MODELS_BUCKET}",
        kind="bucket",
        name=MODELS_BUCKET,
        uri=f"s3://{MODELS_BUCKET}/",
        owner=PLATFORM_TEAM,
        environment="prod",
        classification="restricted",
        public=False,
        encrypted=True,
        locators=[f"arn:aws:s3:::{MODELS_BUCKET}"],
        allowed_writers=(TRAIN_EXEC, MEI, LUCAS),
        allowed_readers=(SERVING, TRAIN_EXEC, MEI, LUCAS, DANA, CI),
        tags="team=ml-platform;sse=aws:kms",
    )
    row(
        asset_id=f"bucket:{DATASETS_BUCKET}",
        kind="bucket",
        name=DATASETS_BUCKET,
        uri=f"s3://{DATASETS_BUCKET}/",
        owner=PLATFORM_TEAM,
        environment="prod",
        classification="restricted",
        public=False,
        encrypted=True,
        locators=[f"arn:aws:s3:::{DATASETS_BUCKET}"],
        allowed_writers=(DATA_PIPE, RAJ),
        allowed_readers=(TRAIN_EXEC, LUCAS, MEI, RAJ, DANA),
        tags="team=ml-platform;sse=aws:kms",
    )
    row(
        asset_id=f"bucket:{DEMO_BUCKET}",
        kind="bucket",
        name=DEMO_BUCKET,
        uri=f"s3://{DEMO_BUCKET}/",
        owner=f"devrel@{DOMAIN}",
        environment="dev",
        classification="public",
        public=True,
        encrypted=False,
        locators=[f"arn:aws:s3:::{DEMO_BUCKET}"],
        allowed_writers=(LUCAS,),
        tags="team=devrel;website=true",
    )
    for ds in DATASETS:
        row(
            asset_id=ds.asset_id,
            kind="dataset",
            name=ds.name,
            version="2025.03",
            uri=ds.uri,
            owner=ds.owner,
            environment=ds.environment,
            classification=ds.classification,
            format="parquet" if "tickets" not in ds.name else "jsonl",
            public=False,
            encrypted=True,
            allowed_writers=ds.writers,
            allowed_readers=ds.readers,
            stored_in=[f"bucket:{DATASETS_BUCKET}"],
            tags=f"bucket={DATASETS_BUCKET}",
        )
    for m in MODELS:
        deployed_as = [f"endpoint:{m.endpoint}"] if m.endpoint else []
        row(
            asset_id=m.asset_id,
            kind="model",
            name=m.name,
            version=m.version,
            uri=m.uri,
            owner=m.owner,
            environment=m.environment,
            classification=m.classification,
            format=m.fmt,
            sha256=facts[m.asset_id]["recorded_sha256"],
            public=False,
            encrypted=True,
            locators=_model_locators(m),
            allowed_writers=(TRAIN_EXEC,),
            allowed_readers=MODEL_READERS,
            trained_on=[f"dataset:{m.dataset}"],
            deployed_as=deployed_as,
            stored_in=[f"bucket:{MODELS_BUCKET}"],
            tags=f"framework={m.framework};registry={m.name}",
        )
    for model_id, name, version, title, publisher in BEDROCK_MODELS:
        aid = f"model:{name}@{version}"
        row(
            asset_id=aid,
            kind="model",
            name=name,
            version=version,
            uri=bedrock_arn(model_id),
            owner=SUPPORT_TEAM,
            environment="prod",
            classification="third-party",
            format="bedrock-foundation-model",
            locators=[model_id],
            allowed_readers=(APP, LUCAS),
            tags=f"provider={publisher};title={title}",
        )
    for ep in ENDPOINTS:
        models = [m.asset_id for m in MODELS if m.endpoint == ep.name]
        row(
            asset_id=ep.asset_id,
            kind="endpoint",
            name=ep.name,
            uri=ep.arn,
            owner=ep.owner,
            environment=ep.environment,
            classification=ep.classification,
            public=False,
            encrypted=True,
            locators=[endpoint_config_arn(c) for c in ep.configs],
            allowed_writers=(DEPLOYER,),
            allowed_readers=ENDPOINT_CALLERS[ep.name],
            tags=f"serves={'|'.join(models)};instance=ml.m5.xlarge",
        )
    in_inventory = {m.package_arn for m in MODELS}
    for group, count in REGISTRY.items():
        owner = next(m.owner for m in MODELS if m.name == group)
        env = "prod" if group in ("fraud-detector", "ticket-classifier") else "staging"
        older = [
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group}/{n}" for n in range(1, count + 1)
        ]
        row(
            asset_id=f"registry:{group}",
            kind="registry",
            name=group,
            uri=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{group}",
            owner=owner,
            environment=env,
            classification="internal",
            locators=[a for a in older if a not in in_inventory],
            allowed_writers=(TRAIN_EXEC, DEPLOYER, MEI, LUCAS),
            allowed_readers=(CI, DEPLOYER, MEI, LUCAS, DANA),
            tags=f"package_versions={count}",
        )
    for tr in CAL.trainings:
        env = "prod" if tr.model else "dev"
        row(
            asset_id=f"training_job:{tr.job}",
            kind="training_job",
            name=tr.job,
            uri=training_job_arn(tr.job),
            owner=next(d.owner for d in DATASETS if d.name == tr.dataset) or PLATFORM_TEAM,
            environment=env,
            classification="internal",
            trained_on=[f"dataset:{tr.dataset}"],
            tags=f"produces={tr.model or 'experiment'};instance=ml.m5.4xlarge",
        )
    return rows


def write_assets_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _props(**kw: str) -> list[dict[str, str]]:
    return [{"name": f"mlspm:{k}", "value": v} for k, v in kw.items() if v]


def write_bom(path: Path, rows: list[dict[str, str]], rng: random.Random, timestamp: str) -> None:
    """CycloneDX 1.6 ML-BOM of the models and datasets, with the same ids and facts as the asset list."""
    by_id = {r["asset_id"]: r for r in rows}
    components: list[dict[str, Any]] = []
    dependencies: list[dict[str, Any]] = []
    for ds in DATASETS:
        r = by_id[ds.asset_id]
        components.append(
            {
                "type": "data",
                "bom-ref": ds.asset_id,
                "name": ds.name,
                "version": r["version"],
                "description": ds.description,
                "externalReferences": [{"type": "distribution", "url": ds.uri}],
                "properties": _props(
                    owner=ds.owner,
                    environment=ds.environment,
                    classification=ds.classification,
                    allowed_writers=r["allowed_writers"],
                ),
                "data": [
                    {
                        "type": "dataset",
                        "name": ds.name,
                        "contents": {"url": ds.uri},
                        "classification": ds.classification,
                        "governance": {"owners": [{"organization": {"name": ds.owner}}]} if ds.owner else {},
                    }
                ],
            }
        )
    for m in MODELS:
        r = by_id[m.asset_id]
        refs = [{"type": "distribution", "url": m.uri}]
        refs += [
            {
                "type": "other",
                "url": loc,
                "comment": "SageMaker model" if ":model/" in loc else "SageMaker model package",
            }
            for loc in _model_locators(m)
            if loc.startswith("arn:")
        ]
        if m.endpoint:
            refs.append(
                {
                    "type": "other",
                    "url": next(e.arn for e in ENDPOINTS if e.name == m.endpoint),
                    "comment": "SageMaker endpoint",
                }
            )
        components.append(
            {
                "type": "machine-learning-model",
                "bom-ref": m.asset_id,
                "supplier": {"name": "Halyard ML Platform"},
                "name": m.name,
                "version": m.version,
                "description": m.description,
                "hashes": [{"alg": "SHA-256", "content": r["sha256"]}],
                "externalReferences": refs,
                "properties": _props(
                    owner=m.owner,
                    environment=m.environment,
                    classification=m.classification,
                    format=m.fmt,
                    artifact=f"s3://{MODELS_BUCKET}/{m.key}",
                ),
                "modelCard": {
                    "bom-ref": f"model-card:{m.name}@{m.version}",
                    "modelParameters": {
                        "approach": {"type": "supervised"},
                        "task": "text-classification"
                        if m.fmt == "safetensors"
                        else "classification"
                        if m.name != "demand-forecast"
                        else "regression",
                        "architectureFamily": "transformer"
                        if m.fmt == "safetensors"
                        else "gradient-boosted trees",
                        "datasets": [{"ref": f"dataset:{m.dataset}"}],
                        "inputs": [{"format": "application/json"}],
                        "outputs": [{"format": "application/json"}],
                    },
                },
            }
        )
        dependencies.append({"ref": m.asset_id, "dependsOn": [f"dataset:{m.dataset}"]})
    for model_id, name, version, title, publisher in BEDROCK_MODELS:
        aid = f"model:{name}@{version}"
        components.append(
            {
                "type": "machine-learning-model",
                "bom-ref": aid,
                "publisher": publisher,
                "name": name,
                "version": version,
                "description": f"{title} on Amazon Bedrock, used by the support assistant.",
                "externalReferences": [{"type": "distribution", "url": bedrock_arn(model_id)}],
                "properties": _props(
                    owner=SUPPORT_TEAM, environment="prod", classification="third-party", model_id=model_id
                ),
            }
        )
    bom = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {
                "components": [{"type": "application", "name": "halyard-mlbom-export", "version": "0.4.2"}]
            },
            "component": {
                "type": "application",
                "bom-ref": "application:halyard-ml-platform",
                "name": "halyard-ml-platform",
                "version": "2025.03",
            },
        },
        "components": components,
        "dependencies": dependencies,
    }
    path.write_text(json.dumps(bom, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------ modelscan report
def write_modelscan_report(reports: Path) -> Path:
    """A modelscan 0.8.8 `-r json` report (current schema) of the artifacts that existed at scan time."""
    import time

    present = [m for m in MODELS if _exists_at(m, T_SCAN)]
    scanned = [f"{MODELS_BUCKET}/{m.key}" for m in present if m.fmt == "pickle"]
    issues = [
        {
            "description": "Use of unsafe operator 'system' from module 'posix'",
            "operator": "system",
            "module": "posix",
            "source": f"{MODELS_BUCKET}/{m.key}",
            "scanner": "modelscan.scanners.PickleUnsafeOpScan",
            "severity": "CRITICAL",
        }
        for m in present
        if m.kind_of_file == "hostile"
    ]
    skipped = [
        {
            "category": "SCAN_NOT_SUPPORTED",
            "description": "Model Scan did not scan file",
            "source": f"{MODELS_BUCKET}/{m.key}",
        }
        for m in present
        if m.fmt != "pickle"
    ]
    skipped.append(
        {
            "category": "SCAN_NOT_SUPPORTED",
            "description": "Model Scan did not scan file",
            "source": f"{MODELS_BUCKET}/ticket-classifier/2.1.0/tokenizer.json",
        }
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T_SCAN)) + ".512034"
    report = {
        "summary": {
            "total_issues_by_severity": {
                sev: sum(1 for i in issues if i["severity"] == sev)
                for sev in ("LOW", "MEDIUM", "HIGH", "CRITICAL")
            },
            "total_issues": len(issues),
            "input_path": SCAN_ROOT,
            "absolute_path": SCAN_ROOT,
            "modelscan_version": "0.8.8",
            "timestamp": stamp,
            "scanned": {"total_scanned": len(scanned), "scanned_files": scanned},
            "skipped": {"total_skipped": len(skipped), "skipped_files": skipped},
        },
        "issues": issues,
        "errors": [],
    }
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"modelscan-{time.strftime('%Y-%m-%d', time.gmtime(T_SCAN))}.json"
    path.write_text(json.dumps(report, indent=4) + "\n", encoding="utf-8")
    return path


def _exists_at(m: ModelVersion, t: int) -> bool:
    """Artifacts produced by a retrain inside the period exist only after it; the rest predate it."""
    for tr in CAL.trainings:
        if tr.model == m.asset_id:
            return tr.t + tr.minutes * 60 <= t
    return True
