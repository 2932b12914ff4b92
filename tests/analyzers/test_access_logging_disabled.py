"""access_logging_disabled: endpoints served without data capture and switched-off invocation logging fire."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

DEPLOYER = "arn:aws:sts::111122223333:assumed-role/ml-serving/deploy"
ADMIN = "arn:aws:iam::111122223333:user/ops"
SM = "arn:aws:sagemaker:us-east-1:111122223333"


def _config(estate, ts, name, capture, asset_id=None):
    params = {"endpointConfigName": name, "productionVariants": [{"variantName": "AllTraffic"}]}
    if capture is not None:
        params["dataCaptureConfig"] = capture
    return estate.event(
        ts,
        DEPLOYER,
        "CreateEndpointConfig",
        f"{SM}:endpoint-config/{name}",
        asset_id=asset_id,
        raw={"requestParameters": params},
    )


def _deploy(estate, ts, endpoint, config, action="UpdateEndpoint", asset_id=None):
    return estate.event(
        ts,
        DEPLOYER,
        action,
        f"{SM}:endpoint/{endpoint}",
        asset_id=asset_id,
        raw={"requestParameters": {"endpointName": endpoint, "endpointConfigName": config}},
    )


def test_fires_for_an_endpoint_whose_current_config_captures_nothing(estate):
    estate.asset("endpoint:fraud", "endpoint", environment="prod")
    estate.asset("endpoint:churn", "endpoint", environment="staging")
    _config(estate, T0, "fraud-v1", {"enableCapture": True, "destinationS3Uri": "s3://capture/"})
    _deploy(estate, T0 + hours(1), "fraud", "fraud-v1", asset_id="endpoint:fraud")
    off = [
        _config(estate, T0 + days(1), "fraud-v2", {"enableCapture": False}),
        _deploy(
            estate,
            T0
            + days(
                1,
            ),
            "fraud",
            "fraud-v2",
            asset_id="endpoint:fraud",
        ),
    ]
    off += [
        _config(estate, T0 + days(2), "fraud-v3", {"EnableCapture": "false"}),
        _deploy(estate, T0 + days(2), "fraud", "fraud-v3", asset_id="endpoint:fraud"),
    ]
    churn = [
        _config(estate, T0, "churn-v1", None),
        _deploy(estate, T0, "churn", "churn-v1", "CreateEndpoint", asset_id="endpoint:churn"),
    ]
    fired = {f.asset_id: f for f in estate.run("access_logging_disabled")}
    fraud = fired["endpoint:fraud"]
    assert sorted(fraud.event_ids) == sorted(off) and fraud.severity == "medium"
    assert fraud.first_seen == T0 + days(1) and fraud.key == f"sagemaker-endpoint|{SM}:endpoint/fraud"
    assert (
        "fraud (prod) has been served without data capture since 2026-03-03 09:00 UTC: its current endpoint "
        "config fraud-v3 sets DataCaptureConfig.EnableCapture=false (2 of its 3 deploys"
    ) in fraud.summary
    assert sorted(fired["endpoint:churn"].event_ids) == sorted(churn)
    assert fired["endpoint:churn"].severity == "low"
    assert "has no DataCaptureConfig" in fired["endpoint:churn"].summary


def test_quiet_when_capture_is_back_on_or_the_endpoint_is_gone(estate):
    _config(estate, T0, "a-v1", {"enableCapture": False})
    _deploy(estate, T0, "a", "a-v1", "CreateEndpoint")
    _config(estate, T0 + hours(2), "a-v2", {"initialSamplingPercentage": 20})  # EnableCapture defaults to on
    _deploy(estate, T0 + hours(2), "a", "a-v2")
    _config(estate, T0, "b-v1", {"enableCapture": False})
    _deploy(estate, T0, "b", "b-v1", "CreateEndpoint")
    estate.event(T0 + hours(3), DEPLOYER, "DeleteEndpoint", f"{SM}:endpoint/b")
    _deploy(estate, T0, "c", "config-not-in-the-logs", "CreateEndpoint")
    assert estate.run("access_logging_disabled") == []


def test_unused_config_without_capture_is_low(estate):
    cfg = _config(estate, T0, "spare", {"enableCapture": False})
    (f,) = estate.run("access_logging_disabled")
    assert (
        f.event_ids == [cfg] and f.severity == "low" and "no endpoint deploy in the logs uses it" in f.summary
    )


def test_bedrock_logging_deleted_and_trail_stopped(estate):
    common = {"account_id": "111122223333", "region": "us-east-1"}
    deleted = estate.event(
        T0,
        ADMIN,
        "DeleteModelInvocationLoggingConfiguration",
        None,
        **common,
        raw={"requestParameters": None},
    )
    estate.events(
        7,
        T0 + hours(1),
        hours(1),
        "arn:aws:sts::111122223333:assumed-role/app/x",
        "InvokeModel",
        "anthropic.claude-3-haiku",
        service="bedrock",
        **common,
    )
    estate.event(
        T0 + hours(10),
        ADMIN,
        "PutModelInvocationLoggingConfiguration",
        None,
        **common,
        raw={
            "requestParameters": {
                "loggingConfig": {
                    "cloudWatchConfig": {"logGroupName": "bedrock"},
                    "textDataDeliveryEnabled": True,
                }
            }
        },
    )
    estate.events(
        5,
        T0 + hours(11),
        hours(1),
        "arn:aws:sts::111122223333:assumed-role/app/x",
        "InvokeModel",
        "anthropic.claude-3-haiku",
        service="bedrock",
        **common,
    )  # logged again
    stopped = estate.event(
        T0 + days(1),
        ADMIN,
        "StopLogging",
        None,
        **common,
        raw={"requestParameters": {"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}},
    )
    fired = {f.details["change"]: f for f in estate.run("access_logging_disabled")}
    bedrock = fired["DeleteModelInvocationLoggingConfiguration"]
    assert bedrock.event_ids == [deleted] and bedrock.severity == "medium"
    assert (
        "turned back on 10.0 h later, and 7 Bedrock invocations in between went unlogged" in bedrock.summary
    )
    trail = fired["StopLogging"]
    assert trail.event_ids == [stopped] and trail.severity == "high"
    assert "stopped the CloudTrail trail main" in trail.summary and "still off" in trail.summary


def test_snapshots_of_endpoints_without_capture_and_logging_that_delivers_nothing(estate):
    off = '{"data_capture": {"enabled": false, "reason": "no DataCaptureConfig"}}'
    estate.asset(
        "endpoint:fraud", "endpoint", "fraud", uri=f"{SM}:endpoint/fraud", environment="prod", tags=off
    )
    estate.asset(
        "endpoint:ok", "endpoint", "ok", uri=f"{SM}:endpoint/ok", tags='{"data_capture": {"enabled": true}}'
    )
    estate.asset(
        "service:bedrock-model-invocation-logging",
        "service",
        "bedrock-model-invocation-logging",
        tags='{"model_invocation_logging": {"enabled": false, "destinations": {}, "delivery": {"text": false}}}',
    )
    found = {f.key: f for f in estate.run("access_logging_disabled")}
    endpoint = found[f"sagemaker-endpoint|{SM}:endpoint/fraud"]
    assert endpoint.severity == "medium" and "inventory snapshot" in endpoint.summary
    assert "no DataCaptureConfig" in endpoint.summary and endpoint.asset_id == "endpoint:fraud"
    bedrock = found["bedrock-snapshot|service:bedrock-model-invocation-logging"]
    assert "delivers nothing" in bedrock.summary
    assert len(found) == 2  # the endpoint with capture on stays quiet


def test_a_snapshot_adds_nothing_when_the_logs_already_show_the_endpoint(estate):
    _config(estate, T0, "fraud-v1", {"enableCapture": False})
    _deploy(estate, T0, "fraud", "fraud-v1", "CreateEndpoint")
    off = '{"data_capture": {"enabled": false}}'
    estate.asset("endpoint:fraud", "endpoint", "fraud", uri=f"{SM}:endpoint/fraud", tags=off)
    (f,) = estate.run("access_logging_disabled")
    assert f.event_ids and "in the logs" in f.summary  # the story the logs tell, once
