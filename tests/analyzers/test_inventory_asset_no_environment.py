"""inventory_asset_no_environment: inventory entries without an environment fire, with lineage hints."""

from __future__ import annotations

ID = "inventory_asset_no_environment"


def test_fires_per_asset_without_environment_with_related_environments_as_hints(estate):
    estate.asset(
        "model:churn@1.3.2",
        "model",
        "churn",
        version="1.3.2",
        uri="s3://m/churn/1.3.2/",
        owner="growth@example.com",
        source="cyclonedx",
    )
    estate.asset("endpoint:churn-staging", "endpoint", "churn-staging", environment="staging")
    estate.asset("dataset:features", "dataset", "features", environment="prod")
    estate.lineage("model:churn@1.3.2", "deployed_as", "endpoint:churn-staging")
    estate.lineage("model:churn@1.3.2", "trained_on", "dataset:features")
    (f,) = estate.run(ID)
    assert f.asset_id == "model:churn@1.3.2" and f.severity is None
    assert f.summary.startswith(
        "model churn 1.3.2 (s3://m/churn/1.3.2/, growth@example.com) has no environment "
        "in the inventory (cyclonedx), so production-only checks skip it"
    )
    assert "related assets: dataset features is prod, endpoint churn-staging is staging" in f.summary
    assert f.details["related_environments"] == ["prod", "staging"]


def test_quiet_when_every_inventory_asset_has_one_and_for_discovered_assets(estate):
    estate.asset("model:a@1", "model", "a", environment="dev")
    estate.asset("model:poc", "model", "poc", source="discovered")
    assert estate.run(ID) == []
    estate.asset("bucket:b", "bucket", "b", environment="")
    assert [f.asset_id for f in estate.run(ID)] == ["bucket:b"]
    assert estate.run(ID, ignore_kinds=["bucket"]) == []
