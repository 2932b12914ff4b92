"""inventory_asset_shadow: ML resources in logs or on disk no inventory knows become discovered assets."""

from __future__ import annotations

from analyzers.engine import analyze
from mlspm.ingest.linking import relink_all
from tests.analyzers.conftest import T0, hours

ID = "inventory_asset_shadow"
ACCT = "111122223333"
SM = f"arn:aws:sagemaker:us-east-1:{ACCT}"
MEI = f"arn:aws:sts::{ACCT}:assumed-role/AWSReservedSSO_MLEngineer_abc/mei@example.com"
APP = f"arn:aws:sts::{ACCT}:assumed-role/assistant-app/i-0abc"
SERVING = f"arn:aws:sts::{ACCT}:assumed-role/ml-serving/SageMaker"
ARTIFACT = "s3://models/experiments/poc/model.tar.gz"


def _inventory(estate):
    estate.asset("bucket:models", "bucket", "models", locators=("s3://models/",))
    estate.asset("model:fraud@1", "model", "fraud", locators=("s3://models/fraud/1/", f"{SM}:model/fraud-1"))
    estate.asset("registry:fraud", "registry", "fraud", locators=(f"{SM}:model-package-group/fraud",))
    estate.asset("endpoint:fraud-prod", "endpoint", "fraud-prod", locators=(f"{SM}:endpoint/fraud-prod",))


def _poc(estate):
    """An engineer uploads a model under an unregistered prefix, deploys it, and an app calls it."""
    ids = {
        "put": estate.event(T0, MEI, "REST.PUT.OBJECT", ARTIFACT),
        "model": estate.event(
            T0 + hours(0.1),
            MEI,
            "CreateModel",
            f"{SM}:model/poc",
            raw={"requestParameters": {"modelName": "poc", "primaryContainer": {"modelDataUrl": ARTIFACT}}},
        ),
        "config": estate.event(
            T0 + hours(0.2),
            MEI,
            "CreateEndpointConfig",
            f"{SM}:endpoint-config/poc-config",
            raw={"requestParameters": {"productionVariants": [{"modelName": "poc"}]}},
        ),
        "endpoint": estate.event(
            T0 + hours(0.3),
            MEI,
            "CreateEndpoint",
            f"{SM}:endpoint/poc",
            raw={"requestParameters": {"endpointName": "poc", "endpointConfigName": "poc-config"}},
        ),
        "pull": estate.event(T0 + hours(0.4), SERVING, "REST.GET.OBJECT", ARTIFACT),
    }
    ids["calls"] = estate.events(
        3, T0 + hours(1), hours(1), MEI, "InvokeEndpoint", f"{SM}:endpoint/poc"
    ) + estate.events(5, T0 + hours(2), hours(1), APP, "InvokeEndpoint", f"{SM}:endpoint/poc")
    return ids


def _link(estate):
    estate.flush()
    with estate.store.cursor() as cur:
        relink_all(cur)


def test_a_shadow_endpoint_and_model_are_discovered_with_who_created_and_used_them(estate):
    _inventory(estate)
    ids = _poc(estate)
    _link(estate)
    fired = {f.asset_id: f for f in estate.run(ID)}
    assert set(fired) == {"endpoint:poc", "model:poc"}
    endpoint = fired["endpoint:poc"]
    assert endpoint.principal == MEI and endpoint.resource == f"{SM}:endpoint/poc"
    assert endpoint.event_ids == sorted([ids["config"], ids["endpoint"], *ids["calls"]])
    assert (
        "SageMaker endpoint poc" in endpoint.summary and "with endpoint-config/poc-config" in endpoint.summary
    )
    assert "invoked 8 times by 2 principals (assistant-app/i-0abc 5, " in endpoint.summary
    model = fired["model:poc"]
    assert model.event_ids == sorted([ids["put"], ids["model"], ids["pull"]])
    assert (
        f"artifact {ARTIFACT}" in model.summary and "downloaded by ml-serving/SageMaker on" in model.summary
    )
    found = {a.asset_id: a for a in estate.discovered}
    assert found["model:poc"].kind == "model"
    assert set(found["model:poc"].locators) == {f"{SM}:model/poc", "s3://models/experiments/poc/"}
    assert set(found["endpoint:poc"].locators) == {f"{SM}:endpoint/poc", f"{SM}:endpoint-config/poc-config"}


def test_quiet_for_inventoried_resources_failed_calls_and_non_model_files(estate):
    _inventory(estate)
    estate.event(T0, MEI, "InvokeEndpoint", f"{SM}:endpoint/fraud-prod")
    estate.event(T0, MEI, "DescribeModelPackage", f"{SM}:model-package/fraud/7")  # a version of a known group
    estate.event(T0, MEI, "DescribeModel", f"{SM}:model/guessed", status_code="ValidationException")
    estate.event(T0, MEI, "CreateEndpointConfig", f"{SM}:endpoint-config/fraud-prod-v2")
    estate.event(
        T0,
        MEI,
        "UpdateEndpoint",
        f"{SM}:endpoint/fraud-prod",
        raw={"requestParameters": {"endpointName": "fraud-prod", "endpointConfigName": "fraud-prod-v2"}},
    )
    estate.event(T0, MEI, "REST.GET.OBJECT", "s3://models/fraud/1/model.pkl")
    estate.event(T0, MEI, "REST.GET.OBJECT", "s3://models/reports/q1.parquet")
    estate.event(T0, MEI, "InvokeModel", "anthropic.claude-3-5-haiku-20241022-v1:0")
    estate.scan("/srv/copy/models/fraud/1/model.pkl", "scanned", sha256="ee" * 32, run_id=2, scanned_at=T0)
    _link(estate)
    assert estate.run(ID) == []
    assert estate.discovered == []


def test_weights_in_an_uncovered_folder_and_unlinked_scanned_files(estate):
    _inventory(estate)
    down = estate.events(
        2,
        T0,
        hours(1),
        MEI,
        "REST.GET.OBJECT",
        "s3://models/tmp/llm/adapter.safetensors",
        auth_type="QueryString",
    )
    scan = estate.scan("/home/x/models/tmp/llm/adapter.safetensors", "skipped", run_id=2, scanned_at=T0)
    lone = estate.scan(
        "/opt/weights/net.pt", "issue", module_operator="builtins.exec", run_id=2, scanned_at=T0
    )
    _link(estate)
    fired = {f.asset_id: f for f in estate.run(ID)}
    assert set(fired) == {"model:models/tmp/llm", "model:/opt/weights"}
    folder = fired["model:models/tmp/llm"]
    assert folder.event_ids == down and folder.scan_ids == [scan]
    assert "model files under s3://models/tmp/llm/ (adapter.safetensors)" in folder.summary
    assert "downloaded by AWSReservedSSO_MLEngineer_abc/mei@example.com twice" in folder.summary
    assert (
        fired["model:/opt/weights"].scan_ids == [lone]
        and "flagged builtins.exec" in fired["model:/opt/weights"].summary
    )


def test_discovered_assets_keep_their_findings_when_analysis_runs_again(estate):
    _inventory(estate)
    _poc(estate)
    _link(estate)
    first = analyze(estate.store, only=[ID])
    second = analyze(estate.store, only=[ID])
    assert (first.new, first.discovered_assets) == (2, 2)
    assert (second.new, second.still_active, second.no_longer_firing) == (0, 2, 0)
    with estate.store.cursor() as cur:
        linked = cur.execute("SELECT count(*) FROM access_events WHERE asset_id = 'endpoint:poc'").fetchall()
    assert linked == [(10,)]
