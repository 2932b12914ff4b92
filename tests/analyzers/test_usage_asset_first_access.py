"""usage_asset_first_access: a principal's first touch of a sensitive asset, after the learning period."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

OLD_HAND = "arn:aws:iam::111122223333:user/raj"
NEW_HIRE = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScientist_0a1b/priya@example.com"
OUTSIDER = "arn:aws:iam::111122223333:user/svc-report"
OFFICE = "198.51.100.10"


def _estate(estate):
    estate.asset("dataset:tickets", "dataset", "tickets", environment="prod", classification="confidential")
    estate.asset("dataset:scratch", "dataset", "scratch", environment="dev", classification="internal")
    estate.asset("model:fraud@1.0", "model", "fraud", version="1.0", environment="prod")
    estate.asset("model:fraud@2.0", "model", "fraud", version="2.0", environment="prod")
    for d in range(10):  # three colleagues work from the office address; one of them reads the data daily
        for who in ("arn:aws:iam::111122223333:user/a", "arn:aws:iam::111122223333:user/b", OLD_HAND):
            estate.event(T0 + days(d), who, "ListBuckets", source_ip=OFFICE)
        estate.event(
            T0 + days(d) + hours(1),
            OLD_HAND,
            "GetObject",
            "s3://data/tickets/x.jsonl",
            asset_id="dataset:tickets",
            source_ip=OFFICE,
        )


def test_a_new_hire_reading_from_the_office_is_low(estate):
    _estate(estate)
    ids = [
        estate.event(
            T0 + days(9) + hours(2 + i),
            NEW_HIRE,
            "GetObject",
            f"s3://data/tickets/{i}.jsonl",
            asset_id="dataset:tickets",
            source_ip=OFFICE,
        )
        for i in range(3)
    ]
    (f,) = estate.run("usage_asset_first_access")
    assert (
        f.principal == NEW_HIRE and f.asset_id == "dataset:tickets" and f.key == f"{NEW_HIRE}|dataset:tickets"
    )
    assert sorted(f.event_ids) == sorted(ids)
    assert "for the first time: 3 GetObject in the first 24 h" in f.summary
    assert "used by 3 other callers before" in f.summary and "first appears on" in f.summary
    assert f.severity is None  # low, the default


def test_medium_from_an_address_never_seen_for_the_principal(estate):
    _estate(estate)
    estate.event(T0 + days(2), OUTSIDER, "ListBuckets", source_ip="10.1.2.3")
    first = estate.event(
        T0 + days(9),
        OUTSIDER,
        "GetObject",
        "s3://data/tickets/1.jsonl",
        asset_id="dataset:tickets",
        source_ip="203.0.113.7",
    )
    (f,) = estate.run("usage_asset_first_access")
    assert f.event_ids == [first]
    assert "203.0.113.7, an address never seen for this caller before" in f.summary
    assert f.severity is not None and f.severity.value == "medium"


def test_quiet_in_the_learning_period_for_known_pairs_new_versions_and_ordinary_assets(estate):
    _estate(estate)
    estate.event(
        T0 + days(1), OUTSIDER, "GetObject", "s3://models/fraud/1.0/model.pkl", asset_id="model:fraud@1.0"
    )
    estate.event(
        T0 + days(9), OUTSIDER, "GetObject", "s3://models/fraud/2.0/model.pkl", asset_id="model:fraud@2.0"
    )
    estate.event(
        T0 + days(9),
        OUTSIDER,
        "GetObject",
        "s3://data/scratch/1.csv",
        asset_id="dataset:scratch",
        source_ip="203.0.113.7",
    )
    estate.event(
        T0 + days(9),
        OUTSIDER,
        "GetObject",
        "s3://data/tickets/1.jsonl",
        asset_id="dataset:tickets",
        status_code="403",
    )  # denied: not an access
    assert estate.run("usage_asset_first_access") == []


def test_quiet_for_whoever_creates_a_new_asset_on_its_first_day(estate):
    _estate(estate)
    estate.asset("training_job:weekly-9", "training_job", "weekly-9", environment="prod")
    estate.event(
        T0 + days(9),
        OLD_HAND,
        "CreateTrainingJob",
        "arn:aws:sagemaker:::training-job/weekly-9",
        asset_id="training_job:weekly-9",
    )
    estate.event(
        T0 + days(9) + hours(1),
        OLD_HAND,
        "DescribeTrainingJob",
        "arn:aws:sagemaker:::training-job/weekly-9",
        asset_id="training_job:weekly-9",
    )
    assert estate.run("usage_asset_first_access") == []


def test_a_new_session_of_a_known_role_is_no_first_access(estate):
    _estate(estate)
    role = "arn:aws:iam::111122223333:role/report-app"
    for d in (1, 9):  # instance ids change; the role reads the same dataset
        session = f"arn:aws:sts::111122223333:assumed-role/report-app/i-0{d}a1b2c3d4e5f6071"
        estate.event(
            T0 + days(d),
            session,
            "GetObject",
            "s3://data/tickets/1.jsonl",
            asset_id="dataset:tickets",
            principal_role=role,
            source_ip="10.0.0.5",
        )
    assert estate.run("usage_asset_first_access") == []
