"""inventory_asset_no_owner: inventory entries without an owner fire once each, with hints."""

from __future__ import annotations

from tests.analyzers.conftest import T0, hours

ID = "inventory_asset_no_owner"
ETL = "arn:aws:sts::111122223333:assumed-role/ml-data-pipeline/airflow-etl"
ANA = "arn:aws:iam::111122223333:user/ana"


def test_fires_per_asset_without_owner_with_the_top_writer_and_owner_like_tags_as_hints(estate):
    estate.asset(
        "dataset:demand",
        "dataset",
        "demand",
        uri="s3://d/demand/",
        environment="dev",
        source="cyclonedx",
        tags='{"team": "forecasting"}',
    )
    estate.asset("model:ok@1", "model", "ok", owner="ml@example.com")
    estate.asset("model:blank@1", "model", "blank", owner="  ")
    estate.events(
        3, T0, hours(1), ETL, "PutObject", "s3://d/demand/part-1.parquet", asset_id="dataset:demand"
    )
    estate.event(T0, ANA, "GetObject", "s3://d/demand/part-1.parquet", asset_id="dataset:demand")
    fired = {f.asset_id: f for f in estate.run(ID)}
    assert set(fired) == {"dataset:demand", "model:blank@1"}
    f = fired["dataset:demand"]
    assert f.severity is None and f.key == "dataset:demand" and f.resource == "s3://d/demand/"
    assert f.summary.startswith(
        "dataset demand (s3://d/demand/, dev) has no owner in the inventory (cyclonedx)"
    )
    assert "its tags name forecasting" in f.summary
    assert "its most frequent writer is ml-data-pipeline/airflow-etl (3 writes)" in f.summary
    assert "4 access events by 2 principals" in f.summary
    assert "no access events on it" in fired["model:blank@1"].summary


def test_quiet_for_owned_and_discovered_assets_and_ignored_kinds(estate):
    estate.asset("model:a@1", "model", "a", owner="team-a")
    estate.asset("endpoint:poc", "endpoint", "poc", source="discovered")
    estate.asset("bucket:logs", "bucket", "logs")
    assert [f.asset_id for f in estate.run(ID)] == ["bucket:logs"]
    assert estate.run(ID, ignore_kinds=["bucket"]) == []
