"""supply_model_pickle_in_prod: production pickles fire; safe formats and dev models do not."""

from __future__ import annotations

from mlspm.ingest.linking import relink_all
from tests.analyzers.conftest import T0

ID = "supply_model_pickle_in_prod"


def _link(estate):
    estate.flush()
    with estate.store.cursor() as cur:
        relink_all(cur)


def test_fires_for_a_production_pickle_and_says_what_its_scan_found(estate):
    estate.asset(
        "model:fraud@3.3.0",
        "model",
        "fraud",
        version="3.3.0",
        environment="prod",
        format="pickle",
        uri="s3://m/fraud/3.3.0/",
        locators=("s3://m/fraud/3.3.0/model.pkl", "aa" * 32),
    )
    estate.asset("endpoint:fraud-prod", "endpoint", "fraud-prod", environment="prod")
    estate.lineage("model:fraud@3.3.0", "deployed_as", "endpoint:fraud-prod")
    sid = estate.scan("/scans/m/fraud/3.3.0/model.pkl", "scanned", sha256="aa" * 32, run_id=4, scanned_at=T0)
    _link(estate)
    (f,) = estate.run(ID)
    assert f.asset_id == "model:fraud@3.3.0" and f.severity is None and f.scan_ids == [sid]
    assert f.resource == "s3://m/fraud/3.3.0/model.pkl"
    assert f.summary.startswith(
        "Production model fraud 3.3.0 (inventory environment prod, serving fraud-prod)"
    )
    assert "artifact s3://m/fraud/3.3.0/model.pkl, format 'pickle'" in f.summary
    assert "found no unsafe operator" in f.summary


def test_quiet_for_safe_formats_and_non_production_models(estate):
    # PyTorch, but stored as safetensors; a dev pickle; a prod safetensors file
    estate.asset(
        "model:tc@2",
        "model",
        "tc",
        environment="prod",
        format="pytorch",
        locators=("s3://m/tc/2/model.safetensors",),
    )
    estate.asset(
        "model:exp@1",
        "model",
        "exp",
        environment="dev",
        format="pickle",
        locators=("s3://m/exp/1/model.pkl",),
    )
    estate.asset("model:onnx@1", "model", "onnx", environment="prod", format="ONNX")
    estate.asset("dataset:feats", "dataset", "feats", environment="prod", locators=("s3://d/feats.pkl",))
    assert estate.run(ID) == []


def test_extension_scan_member_and_deployment_to_a_prod_endpoint_each_count(estate):
    estate.asset("model:a@1", "model", "a", environment="prod", locators=("s3://m/a/1/weights.PT",))
    estate.asset("model:b@1", "model", "b", environment="prod", locators=("bb" * 32,))
    estate.scan(
        "/scans/b.bin",
        "issue",
        member="archive/data.pkl",
        sha256="bb" * 32,
        run_id=2,
        scanned_at=T0,
        module_operator="builtins.exec",
    )
    estate.asset("model:c@1", "model", "c", format="joblib")  # no environment of its own...
    estate.asset("endpoint:live", "endpoint", "live", environment="prod")
    estate.lineage("model:c@1", "deployed_as", "endpoint:live")  # ...but it serves production
    _link(estate)
    fired = {f.asset_id: f for f in estate.run(ID)}
    assert set(fired) == {"model:a@1", "model:b@1", "model:c@1"}
    assert "artifact s3://m/a/1/weights.pt" in fired["model:a@1"].summary
    assert "deployed as endpoint live (prod)" in fired["model:c@1"].summary
    assert "scanned file /scans/b.bin" in fired["model:b@1"].summary
    assert "flagged builtins.exec" in fired["model:b@1"].summary


def test_production_is_a_parameter(estate):
    estate.asset("model:a@1", "model", "a", environment="staging", format="dill")
    assert estate.run(ID) == []
    assert [f.asset_id for f in estate.run(ID, environments=["prod", "staging"])] == ["model:a@1"]
    assert estate.run(ID, environments=[]) == []
