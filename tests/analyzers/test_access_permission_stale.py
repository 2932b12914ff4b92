"""access_permission_stale: unused grants on covered ML assets fire; used or uncovered ones never do."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

SSO_ROLE = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataSci_ab12"
SSO_SESSION = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataSci_ab12/kim@example.com"
PIPELINE = "arn:aws:iam::111122223333:role/etl"
OLD_USER = "arn:aws:iam::111122223333:user/bob"


def _estate(estate):
    estate.asset("bucket:data", "bucket", locators=("s3://data/",), environment="prod")
    estate.asset("dataset:sales", "dataset", locators=("s3://data/sales/",), environment="prod")
    estate.lineage("dataset:sales", "stored_in", "bucket:data")
    estate.asset("dataset:dark", "dataset", environment="prod")  # nothing in the logs covers it


def test_fires_for_an_unused_grant_on_a_covered_asset_and_says_how_much_history_there_is(estate):
    _estate(estate)
    for principal in (SSO_ROLE, PIPELINE, OLD_USER):
        estate.permission(principal, "dataset:sales", "read")
    estate.permission(PIPELINE, "dataset:sales", "write")
    estate.permission(OLD_USER, "dataset:dark", "read")
    # the SSO role is used through an assumed-role session (the role ARN in the log has no path)
    estate.events(
        3,
        T0,
        hours(1),
        SSO_SESSION,
        "GetObject",
        "s3://data/sales/a.parquet",
        asset_id="dataset:sales",
        principal_role="arn:aws:iam::111122223333:role/AWSReservedSSO_DataSci_ab12",
    )
    estate.events(
        4,
        T0 + days(20),
        hours(1),
        "arn:aws:sts::111122223333:assumed-role/etl/nightly",
        "PutObject",
        "s3://data/sales/b.parquet",
        asset_id="dataset:sales",
    )
    fired = {(f.principal, f.asset_id): f for f in estate.run("access_permission_stale")}
    assert set(fired) == {(OLD_USER, "dataset:sales")}  # dataset:dark is in no log: no finding
    f = fired[OLD_USER, "dataset:sales"]
    assert f.severity == "low" and f.event_ids == [] and f.key == f"{OLD_USER}|dataset:sales"
    assert f.summary == (
        "bob holds read on dataset:sales (prod) but made no request to it in the 21 days of logs "
        "loaded (stale after 90 days); the same logs hold 7 requests to it from 2 principals."
    )


def test_fires_for_access_last_used_before_the_window_with_full_history(estate):
    _estate(estate)
    estate.permission(PIPELINE, "dataset:sales", "write")
    last = estate.event(
        T0,
        "arn:aws:sts::111122223333:assumed-role/etl/nightly",
        "PutObject",
        "s3://data/sales/a.parquet",
        asset_id="dataset:sales",
    )
    estate.events(
        3,
        T0 + days(130),
        hours(1),
        SSO_SESSION,
        "GetObject",
        "s3://data/sales/a.parquet",
        asset_id="dataset:sales",
    )
    (f,) = estate.run("access_permission_stale")
    assert f.principal == PIPELINE and f.event_ids == [last]
    assert f.severity == "medium"  # write on a production dataset, and the logs cover the whole window
    assert "last used it on 2026-03-02, 130 days before the latest event" in f.summary
    assert len(estate.run("access_permission_stale", stale_days=200)) == 0


def test_quiet_when_used_or_when_the_logs_do_not_cover_the_asset(estate):
    _estate(estate)
    estate.permission(SSO_ROLE, "dataset:sales", "read")
    estate.permission(SSO_ROLE, "bucket:data", "read")  # used through the dataset stored in it
    estate.permission(OLD_USER, "dataset:dark", "read")
    estate.permission("*", "dataset:sales", "read")  # wildcards are access_permission_wildcard's
    estate.events(
        2,
        T0,
        hours(1),
        SSO_SESSION,
        "GetObject",
        "s3://data/sales/a.parquet",
        asset_id="dataset:sales",
        principal_role=SSO_ROLE,
    )
    assert estate.run("access_permission_stale") == []
