"""`generate(out, seed, days)`: writes the demo estate (logs, inventory, reports, models, labels)."""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

from sample_data import artifacts
from sample_data.activity import POISON_KEYS, Simulation
from sample_data.emit import Emitter, iso
from sample_data.estate import (
    ACCOUNT,
    BATCH,
    CAL,
    CI,
    DANA,
    DATA_PIPE,
    DATASETS_BUCKET,
    DEMO_BUCKET,
    DEPLOYER,
    END,
    LUCAS,
    MAX_DAYS,
    MEI,
    MIN_DAYS,
    MODELS_BUCKET,
    MV,
    PARTNER,
    PRIYA,
    RAJ,
    REGION,
    SAM,
    SERVING,
    SHADOW_ENDPOINT,
    SHADOW_KEY,
    T_FLAGGED_DOWNLOAD,
    T_HOSTILE_UPLOAD,
    T_NEW_HIRE,
    T_SCAN,
    TRAIN_EXEC,
    W_ANON,
    W_BULK,
    W_DENIED,
    W_ENUM,
    W_OFF_HOURS,
    W_PERM,
    W_POISON,
    W_PUBLIC,
    W_SHADOW,
    W_SPIKE,
    endpoint_arn,
    training_job_arn,
)

DEFAULT_SEED = 1729
DEFAULT_DAYS = 21
# Directories the generator owns inside --out; only these are cleared before writing, never --out itself.
OWNED = ("logs", "inventory", "reports", "models", "labels.json")


def generate(out: Path, seed: int = DEFAULT_SEED, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """Write the estate under `out` and return counts: files, events per source, incidents."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(
            f"days must be between {MIN_DAYS} and {MAX_DAYS} (the incidents need the last 14 days)"
        )
    began = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in OWNED:  # stale files from an earlier run (other seed/days) would break determinism
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    start = END - days * 86400

    em = Emitter(random.Random(f"{seed}/events"), start, END)
    Simulation(em, random.Random(f"{seed}/activity")).run()
    written = em.write(out)

    facts = artifacts.write_models(out, seed)
    rows = artifacts.inventory_rows(facts)
    inv = out / "inventory"
    inv.mkdir(parents=True, exist_ok=True)
    artifacts.write_assets_csv(inv / "assets.csv", rows)
    artifacts.write_bom(inv / "ml-bom.cdx.json", rows, random.Random(f"{seed}/bom"), iso(END - 1800))
    report = artifacts.write_modelscan_report(out / "reports")

    labels = build_labels(seed, days, start, facts)
    (out / "labels.json").write_text(json.dumps(labels, indent=2) + "\n", encoding="utf-8")

    files = [
        *written["files"],
        *(f["path"] for f in facts.values()),
        inv / "assets.csv",
        inv / "ml-bom.cdx.json",
        report,
        out / "labels.json",
    ]
    return {
        "out": str(out),
        "seed": seed,
        "days": days,
        "start": iso(start),
        "end": iso(END),
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "events": {**written["events"], "total": sum(written["events"].values())},
        "assets": len(rows),
        "model_files": len(facts),
        "incidents": len(labels["incidents"]),
        "posture": len(labels["posture"]),
        "benign": len(labels["benign"]),
        "seconds": round(time.perf_counter() - began, 2),
    }


def _incident(
    n: int,
    family: str,
    kind: str,
    description: str,
    *,
    start: float,
    end: float,
    severity: str,
    principal: str | None = None,
    asset_id: str | None = None,
    resource: str | None = None,
    source: str,
    related: tuple[str, ...] = (),
    related_kinds: tuple[str, ...] = (),
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": f"INC-{n:02d}",
        "family": family,
        "kind": kind,
        "description": description,
        "principal": principal,
        "asset_id": asset_id,
        "resource": resource,
        "start": iso(start),
        "end": iso(end),
        "expected_min_severity": severity,
        "evidence_source": source,
        "related_assets": list(related),
        "related_kinds": list(related_kinds),
        **extra,
    }


def build_labels(seed: int, days: int, start: int, facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The answer key: planted incidents, posture gaps the inventory carries, and the benign look-alikes."""
    fraud_330 = MV["model:fraud-detector@3.3.0"]
    hostile = MV["model:churn-predictor@1.4.0"]
    mismatch = MV["model:demand-forecast@1.0.0"]
    poisoned_train = next(tr for tr in CAL.trainings if tr.model == fraud_330.asset_id)
    poisoned_deploy = next(d for d in CAL.deploys if d.model == fraud_330.asset_id)
    hostile_deploy = next(d for d in CAL.deploys if d.model == hostile.asset_id)
    bulk_assets = (
        "model:fraud-detector@3.3.0",
        "model:fraud-detector@3.2.1",
        "model:ticket-classifier@2.1.0",
        "model:fraud-detector@3.2.0",
        "model:churn-predictor@1.3.2",
        "model:churn-predictor@1.4.0",
        "model:demand-forecast@1.0.0",
    )
    incidents = [
        _incident(
            1,
            "model_theft",
            "inference_volume_spike",
            "The partner role invokes the fraud endpoint about 950 times an hour for six hours; its own "
            "usual "
            "rate is 2-9 an hour (model extraction).",
            start=W_SPIKE[0],
            end=W_SPIKE[1],
            severity="high",
            principal=PARTNER.arn,
            asset_id="endpoint:fraud-detector-prod",
            resource=endpoint_arn("fraud-detector-prod"),
            source="gateway",
        ),
        _incident(
            2,
            "model_theft",
            "model_enumeration",
            "A data scientist lists and describes every model package of the four registry groups (34) and "
            "the "
            "deployed models (4) in about 35 minutes.",
            start=W_ENUM[0],
            end=W_ENUM[1],
            severity="medium",
            principal=LUCAS.arn,
            resource=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/*",
            source="cloudtrail",
            related=(
                "registry:fraud-detector",
                "registry:ticket-classifier",
                "registry:churn-predictor",
                "registry:demand-forecast",
            ),
            distinct_resources=38,
        ),
        _incident(
            3,
            "model_theft",
            "denied_burst",
            "The partner role's credentials are denied on DescribeModel (3 models, 4-5 times each), "
            "DescribeModelPackage and GetObject of two model artifacts within 45 minutes on a Saturday "
            "night.",
            start=W_DENIED[0],
            end=W_DENIED[1],
            severity="medium",
            principal=PARTNER.arn,
            asset_id="model:fraud-detector@3.2.1",
            source="cloudtrail+s3_access",
            related=("model:fraud-detector@3.2.0", "model:ticket-classifier@2.1.0"),
        ),
        _incident(
            4,
            "model_theft",
            "bulk_weight_download",
            "An ML engineer who never deploys downloads seven model artifacts (about 5 GB) in three hours "
            "from an "
            "address never seen before; four of the downloads use presigned URLs fetched with curl.",
            start=W_BULK[0],
            end=W_BULK[1],
            severity="high",
            principal=DANA.arn,
            asset_id=f"bucket:{MODELS_BUCKET}",
            resource=f"s3://{MODELS_BUCKET}/",
            source="s3_access",
            related=bulk_assets,
            related_kinds=("presigned_url_download", "first_seen_ip"),
            source_ip="203.0.113.199",
        ),
        _incident(
            5,
            "model_theft",
            "off_hours_access",
            "An ML engineer pulls two production model artifacts at 03:10 UTC on a Saturday from a home "
            "address "
            "never seen before; she otherwise works weekdays 08:00-18:00.",
            start=W_OFF_HOURS[0],
            end=W_OFF_HOURS[1],
            severity="medium",
            principal=MEI.arn,
            asset_id=fraud_330.asset_id,
            resource=f"s3://{MODELS_BUCKET}/{fraud_330.key}",
            source="s3_access",
            related=("model:ticket-classifier@2.1.0",),
            related_kinds=("first_seen_ip",),
        ),
        _incident(
            6,
            "data_poisoning",
            "write_then_train",
            "The CI role, never a writer of training data, puts three files into the fraud training prefix "
            "at "
            "23:38; 49 hours later the weekly training job reads that prefix, and the model version it "
            "produced "
            "is deployed to the production endpoint two days after that.",
            start=W_POISON[0],
            end=poisoned_deploy.t + 20,
            severity="high",
            principal=CI.arn,
            asset_id="dataset:fraud-transactions",
            resource=f"s3://{DATASETS_BUCKET}/fraud/transactions/",
            source="cloudtrail+s3_access",
            related=(
                fraud_330.asset_id,
                "endpoint:fraud-detector-prod",
                f"training_job:{poisoned_train.job}",
            ),
            related_kinds=("untrusted_training_write",),
            written_keys=[f"s3://{DATASETS_BUCKET}/{k}" for k, _ in POISON_KEYS],
            training_job=training_job_arn(poisoned_train.job),
            training_started=iso(poisoned_train.t),
        ),
        _incident(
            7,
            "access_control",
            "public_bucket_policy",
            'The platform admin disables Block Public Access and puts a bucket policy with Principal "*" '
            "(s3:GetObject on support/tickets/*) on the training-data bucket; anonymous requesters then "
            "fetch 26 "
            "ticket files until the policy is deleted the next morning.",
            start=W_PUBLIC[0],
            end=W_PUBLIC[1],
            severity="high",
            principal=SAM.arn,
            asset_id=f"bucket:{DATASETS_BUCKET}",
            resource=f"s3://{DATASETS_BUCKET}/",
            source="cloudtrail+s3_access",
            related=("dataset:support-tickets",),
            related_kinds=("anonymous_access",),
            anonymous_window=[iso(W_ANON[0]), iso(W_ANON[1])],
        ),
        _incident(
            8,
            "data_poisoning",
            "training_data_permission_change",
            "A data engineer grants an outside canonical user WRITE/READ on the training-data bucket ACL and "
            "attaches a datasets read-write policy to the CI role.",
            start=W_PERM[0],
            end=W_PERM[1],
            severity="medium",
            principal=RAJ.arn,
            asset_id=f"bucket:{DATASETS_BUCKET}",
            resource=f"s3://{DATASETS_BUCKET}/",
            source="cloudtrail",
            related=("dataset:fraud-transactions", "dataset:support-tickets"),
        ),
        _incident(
            9,
            "supply_chain",
            "unsafe_operator",
            "modelscan flags posix.system (CRITICAL) in the churn-predictor 1.4.0 pickle; the generated file "
            "models/…/churn-predictor/1.4.0/model.pkl carries the same GLOBAL+REDUCE.",
            start=T_SCAN,
            end=T_SCAN,
            severity="critical",
            asset_id=hostile.asset_id,
            resource=f"s3://{MODELS_BUCKET}/{hostile.key}",
            source="modelscan",
            sha256=facts[hostile.asset_id]["sha256"],
            uploaded=iso(T_HOSTILE_UPLOAD),
        ),
        _incident(
            10,
            "supply_chain",
            "flagged_artifact_in_use",
            "After the scan flagged it, the churn-predictor 1.4.0 artifact is deployed to the staging "
            "endpoint "
            "(the serving role pulls it) and downloaded by hand the next morning.",
            start=hostile_deploy.t,
            end=T_FLAGGED_DOWNLOAD + 1,
            severity="high",
            principal=RAJ.arn,
            asset_id=hostile.asset_id,
            resource=f"s3://{MODELS_BUCKET}/{hostile.key}",
            source="cloudtrail+s3_access+modelscan",
            related=("endpoint:churn-predictor-staging",),
            other_principals=[DEPLOYER.arn, SERVING.arn, DANA.arn],
        ),
        _incident(
            11,
            "supply_chain",
            "hash_mismatch",
            "The inventory's recorded SHA-256 for demand-forecast 1.0.0 differs from the artifact file's "
            "real hash.",
            start=END - 1800,
            end=END - 1800,
            severity="medium",
            asset_id=mismatch.asset_id,
            resource=f"s3://{MODELS_BUCKET}/{mismatch.key}",
            source="inventory+scan",
            recorded_sha256=facts[mismatch.asset_id]["recorded_sha256"],
            actual_sha256=facts[mismatch.asset_id]["sha256"],
        ),
        _incident(
            12,
            "supply_chain",
            "pickle_in_production",
            "The production fraud model (every version) is a pickle; the production endpoint serves it.",
            start=start,
            end=END - 1,
            severity="medium",
            asset_id=fraud_330.asset_id,
            resource=f"s3://{MODELS_BUCKET}/{fraud_330.key}",
            source="inventory",
            related=(
                "model:fraud-detector@3.2.0",
                "model:fraud-detector@3.2.1",
                "model:fraud-detector@3.3.1",
            ),
        ),
        _incident(
            13,
            "compliance",
            "shadow_asset",
            "An ML engineer uploads a model under an unregistered prefix and creates the SageMaker model, "
            "endpoint config and endpoint 'summarizer-poc'; it is then invoked by her and by the app role. "
            "No inventory knows any of it.",
            start=W_SHADOW[0],
            end=END - 1,
            severity="medium",
            principal=MEI.arn,
            resource=endpoint_arn(SHADOW_ENDPOINT),
            source="cloudtrail+gateway+s3_access",
            related_kinds=("shadow_model_prefix",),
            model_prefix=f"s3://{MODELS_BUCKET}/{SHADOW_KEY.rsplit('/', 1)[0]}/",
        ),
    ]
    posture = [
        {
            "id": "POS-01",
            "family": "compliance",
            "kind": "asset_without_owner",
            "asset_id": "dataset:demand-history",
            "expected_min_severity": "low",
        },
        {
            "id": "POS-02",
            "family": "compliance",
            "kind": "asset_without_environment",
            "asset_id": "model:churn-predictor@1.3.2",
            "expected_min_severity": "low",
        },
        {
            "id": "POS-03",
            "family": "access_control",
            "kind": "unencrypted_store",
            "asset_id": f"bucket:{DEMO_BUCKET}",
            "expected_min_severity": "low",
        },
        {
            "id": "POS-04",
            "family": "access_control",
            "kind": "public_store_in_inventory",
            "asset_id": f"bucket:{DEMO_BUCKET}",
            "expected_min_severity": "low",
        },
        {
            "id": "POS-05",
            "family": "access_control",
            "kind": "invocation_logging_disabled",
            "asset_id": "endpoint:fraud-detector-prod",
            "note": "endpoint configs are created with dataCaptureConfig.enableCapture=false",
            "expected_min_severity": "low",
        },
    ]
    benign = [
        {
            "id": "BEN-01",
            "kind": "nightly_batch_scoring",
            "principal": BATCH.arn,
            "asset_id": "endpoint:fraud-detector-prod",
            "description": (
                "2,000-2,800 invocations every night from about 01:00 for ~95 minutes; its own normal."
            ),
        },
        {
            "id": "BEN-02",
            "kind": "new_hire_first_reads",
            "principal": PRIYA.arn,
            "start": iso(T_NEW_HIRE),
            "description": "A data scientist who joins in week 3 reads a few dataset files in office hours.",
        },
        {
            "id": "BEN-03",
            "kind": "deploy_weight_pull",
            "principal": SERVING.arn,
            "times": [iso(d.t) for d in CAL.deploys],
            "description": (
                "At every regular deploy the serving role pulls the model artifact once per instance."
            ),
        },
        {
            "id": "BEN-04",
            "kind": "nightly_training_data_write",
            "principal": DATA_PIPE.arn,
            "asset_id": "dataset:fraud-transactions",
            "description": (
                "The ETL writes yesterday's partitions (fraud, support tickets; demand on Mondays) at ~00:30."
            ),
        },
        {
            "id": "BEN-05",
            "kind": "weekly_manual_feature_write",
            "principal": RAJ.arn,
            "asset_id": "dataset:churn-features",
            "description": (
                "A data engineer (an allowed writer) uploads the weekly churn snapshot on Monday mornings."
            ),
        },
        {
            "id": "BEN-06",
            "kind": "partner_steady_use",
            "principal": PARTNER.arn,
            "asset_id": "endpoint:fraud-detector-prod",
            "description": "2-9 invocations per hour around the clock.",
        },
        {
            "id": "BEN-07",
            "kind": "benign_permission_change",
            "principal": SAM.arn,
            "description": (
                "CloudWatchReadOnlyAccess attached to the CI role (not training data, not a registry)."
            ),
        },
        {
            "id": "BEN-08",
            "kind": "office_hours_weight_read",
            "principal": MEI.arn,
            "description": "The ML engineer reads production weights by hand twice in office hours.",
        },
        {
            "id": "BEN-09",
            "kind": "weekly_training",
            "principal": TRAIN_EXEC.arn,
            "asset_id": "dataset:fraud-transactions",
            "description": (
                "Weekly retrains read the fraud prefix; only the one after the untrusted write "
                "is an incident."
            ),
        },
        {
            "id": "BEN-10",
            "kind": "known_home_address",
            "principal": DANA.arn,
            "description": "One engineer works from a home address (192.0.2.44) some days from week 1 on.",
        },
    ]
    return {
        "estate": {
            "generator": "sample_data",
            "seed": seed,
            "days": days,
            "start": iso(start),
            "end": iso(END),
            "account": ACCOUNT,
            "region": REGION,
            "buckets": [MODELS_BUCKET, DATASETS_BUCKET, DEMO_BUCKET],
            "human_principals": [a.arn for a in (DANA, RAJ, MEI, LUCAS, SAM, PRIYA)],
        },
        "incidents": [i for i in incidents if start <= _parse(i["start"]) < END],
        "posture": posture,
        "benign": benign,
    }


def _parse(s: str) -> int:
    import calendar

    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def summary(result: dict[str, Any], labels_path: Path) -> str:
    """A one-screen description of what was written."""
    ev = result["events"]
    labels = json.loads(labels_path.read_text())
    lines = [
        f"mlspm demo estate → {result['out']}",
        f"  period  {result['start']} .. {result['end']}  ({result['days']} days, seed {result['seed']})",
        f"  events  {ev['total']:,}  (cloudtrail {ev['cloudtrail']:,} · s3 access {ev['s3_access']:,} · "
        f"gateway {ev['gateway']:,})",
        f"  files   {result['files']:,} ({result['bytes'] / 1e6:.1f} MB) · {result['assets']} inventory "
        f"assets · "
        f"{result['model_files']} model files (1 hostile pickle, never loaded)",
        f"  labels  {result['incidents']} incidents · {result['posture']} posture gaps · "
        f"{result['benign']} benign look-alikes  ({labels_path.name})",
    ]
    for inc in labels["incidents"]:
        lines.append(f"    {inc['id']} {inc['family']:<15} {inc['kind']:<32} {inc['start'][:16]}")
    lines.append(f"  took    {result['seconds']} s")
    return "\n".join(lines)
