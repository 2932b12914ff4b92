"""poisoning_dataset_unusual_writer: a new writer into training data fires; the usual writers never do."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

ACCOUNT = "111122223333"
PIPELINE = f"arn:aws:sts::{ACCOUNT}:assumed-role/data-pipeline/etl"
PIPELINE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/data-pipeline"
CI = f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/GitHubActions"
ENGINEER = f"arn:aws:iam::{ACCOUNT}:user/eng"
DATASET = "dataset:transactions"
PREFIX = "s3://ml-data/transactions/"


def _inventory(estate, *, trained=True, grants=()):
    estate.asset(DATASET, "dataset", "transactions", locators=(PREFIX,), environment="prod")
    estate.asset("bucket:ml-data", "bucket", "ml-data", locators=("s3://ml-data/",), environment="prod")
    estate.lineage(DATASET, "stored_in", "bucket:ml-data")
    if trained:
        estate.asset("model:fraud@1", "model", "fraud", version="1")
        estate.lineage("model:fraud@1", "trained_on", DATASET)
    for principal, asset in grants:
        estate.permission(principal, asset, "write")


def _put(estate, ts, principal, key, size=1_000_000, both_logs=False):
    """A PutObject as CloudTrail logs it (and, optionally, the S3 access-log line of the same write)."""
    ids = [
        estate.event(
            ts,
            principal,
            "PutObject",
            PREFIX + key,
            asset_id=DATASET,
            bytes_in=size,
            source_format="cloudtrail",
        )
    ]
    if both_logs:
        ids.append(
            estate.event(
                ts,
                principal,
                "REST.PUT.OBJECT",
                PREFIX + key,
                asset_id=DATASET,
                object_size=size,
                source_format="s3_access",
            )
        )
    return ids


def _nightly(estate, principal, n_days=10, **kw):
    for d in range(n_days):
        _put(estate, T0 + days(d) + hours(15), principal, f"2026/03/{d + 1:02d}/part-0.parquet", **kw)


def test_fires_on_a_first_write_by_a_principal_outside_the_usual_writers(estate):
    _inventory(estate)
    _nightly(estate, PIPELINE, both_logs=True)
    day = T0 + days(8) + hours(14)  # 23:xx UTC
    planted = [
        i
        for n in range(3)
        for i in _put(estate, day + hours(n / 30), CI, f"labels/fix-{n}.csv", size=2_000_000, both_logs=True)
    ]
    fired = estate.run("poisoning_dataset_unusual_writer")
    assert {f.severity.value for f in fired if f.principal == PIPELINE and f.severity} == {
        "low"
    }  # cold start
    (f,) = [f for f in fired if f.principal == CI]
    assert f.asset_id == DATASET
    assert sorted(f.event_ids) == sorted(planted)  # both logs' rows, but three objects
    assert f.severity is not None and f.severity.value == "high"
    assert (
        "ci-deployer/GitHubActions wrote 3 objects (5.7 MiB) into training dataset transactions" in f.summary
    )
    assert "its first write there" in f.summary and "no inventory grant" in f.summary
    assert "usual writers: data-pipeline/etl (7 days)" in f.summary
    assert f.details["objects_written"] == 3 and len(f.details["keys"]) == 3
    assert f.key == f"{CI}|{DATASET}|2026-03-10"


def test_quiet_for_the_nightly_pipeline_and_an_inventory_writer(estate):
    """BEN-04 / BEN-05: the pipeline writing every night, a data engineer allowed to write weekly."""
    _inventory(estate, grants=[(PIPELINE_ROLE, DATASET), (ENGINEER, "bucket:ml-data")])
    _nightly(estate, PIPELINE, n_days=14, both_logs=True)
    for week in range(2):
        _put(estate, T0 + days(7 * week) + hours(1), ENGINEER, f"snapshots/w{week}.parquet")
    assert estate.run("poisoning_dataset_unusual_writer") == []


def test_a_regular_writer_older_than_the_logs_is_low_and_then_usual(estate):
    """No inventory grant: the first days of a nightly job cannot have history yet — low, not high."""
    _inventory(estate)
    _nightly(estate, PIPELINE, n_days=10)
    fired = estate.run("poisoning_dataset_unusual_writer")
    assert len(fired) == 3  # the first min_writer_days days of the logs
    assert {f.severity.value for f in fired if f.severity} == {"low"}
    assert all("in the first days of the logs" in f.summary for f in fired)


def test_roles_are_learned_per_role_not_per_session(estate):
    _inventory(estate)
    for d in range(8):  # one session name per run, as services do
        _put(
            estate,
            T0 + days(d) + hours(15),
            f"arn:aws:sts::{ACCOUNT}:assumed-role/data-pipeline/run-{d}",
            f"p/{d}.parquet",
        )
    fired = estate.run("poisoning_dataset_unusual_writer")
    assert {f.severity.value for f in fired if f.severity} == {"low"}  # only the cold start


def test_medium_when_the_dataset_is_not_training_data(estate):
    _inventory(estate, trained=False)
    _nightly(estate, PIPELINE)
    planted = _put(estate, T0 + days(8) + hours(14), CI, "x.csv")
    fired = [f for f in estate.run("poisoning_dataset_unusual_writer") if f.principal == CI]
    assert len(fired) == 1 and fired[0].event_ids == planted
    assert fired[0].severity is not None and fired[0].severity.value == "medium"
    assert "into dataset transactions" in fired[0].summary


def test_a_training_job_input_marks_the_dataset_as_training_data(estate):
    _inventory(estate, trained=False)
    _nightly(estate, PIPELINE)
    _put(estate, T0 + days(8) + hours(14), CI, "x.csv")
    estate.event(
        T0 + days(9),
        PIPELINE,
        "CreateTrainingJob",
        source_format="cloudtrail",
        raw={
            "eventName": "CreateTrainingJob",
            "requestParameters": {"inputDataConfig": [{"dataSource": {"s3DataSource": {"s3Uri": PREFIX}}}]},
        },
    )
    fired = [f for f in estate.run("poisoning_dataset_unusual_writer") if f.principal == CI]
    assert fired[0].severity is not None and fired[0].severity.value == "high"


def test_a_known_pipeline_writing_into_a_new_dataset_is_medium(estate):
    _inventory(estate)
    estate.asset("dataset:other", "dataset", "other", locators=("s3://ml-data/other/",))
    for d in range(6):
        estate.event(
            T0 + days(d) + hours(15),
            PIPELINE,
            "PutObject",
            f"s3://ml-data/other/{d}.parquet",
            asset_id="dataset:other",
        )
    _put(estate, T0 + days(7) + hours(15), PIPELINE, "first.parquet")
    fired = [f for f in estate.run("poisoning_dataset_unusual_writer") if f.asset_id == DATASET]
    assert len(fired) == 1 and fired[0].severity is not None and fired[0].severity.value == "medium"
    assert "it does write regularly to other" in fired[0].summary
