"""access_requests_anonymous: anonymous reads of ML objects fire per bucket and day; nothing else does."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

BUCKET = "s3://acme-ml-data"
USER = "arn:aws:iam::111122223333:user/alice"


def _estate(estate, bucket_public=False):
    estate.asset(
        "bucket:acme-ml-data", "bucket", locators=(BUCKET + "/",), environment="prod", public=bucket_public
    )
    estate.asset("dataset:tickets", "dataset", locators=(BUCKET + "/tickets/",), environment="prod")


def _read(estate, ts, key, ip, fmt="s3_access", asset_id=None, **kw):
    return estate.event(
        ts,
        "anonymous",
        "REST.GET.OBJECT",
        f"{BUCKET}/{key}",
        principal_type="anonymous",
        source_ip=ip,
        bytes_out=1_500_000,
        source_format=fmt,
        asset_id=asset_id,
        **kw,
    )


def test_fires_per_bucket_and_day_counting_each_request_once(estate):
    _estate(estate)
    day1 = []
    for i in range(3):
        day1.append(
            _read(estate, T0 + hours(i), f"tickets/{i}.gz", f"198.51.100.{i}", asset_id="dataset:tickets")
        )
        day1.append(
            _read(
                estate,
                T0 + hours(i),
                f"tickets/{i}.gz",
                f"198.51.100.{i}",
                fmt="cloudtrail",
                asset_id="dataset:tickets",
            )
        )
    day2 = [_read(estate, T0 + days(1), "misc/readme.txt", "198.51.100.7")]  # in the bucket, outside datasets
    fired = {f.key: f for f in estate.run("access_requests_anonymous")}
    first = fired[f"{BUCKET}|2026-03-02"]
    assert sorted(first.event_ids) == sorted(day1)
    assert first.severity == "critical" and first.principal == "anonymous"
    assert first.asset_id == "bucket:acme-ml-data"
    assert first.summary.startswith(
        "3 anonymous requests read 3 objects (4.5 MB) of dataset:tickets (production)"
    )
    assert "from 3 addresses (198.51.100.0, 198.51.100.1, 198.51.100.2)" in first.summary
    second = fired[f"{BUCKET}|2026-03-03"]
    assert second.event_ids == day2 and second.severity == "high"


def test_low_when_the_inventory_says_the_bucket_is_public(estate):
    _estate(estate, bucket_public=True)
    _read(estate, T0, "misc/logo.png", "198.51.100.7")
    (f,) = estate.run("access_requests_anonymous")
    assert f.severity == "low" and "the inventory marks it public" in f.summary


def test_quiet_for_other_buckets_failures_and_identified_callers(estate):
    _estate(estate)
    estate.event(
        T0, "anonymous", "REST.GET.OBJECT", "s3://website-assets/index.html", principal_type="anonymous"
    )
    _read(estate, T0, "tickets/1.gz", "198.51.100.1", status_code="403", asset_id="dataset:tickets")
    estate.event(T0, USER, "GetObject", f"{BUCKET}/tickets/1.gz", asset_id="dataset:tickets")
    _read(estate, T0, "tickets/", "198.51.100.1", action_class="list")  # a listing, not a read
    assert estate.run("access_requests_anonymous") == []
