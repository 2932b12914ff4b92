"""access_store_unencrypted: unencrypted ML stores and removed bucket encryption fire; encrypted ones not."""

from __future__ import annotations

from tests.analyzers.conftest import T0

ADMIN = "arn:aws:iam::111122223333:user/ops"


def test_fires_on_inventory_flags_with_severity_by_environment_and_class(estate):
    estate.asset("bucket:share", "bucket", environment="dev", classification="public", encrypted=False)
    estate.asset("dataset:patients", "dataset", environment="prod", classification="PII", encrypted=False)
    estate.asset("dataset:stored", "dataset", environment="dev", encrypted=True)
    estate.lineage("dataset:stored", "stored_in", "bucket:share")
    fired = {f.asset_id: f for f in estate.run("access_store_unencrypted")}
    assert set(fired) == {"bucket:share", "dataset:patients"}
    assert fired["bucket:share"].severity == "medium"
    assert fired["bucket:share"].summary == (
        "bucket share (dev, classified public) is not encrypted at rest according to the inventory; "
        "it holds dataset:stored."
    )
    assert fired["dataset:patients"].severity == "high"


def test_fires_on_deleted_bucket_encryption_of_a_bucket_holding_ml_assets(estate):
    estate.asset("bucket:models", "bucket", locators=("s3://models/",), environment="prod", encrypted=True)
    estate.asset(
        "model:fraud@3", "model", locators=("s3://models/fraud/3/",), environment="prod", encrypted=True
    )
    deleted = estate.event(
        T0, ADMIN, "DeleteBucketEncryption", "s3://models", asset_id="bucket:models", event_id="ct-1"
    )
    (f,) = estate.run("access_store_unencrypted")
    assert f.event_ids == [deleted] and f.severity == "high" and f.principal == ADMIN
    assert f.key == "models|DeleteBucketEncryption|ct-1" and f.asset_id == "bucket:models"
    assert "ops deleted the default-encryption configuration of models" in f.summary
    assert "1 ML asset (model:fraud@3, 1 in production)" in f.summary


def test_quiet_for_encrypted_or_unknown_stores_and_non_ml_buckets(estate):
    estate.asset("bucket:models", "bucket", locators=("s3://models/",), environment="prod", encrypted=True)
    estate.asset("dataset:unknown", "dataset", environment="prod")
    estate.asset("endpoint:api", "endpoint", environment="prod", encrypted=False)  # not a store
    estate.event(T0, ADMIN, "DeleteBucketEncryption", "s3://web-logs")
    estate.event(T0, ADMIN, "DeleteBucketEncryption", "s3://models", status_code="403")
    assert estate.run("access_store_unencrypted") == []
