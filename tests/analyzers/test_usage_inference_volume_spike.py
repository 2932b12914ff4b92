"""usage_inference_volume_spike: a caller far above its own usual hour fires; its own normal never does."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

PARTNER = "arn:aws:sts::111122223333:assumed-role/partner/session"
BATCH = "arn:aws:sts::111122223333:assumed-role/batch/nightly"
ENDPOINT = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"


def _steady(estate, principal, per_hour, n_days=10, start_hour=0, hours_per_day=10):
    for d in range(n_days):
        for h in range(hours_per_day):
            start = T0 + days(d) + hours(start_hour + h)
            estate.events(per_hour, start, hours(1) / per_hour, principal, "InvokeEndpoint", ENDPOINT)


def test_fires_on_a_spike_far_above_the_callers_own_baseline(estate):
    _steady(estate, PARTNER, 4)
    spike = estate.events(600, T0 + days(12), hours(3) / 600, PARTNER, "InvokeEndpoint", ENDPOINT)
    (f,) = estate.run("usage_inference_volume_spike")
    assert f.principal == PARTNER and f.resource == ENDPOINT
    assert sorted(f.event_ids) == sorted(spike)
    assert "600 times in 3 h" in f.summary and "p95 is 4" in f.summary
    assert f.details["hours"] == 3


def test_quiet_for_a_job_whose_huge_volume_is_its_own_normal(estate):
    for d in range(14):  # 2,000 calls every night between 01:00 and 02:00
        estate.events(2000, T0 + days(d) + hours(16), hours(1) / 2000, BATCH, "InvokeEndpoint", ENDPOINT)
    assert estate.run("usage_inference_volume_spike") == []


def test_quiet_below_the_absolute_floor(estate):
    _steady(estate, PARTNER, 1)
    estate.events(60, T0 + days(12), hours(1) / 60, PARTNER, "InvokeEndpoint", ENDPOINT)
    assert estate.run("usage_inference_volume_spike") == []
    assert len(estate.run("usage_inference_volume_spike", min_per_hour=50)) == 1
