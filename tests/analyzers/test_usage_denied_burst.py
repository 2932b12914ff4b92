"""usage_denied_burst: a credential probing models it may not touch fires; a chronic retry loop stays low."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

PARTNER = "arn:aws:sts::111122223333:assumed-role/partner-inference/tenant-a"
JOB = "arn:aws:sts::111122223333:assumed-role/report-job/cron"
ARN = "arn:aws:sagemaker:us-east-1:111122223333"
MODEL = f"{ARN}:model/fraud-3-2-1"
DENIED = {"status_code": "AccessDeniedException", "outcome": "failure"}


def _denied(estate, ts, principal, action, resource, asset_id=None, **kw):
    return estate.event(ts, principal, action, resource, asset_id=asset_id, **(DENIED | kw))


def test_fires_on_repeated_denials_on_one_model(estate):
    estate.events(30, T0, hours(1), PARTNER, "InvokeEndpoint", f"{ARN}:endpoint/fraud")  # its normal use
    ids = [
        _denied(
            estate,
            T0 + days(1) + hours(i / 10),
            PARTNER,
            "DescribeModel",
            MODEL,
            "model:fraud@3.2.1",
            source_ip="198.51.100.201",
        )
        for i in range(5)
    ]
    (f,) = estate.run("usage_denied_burst")
    assert f.principal == PARTNER and f.asset_id == "model:fraud@3.2.1" and f.resource == MODEL
    assert sorted(f.event_ids) == sorted(ids)
    assert "was denied 5 times" in f.summary and "up to 5 on model:fraud@3.2.1" in f.summary
    assert "from 198.51.100.201" in f.summary
    assert f.severity is None  # medium, the default


def test_fires_on_denials_across_many_resources_and_counts_s3_403s(estate):
    ids = [
        _denied(estate, T0 + hours(i / 20), PARTNER, "DescribeModel", f"{ARN}:model/m-{i}") for i in range(3)
    ]
    ids += [
        estate.event(
            T0 + hours(0.5 + i / 20),
            PARTNER,
            "REST.GET.OBJECT",
            f"s3://models/m-{i}/model.pkl",
            status_code="403",
            error_message="AccessDenied",
        )
        for i in range(2)
    ]
    (f,) = estate.run("usage_denied_burst")
    assert sorted(f.event_ids) == sorted(ids)
    assert "on 5 distinct resources" in f.summary and "REST.GET.OBJECT" in f.summary


def test_high_when_the_probe_is_wide(estate):
    for i in range(15):
        _denied(estate, T0 + hours(i / 30), PARTNER, "DescribeModel", f"{ARN}:model/m-{i}")
    (f,) = estate.run("usage_denied_burst")
    assert f.severity is not None and f.severity.value == "high"


def test_quiet_for_a_few_denials_and_for_throttling(estate):
    for i in range(3):  # three on one model: not more than three
        _denied(estate, T0 + hours(i / 10), PARTNER, "DescribeModel", MODEL)
    _denied(estate, T0 + hours(0.5), PARTNER, "DescribeModel", f"{ARN}:model/other")
    estate.events(
        50,
        T0 + days(1),
        hours(1) / 50,
        PARTNER,
        "InvokeEndpoint",
        f"{ARN}:endpoint/fraud",
        status_code="429",
        outcome="failure",
    )  # throttled, not denied
    for i in range(4):  # spread over four hours
        _denied(estate, T0 + days(2) + hours(i), PARTNER, "DescribeModel", MODEL)
    assert estate.run("usage_denied_burst") == []


def test_a_chronic_retry_loop_is_low(estate):
    for d in range(5):
        for i in range(6):
            _denied(estate, T0 + days(d) + hours(i / 10), JOB, "GetObject", "s3://reports/model.pkl")
    found = estate.run("usage_denied_burst")
    assert len(found) == 5
    assert all(f.severity is not None and f.severity.value == "low" for f in found)
    assert "on 4 other days" in found[0].summary


def test_a_role_retrying_under_new_session_names_every_day_is_still_one_chronic_caller(estate):
    role = "arn:aws:iam::111122223333:role/report-job"
    for d in range(4):
        session = f"arn:aws:sts::111122223333:assumed-role/report-job/botocore-session-17000000{d:02d}"
        for i in range(5):
            _denied(
                estate,
                T0 + days(d) + hours(i / 10),
                session,
                "GetObject",
                "s3://r/model.pkl",
                principal_role=role,
            )
    found = sorted(estate.run("usage_denied_burst"), key=lambda f: f.key)
    assert [f.key for f in found] == [f"{role}|2026-03-0{2 + d}T09" for d in range(4)]
    assert found[0].principal.endswith("/botocore-session-1700000000")  # the session that was denied
    assert all(f.severity is not None and f.severity.value == "low" for f in found)


def test_people_sharing_a_role_under_their_own_session_names_stay_apart(estate):
    role = "arn:aws:iam::111122223333:role/DataScience"
    for who in ("alice", "bob"):  # two denials each: no one has a burst
        for i in range(2):
            _denied(
                estate,
                T0 + hours(i / 10),
                f"arn:aws:sts::111122223333:assumed-role/DataScience/{who}",
                "DescribeModel",
                MODEL,
                principal_role=role,
            )
    assert estate.run("usage_denied_burst") == []
