"""usage_human_off_hours: people touching production assets outside their own usual hours."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

MEI = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_MLEngineer_4f1c/mei@example.com"
OWL = "arn:aws:iam::111122223333:user/night-owl"
ROBOT = "arn:aws:sts::111122223333:assumed-role/batch-scoring/nightly"
OFFICE = "198.51.100.10"
MODEL = "s3://models/fraud/3.3.0/model.pkl"


def _office_weeks(estate, who=MEI, n_weeks=2, evenings=()):
    """Weekdays 08:00-17:00 UTC (T0 is a Monday 09:00); ``evenings`` adds 20:00 work on those days."""
    for w in range(n_weeks):
        for d in range(5):
            day = T0 + days(7 * w + d) - hours(9)
            for h in range(8, 18):
                estate.event(
                    day + hours(h),
                    who,
                    "DescribeEndpoint",
                    "arn:aws:sagemaker:::endpoint/x",
                    source_ip=OFFICE,
                )
            if 7 * w + d in evenings:
                estate.event(
                    day + hours(20.2), who, "GetObject", MODEL, asset_id="model:fraud@3.3.0", source_ip=OFFICE
                )


def _assets(estate):
    estate.asset("model:fraud@3.3.0", "model", "fraud", version="3.3.0", environment="prod")
    estate.asset("model:toy@1", "model", "toy", version="1", environment="dev", classification="internal")


def test_a_saturday_night_pull_from_a_new_address_is_high(estate):
    _assets(estate)
    _office_weeks(estate)
    night = T0 + days(12) - hours(6)  # Saturday 03:00 UTC
    ids = [
        estate.event(
            night + hours(i / 6),
            MEI,
            "GetObject",
            MODEL,
            asset_id="model:fraud@3.3.0",
            source_ip="192.0.2.77",
        )
        for i in range(2)
    ]
    (f,) = estate.run("usage_human_off_hours")
    assert f.principal == MEI and f.asset_id == "model:fraud@3.3.0"
    assert f.key == f"{MEI}|2026-03-14"
    assert sorted(f.event_ids) == sorted(ids)
    assert (
        "on Saturday 2026-03-14" in f.summary
        and "usual hours (08:00-17:59 UTC, never on weekends" in f.summary
    )
    assert "192.0.2.77, new for this principal" in f.summary
    assert f.severity is not None and f.severity.value == "high"


def test_a_weekday_evening_from_a_known_address_is_medium(estate):
    _assets(estate)
    _office_weeks(estate)
    late = estate.event(
        T0 + days(15) + hours(12), MEI, "GetObject", MODEL, asset_id="model:fraud@3.3.0", source_ip=OFFICE
    )  # Tuesday 21:00
    (f,) = estate.run("usage_human_off_hours")
    assert f.event_ids == [late] and "a known address" in f.summary
    assert f.severity is None  # medium, the default


def test_quiet_for_a_known_pattern_of_evening_work_and_for_non_sensitive_assets(estate):
    _assets(estate)
    _office_weeks(estate, evenings=(1, 3, 8, 10))
    estate.event(
        T0 + days(15) + hours(11.5), MEI, "GetObject", MODEL, asset_id="model:fraud@3.3.0", source_ip=OFFICE
    )  # Tuesday 20:30, as on four other evenings
    estate.event(
        T0 + days(16) + hours(14),
        MEI,
        "GetObject",
        "s3://models/toy/1/m.pkl",
        asset_id="model:toy@1",
        source_ip=OFFICE,
    )  # 23:00 but a dev model
    assert estate.run("usage_human_off_hours") == []


def test_quiet_for_machines_and_little_history_falls_back_to_nights_and_weekends(estate):
    _assets(estate)
    estate.events(
        20,
        T0 - hours(8),
        days(1),
        ROBOT,
        "GetObject",
        MODEL,
        asset_id="model:fraud@3.3.0",
        principal_role="arn:aws:iam::111122223333:role/batch-scoring",
    )  # 01:00 every night
    estate.event(T0 + days(2) + hours(2), OWL, "GetObject", MODEL, asset_id="model:fraud@3.3.0")  # 11:00
    night = estate.event(
        T0 + days(3) - hours(7), OWL, "GetObject", MODEL, asset_id="model:fraud@3.3.0"
    )  # 02:00
    (f,) = estate.run("usage_human_off_hours")
    assert f.principal == OWL and f.event_ids == [night]
    assert "too little history" in f.summary
    assert f.severity is None
