"""poisoning_write_then_train: an unusual write consumed by a training job is traced to the model and the
endpoint it reached; usual writes before weekly training, and late or unrelated training, stay quiet."""

from __future__ import annotations

from typing import Any

from tests.analyzers.conftest import T0, days, hours

ACCOUNT = "111122223333"
REGION = "us-east-1"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/data-pipeline"
PIPELINE = f"arn:aws:sts::{ACCOUNT}:assumed-role/data-pipeline/etl"
CI = f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/GitHubActions"
TRAIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/training"
ORCHESTRATOR = f"arn:aws:sts::{ACCOUNT}:assumed-role/training/airflow"
TRAINING = f"arn:aws:sts::{ACCOUNT}:assumed-role/training/SageMaker"
DEPLOYER = f"arn:aws:sts::{ACCOUNT}:assumed-role/serving/deploy"
DATASET = "dataset:transactions"
PREFIX = "s3://ml-data/transactions/"
MODELS = "s3://ml-models/fraud/"
SM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def _inventory(estate):
    estate.asset(DATASET, "dataset", "transactions", locators=(PREFIX,), environment="prod")
    estate.permission(PIPELINE_ROLE, DATASET, "write")
    estate.asset(
        "endpoint:fraud-prod",
        "endpoint",
        "fraud-prod",
        locators=(f"{SM}:endpoint/fraud-prod",),
        environment="prod",
    )
    for v in ("1.0", "1.1"):
        estate.asset(
            f"model:fraud@{v}", "model", "fraud", version=v, locators=(f"{MODELS}{v}/",), environment="prod"
        )
        estate.lineage(f"model:fraud@{v}", "trained_on", DATASET)
        estate.lineage(f"model:fraud@{v}", "deployed_as", "endpoint:fraud-prod")


def _pipeline(estate, n_days=10):
    for d in range(n_days):
        estate.event(
            T0 + days(d) + hours(15),
            PIPELINE,
            "PutObject",
            f"{PREFIX}day={d}/part-0.parquet",
            asset_id=DATASET,
            bytes_in=5_000_000,
        )


def _ct(name: str, params: dict[str, Any], response: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "eventName": name,
        "eventSource": "sagemaker.amazonaws.com",
        "requestParameters": params,
        "responseElements": response,
    }


def _training_job(estate, ts, name, version, *, pascal=False, inputs=(PREFIX,)) -> list[int]:
    """CreateTrainingJob as CloudTrail records it (camelCase), or PascalCase as API-style records do;
    then the job's role reads every object of the prefix and writes the model artifact."""
    if pascal:
        params = {
            "TrainingJobName": name,
            "RoleArn": TRAIN_ROLE,
            "InputDataConfig": [
                {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": u}}} for u in inputs
            ],
            "OutputDataConfig": {"S3OutputPath": f"{MODELS}{version}/"},
        }
    else:
        params = {
            "trainingJobName": name,
            "roleArn": TRAIN_ROLE,
            "inputDataConfig": [
                {"channelName": "train", "dataSource": {"s3DataSource": {"s3Uri": u}}} for u in inputs
            ],
            "outputDataConfig": {"s3OutputPath": f"{MODELS}{version}/"},
            "stoppingCondition": {"maxRuntimeInSeconds": 14400},
        }
    job = estate.event(
        ts,
        ORCHESTRATOR,
        "CreateTrainingJob",
        f"{SM}:training-job/{name}",
        source_format="cloudtrail",
        raw=_ct("CreateTrainingJob", params),
    )
    artifact = estate.event(
        ts + hours(1),
        TRAINING,
        "PutObject",
        f"{MODELS}{version}/model.tar.gz",
        asset_id=f"model:fraud@{version}",
    )
    return [job, artifact]


def _reads(estate, ts, keys):
    return [estate.event(ts + hours(0.05), TRAINING, "GetObject", PREFIX + k, asset_id=DATASET) for k in keys]


def _deploy(estate, ts, version) -> list[int]:
    model = f"fraud-{version.replace('.', '-')}"
    config = f"fraud-prod-{model}"
    return [
        estate.event(
            ts,
            DEPLOYER,
            "CreateModel",
            f"{SM}:model/{model}",
            asset_id=f"model:fraud@{version}",
            source_format="cloudtrail",
            raw=_ct(
                "CreateModel",
                {"modelName": model, "primaryContainer": {"modelDataUrl": f"{MODELS}{version}/model.tar.gz"}},
            ),
        ),
        estate.event(
            ts + hours(0.01),
            DEPLOYER,
            "CreateEndpointConfig",
            f"{SM}:endpoint-config/{config}",
            source_format="cloudtrail",
            raw=_ct(
                "CreateEndpointConfig",
                {"endpointConfigName": config, "productionVariants": [{"modelName": model}]},
            ),
        ),
        estate.event(
            ts + hours(0.02),
            DEPLOYER,
            "UpdateEndpoint",
            f"{SM}:endpoint/fraud-prod",
            asset_id="endpoint:fraud-prod",
            source_format="cloudtrail",
            raw=_ct("UpdateEndpoint", {"endpointName": "fraud-prod", "endpointConfigName": config}),
        ),
    ]


def _planted_write(estate, ts):
    keys = ["labels/fix-0.csv", "labels/fix-1.csv", "day=9/part-9.parquet"]
    ids = [
        estate.event(ts + hours(n / 60), CI, "PutObject", PREFIX + k, asset_id=DATASET, bytes_in=1000)
        for n, k in enumerate(keys)
    ]
    return keys, ids


def test_fires_and_follows_the_job_to_the_model_and_the_endpoint(estate):
    _inventory(estate)
    _pipeline(estate)
    write_at = T0 + days(7) + hours(14)  # 23:00 on day 7
    keys, writes = _planted_write(estate, write_at)
    train_at = write_at + hours(49)
    chain = _training_job(estate, train_at, "fraud-weekly-2", "1.1")
    reads = _reads(estate, train_at, keys)
    deploy = _deploy(estate, train_at + days(2), "1.1")
    (f,) = estate.run("poisoning_write_then_train")
    assert f.principal == CI and f.asset_id == DATASET and f.resource == f"{SM}:training-job/fraud-weekly-2"
    assert f.severity is not None and f.severity.value == "critical"
    assert sorted(f.event_ids) == sorted(writes + chain + reads + deploy)
    assert f.summary.startswith(
        "ci-deployer/GitHubActions wrote 3 objects into transactions on 2026-03-09 23:00"
    )
    assert (
        "49 h before training job fraud-weekly-2 read it (its role read all 3 written objects)" in f.summary
    )
    assert "it produced fraud 1.1, deployed to fraud-prod on 2026-03-14 00:01" in f.summary
    assert f.details["models"][0]["asset_id"] == "model:fraud@1.1"
    assert f.details["endpoints"][0]["via"] == "events"
    assert f.first_seen == write_at and f.last_seen == train_at + days(2) + hours(0.02)


def test_pascal_case_request_parameters_are_read_too(estate):
    _inventory(estate)
    _pipeline(estate)
    write_at = T0 + days(7) + hours(14)
    _planted_write(estate, write_at)
    _training_job(estate, write_at + hours(30), "fraud-adhoc", "1.1", pascal=True)
    (f,) = estate.run("poisoning_write_then_train")
    assert "training job fraud-adhoc" in f.summary and "it produced fraud 1.1" in f.summary
    # No deployment event: the endpoint comes from the inventory's deployed_as lineage.
    assert "deployed to fraud-prod (per inventory lineage)" in f.summary
    assert f.severity is not None and f.severity.value == "critical"


def test_reads_by_a_training_role_without_a_job_event(estate):
    _inventory(estate)
    _pipeline(estate)
    write_at = T0 + days(7) + hours(14)
    keys, writes = _planted_write(estate, write_at)
    reads = _reads(estate, write_at + hours(10), keys[:2])
    (f,) = estate.run("poisoning_write_then_train")
    assert "before training role training/SageMaker read it" in f.summary
    assert sorted(f.event_ids) == sorted(writes[:2] + reads)
    assert f.severity is not None and f.severity.value == "high"
    assert "no model version produced by it is known yet (2 model versions are trained on" in f.summary


def test_quiet_for_weekly_training_after_usual_writes(estate):
    """BEN-09: the weekly retrain reads what the usual pipeline wrote."""
    _inventory(estate)
    _pipeline(estate, n_days=14)
    for week in (0, 1):
        at = T0 + days(6 + 7 * week) + hours(16)
        _training_job(estate, at, f"fraud-weekly-{week}", "1.0")
        _reads(estate, at, [f"day={d}/part-0.parquet" for d in range(6 + 7 * week)])
    assert estate.run("poisoning_write_then_train") == []


def test_quiet_when_training_comes_after_the_window_or_reads_elsewhere(estate):
    _inventory(estate)
    _pipeline(estate)
    write_at = T0 + days(7) + hours(14)
    _planted_write(estate, write_at)
    _training_job(estate, write_at + hours(80), "too-late", "1.1")
    _training_job(estate, write_at + hours(20), "other-prefix", "1.0", inputs=(f"{PREFIX}day=3/",))
    assert estate.run("poisoning_write_then_train") == []
    assert len(estate.run("poisoning_write_then_train", window_hours=96)) == 1
