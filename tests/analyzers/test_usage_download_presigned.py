"""usage_download_presigned: model and dataset objects fetched through presigned URLs."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

DANA = "arn:aws:iam::111122223333:user/dana"
APP = "arn:aws:sts::111122223333:assumed-role/download-portal/app"
OFFICE = "198.51.100.10"


def _estate(estate):
    estate.asset(
        "model:fraud@3.3.0",
        "model",
        "fraud",
        version="3.3.0",
        environment="prod",
        classification="restricted",
    )
    estate.asset("dataset:demo", "dataset", "demo", environment="dev", classification="public")
    for d in range(5):
        estate.event(T0 + days(d), DANA, "ListBuckets", source_ip=OFFICE)
        estate.event(T0 + days(d), APP, "ListBuckets", source_ip="10.0.0.5")


def _presigned(estate, ts, who, resource, asset_id=None, **kw):
    kw.setdefault("source_ip", OFFICE)
    kw.setdefault("status_code", "200")
    return estate.event(
        ts,
        who,
        "REST.GET.OBJECT",
        resource,
        asset_id=asset_id,
        auth_type="QueryString",
        bytes_out=900_000_000,
        user_agent="curl/8.5.0",
        **kw,
    )


def test_a_production_model_fetched_with_curl_from_a_new_address_is_high(estate):
    _estate(estate)
    ids = [
        _presigned(
            estate,
            T0 + days(6) + hours(i),
            DANA,
            "s3://models/fraud/3.3.0/model.pkl",
            "model:fraud@3.3.0",
            source_ip="203.0.113.199",
        )
        for i in range(2)
    ]
    estate.event(
        T0 + days(6),
        DANA,
        "REST.GET.OBJECT",
        "s3://models/fraud/3.3.0/model.pkl",
        asset_id="model:fraud@3.3.0",
        status_code="200",
        auth_type="AuthHeader",
    )  # signed header: not it
    (f,) = estate.run("usage_download_presigned")
    assert f.principal == DANA and f.asset_id == "model:fraud@3.3.0"
    assert f.key == f"{DANA}|model:fraud@3.3.0|2026-03-08"
    assert sorted(f.event_ids) == sorted(ids)
    assert "through presigned URLs (2 requests, 1.8 GB, user agent curl/8.5.0)" in f.summary
    assert "203.0.113.199, an address never seen for this caller before" in f.summary
    assert f.severity is not None and f.severity.value == "high"


def test_medium_from_a_known_address_and_for_unlisted_weight_files_per_bucket(estate):
    _estate(estate)
    known = _presigned(estate, T0 + days(6), DANA, "s3://models/fraud/3.3.0/model.pkl", "model:fraud@3.3.0")
    shadow = _presigned(
        estate, T0 + days(6), DANA, "s3://scratch/exp/model.safetensors", source_ip="203.0.113.5"
    )
    found = {f.resource: f for f in estate.run("usage_download_presigned")}
    assert found["s3://models/fraud/3.3.0/model.pkl"].event_ids == [known]
    assert found["s3://models/fraud/3.3.0/model.pkl"].severity is None
    assert found["s3://scratch/exp/model.safetensors"].event_ids == [shadow]
    assert (
        found["s3://scratch/exp/model.safetensors"].severity is None
    )  # a new address, but not a known sensitive asset
    assert "|s3://scratch/|" in found["s3://scratch/exp/model.safetensors"].key


def test_a_portal_that_hands_out_links_every_day_is_low(estate):
    _estate(estate)
    for d in range(5):
        _presigned(
            estate,
            T0 + days(d) + hours(1),
            APP,
            f"s3://data/demo/{d}.csv",
            "dataset:demo",
            source_ip="10.0.0.5",
        )
    found = sorted(estate.run("usage_download_presigned"), key=lambda f: f.key)
    assert len(found) == 5
    assert [f.severity.value if f.severity else "medium" for f in found] == ["medium"] * 3 + ["low"] * 2
    assert "on 4 earlier days" in found[-1].summary


def test_quiet_for_other_objects_and_failed_requests(estate):
    _estate(estate)
    _presigned(estate, T0 + days(6), DANA, "s3://web/index.html")
    _presigned(
        estate,
        T0 + days(6),
        DANA,
        "s3://models/fraud/3.3.0/model.pkl",
        "model:fraud@3.3.0",
        status_code="403",
    )
    assert estate.run("usage_download_presigned") == []
