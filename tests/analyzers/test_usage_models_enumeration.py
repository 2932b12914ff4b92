"""usage_models_enumeration: a sweep of the model registry fires; a principal's own daily sweep never does."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

SCIENTIST = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScientist_0a1b/ana@example.com"
INVENTORY = "arn:aws:sts::111122223333:assumed-role/model-inventory/nightly"
ARN = "arn:aws:sagemaker:us-east-1:111122223333"


def _package(n: int) -> str:
    return f"{ARN}:model-package/group-{n % 4}/{n}"


def _usual(estate, principal=SCIENTIST, n_days=6):
    """A few describes a day, on a handful of models: the principal's own normal."""
    for d in range(n_days):
        for h in range(3):
            estate.event(T0 + days(d) + hours(h), principal, "DescribeModel", f"{ARN}:model/m-{h}")


def test_fires_on_a_registry_sweep_far_above_the_principals_own_hours(estate):
    _usual(estate)
    sweep = [
        estate.event(T0 + days(7) + hours(6) + hours(i / 60), SCIENTIST, "DescribeModelPackage", _package(i))
        for i in range(26)
    ]
    sweep.append(estate.event(T0 + days(7) + hours(6.5), SCIENTIST, "ListModels"))
    (f,) = estate.run("usage_models_enumeration")
    assert f.principal == SCIENTIST
    assert sorted(f.event_ids) == sorted(sweep)
    assert "27 distinct models" in f.summary and "26 model-package" in f.summary
    assert "p95 on other days is 1.0" in f.summary
    assert f.severity is None  # the analyzer's default, medium
    assert f.details["peak_per_hour"] == 27


def test_a_sweep_across_a_clock_hour_boundary_is_one_finding(estate):
    _usual(estate)
    ids = [
        estate.event(
            T0 + days(7) + hours(9.75) + hours(i / 60), SCIENTIST, "DescribeModelPackage", _package(i)
        )
        for i in range(24)
    ]  # 09:45 to 10:08: 15 + 9 in the two clock hours
    (f,) = estate.run("usage_models_enumeration")
    assert sorted(f.event_ids) == sorted(ids)
    assert f.key == f"{SCIENTIST}|2026-03-09T19"  # the hour the sweep reached the threshold (18:45 + 20 min)


def test_high_when_three_times_the_threshold(estate):
    _usual(estate)
    for i in range(64):
        estate.event(T0 + days(7) + hours(6) + hours(i / 80), SCIENTIST, "DescribeModelPackage", _package(i))
    (f,) = estate.run("usage_models_enumeration")
    assert f.severity is not None and f.severity.value == "high"


def test_quiet_for_a_job_that_sweeps_the_registry_every_day(estate):
    for d in range(10):
        for i in range(40):
            estate.event(
                T0 + days(d) + hours(2) + hours(i / 100), INVENTORY, "DescribeModelPackage", _package(i)
            )
    assert estate.run("usage_models_enumeration") == []


def test_quiet_below_the_distinct_threshold_and_for_repeats_of_few_models(estate):
    _usual(estate)
    for i in range(15):
        estate.event(T0 + days(7) + hours(6) + hours(i / 60), SCIENTIST, "DescribeModelPackage", _package(i))
    for i in range(100):  # many calls, three models: not an enumeration
        estate.event(
            T0 + days(8) + hours(6) + hours(i / 200), SCIENTIST, "DescribeModel", f"{ARN}:model/m-{i % 3}"
        )
    assert estate.run("usage_models_enumeration") == []
    assert len(estate.run("usage_models_enumeration", min_distinct=15)) == 1


def test_a_role_is_judged_as_the_role_whatever_its_session_names(estate):
    role = "arn:aws:iam::111122223333:role/model-inventory"
    for d in range(10):  # a new session name every night, the same sweep
        session = f"arn:aws:sts::111122223333:assumed-role/model-inventory/botocore-session-17000000{d:02d}"
        for i in range(40):
            estate.event(
                T0 + days(d) + hours(2) + hours(i / 100),
                session,
                "DescribeModelPackage",
                _package(i),
                principal_role=role,
            )
    assert estate.run("usage_models_enumeration") == []
