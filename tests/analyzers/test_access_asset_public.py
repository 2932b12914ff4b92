"""access_asset_public: inventory-public assets fire (with their anonymous reads); private ones never do."""

from __future__ import annotations

from tests.analyzers.conftest import T0, hours

BUCKET = "s3://acme-ml-share/"


def _public_bucket(estate, environment="prod", classification="internal"):
    estate.asset(
        "bucket:acme-ml-share",
        "bucket",
        locators=(BUCKET,),
        environment=environment,
        classification=classification,
        public=True,
        encrypted=True,
        uri=BUCKET,
    )
    estate.asset(
        "dataset:clicks", "dataset", locators=(BUCKET + "clicks/",), environment="prod", public=False
    )
    estate.lineage("dataset:clicks", "stored_in", "bucket:acme-ml-share")


def test_fires_on_a_public_bucket_with_the_anonymous_reads_it_served(estate):
    _public_bucket(estate)
    reads = [
        estate.event(
            T0 + hours(i),
            "anonymous",
            "REST.GET.OBJECT",
            f"s3://acme-ml-share/clicks/part-{i}.parquet",
            principal_type="anonymous",
            source_ip=f"198.51.100.{i % 2}",
            bytes_out=2_000_000,
            asset_id="dataset:clicks",
            status_code="200",
        )
        for i in range(3)
    ]
    estate.event(
        T0,
        "anonymous",
        "REST.GET.OBJECT",
        "s3://acme-ml-share/clicks/x",
        principal_type="anonymous",
        status_code="403",
        asset_id="dataset:clicks",
    )  # denied: not a read that happened
    (f,) = estate.run("access_asset_public")
    assert f.asset_id == "bucket:acme-ml-share" and f.key == "bucket:acme-ml-share"
    assert f.severity == "high"
    assert sorted(f.event_ids) == sorted(reads)
    assert "marked public in the inventory" in f.summary
    assert "holds 1 inventoried ML asset (dataset:clicks)" in f.summary
    assert "3 anonymous requests from 2 addresses read 6.0 MB" in f.summary


def test_severity_follows_environment_and_classification(estate):
    estate.asset("model:demo@1", "model", environment="dev", public=True, classification="public")
    estate.asset("model:scoring@2", "model", environment="prod", public=True, classification="Confidential")
    fired = {f.asset_id: f for f in estate.run("access_asset_public")}
    assert fired["model:demo@1"].severity == "medium"
    assert "no anonymous request" in fired["model:demo@1"].summary
    assert fired["model:scoring@2"].severity == "critical"


def test_quiet_for_private_unknown_and_out_of_scope_assets(estate):
    estate.asset("bucket:private", "bucket", environment="prod", public=False)
    estate.asset("dataset:unknown", "dataset", environment="prod")  # the inventory does not say
    estate.asset(
        "endpoint:api", "endpoint", environment="prod", public=True
    )  # public APIs are often intended
    estate.event(T0, "anonymous", "GetObject", "s3://private/a", principal_type="anonymous")
    assert estate.run("access_asset_public") == []
