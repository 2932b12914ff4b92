"""supply_artifact_flagged_in_use: who pulled, deployed or invoked a flagged model, before or after."""

from __future__ import annotations

from mlspm.ingest.linking import relink_all
from tests.analyzers.conftest import T0, days, hours

ID = "supply_artifact_flagged_in_use"
ACCT = "111122223333"
SHA = "f6" * 32
OLD_SHA = "0f" * 32
MODEL = "model:churn@1.4.0"
OLD = "model:churn@1.3.2"
ENDPOINT = "endpoint:churn-staging"
OBJECT = "s3://models/churn/1.4.0/model.pkl"
OLD_OBJECT = "s3://models/churn/1.3.2/model.pkl"
MODEL_ARN = f"arn:aws:sagemaker:us-east-1:{ACCT}:model/churn-1-4-0"
OLD_ARN = f"arn:aws:sagemaker:us-east-1:{ACCT}:model/churn-1-3-2"
EP_ARN = f"arn:aws:sagemaker:us-east-1:{ACCT}:endpoint/churn-staging"
CONFIG_ARN = f"arn:aws:sagemaker:us-east-1:{ACCT}:endpoint-config/churn-staging-1-4-0"
RAJ = f"arn:aws:iam::{ACCT}:user/raj"
DANA = f"arn:aws:iam::{ACCT}:user/dana"
BOB = f"arn:aws:iam::{ACCT}:user/bob"
DEPLOYER = f"arn:aws:sts::{ACCT}:assumed-role/serving/deploy"
SCAN_AT = T0 + days(2)


def _estate(estate, *, two_versions=False, severity="critical"):
    estate.asset(MODEL, "model", "churn", version="1.4.0", locators=(OBJECT, MODEL_ARN, SHA, EP_ARN))
    estate.asset(ENDPOINT, "endpoint", "churn-staging", locators=(EP_ARN, CONFIG_ARN))
    estate.lineage(MODEL, "deployed_as", ENDPOINT)
    if two_versions:  # the endpoint also served the previous version (both list its ARN, as an ML-BOM does)
        estate.asset(OLD, "model", "churn", version="1.3.2", locators=(OLD_OBJECT, OLD_ARN, OLD_SHA, EP_ARN))
        estate.lineage(OLD, "deployed_as", ENDPOINT)
    scan = estate.scan(
        "/srv/models/churn/1.4.0/model.pkl",
        "issue",
        sha256=SHA,
        module_operator="posix.system",
        severity=severity,
        run_id=3,
        scanned_at=SCAN_AT,
    )
    estate.scan("/srv/models/churn/1.4.0/model.pkl", "scanned", sha256=SHA, run_id=3, scanned_at=SCAN_AT)
    return scan


def _link(estate):
    estate.flush()
    with estate.store.cursor() as cur:
        relink_all(cur)


def test_each_principal_that_used_the_flagged_model_gets_one_finding(estate):
    scan = _estate(estate)
    raj = [estate.event(SCAN_AT + days(1) + hours(h), RAJ, "REST.GET.OBJECT", OBJECT) for h in (1, 3)]
    dana = estate.events(5, SCAN_AT + days(2), hours(1), DANA, "InvokeEndpoint", EP_ARN)
    deploy = [
        estate.event(SCAN_AT + hours(5), DEPLOYER, "CreateModel", MODEL_ARN),
        estate.event(SCAN_AT + hours(5.01), DEPLOYER, "CreateEndpointConfig", CONFIG_ARN),
        estate.event(SCAN_AT + hours(5.02), DEPLOYER, "UpdateEndpoint", EP_ARN),
    ]
    bob = [estate.event(T0 + hours(2), BOB, "REST.GET.OBJECT", OBJECT)]  # before the scan flagged it
    estate.event(SCAN_AT + days(1), BOB, "DescribeModel", MODEL_ARN)  # looking is not using
    estate.event(SCAN_AT + days(1), DANA, "REST.GET.OBJECT", OBJECT, status_code="403")  # refused
    _link(estate)
    fired = {f.principal: f for f in estate.run(ID)}
    assert set(fired) == {RAJ, DANA, DEPLOYER, BOB}
    f = fired[RAJ]
    assert (
        f.severity == "critical"
        and f.asset_id == MODEL
        and f.event_ids == sorted(raj)
        and f.scan_ids == [scan]
    )
    assert f.summary == (
        f"raj downloaded churn 1.4.0 (flagged CRITICAL posix.system by modelscan on "
        f"{SCAN_AT:%Y-%m-%d}) twice, last on {SCAN_AT + days(1) + hours(3):%Y-%m-%d %H:%M} UTC."
    )
    assert fired[DANA].severity == "high" and fired[DANA].event_ids == sorted(dana)
    assert "invoked churn 1.4.0 (flagged CRITICAL" in fired[DANA].summary
    assert "5 times through endpoint churn-staging" in fired[DANA].summary
    assert fired[DEPLOYER].severity == "critical" and fired[DEPLOYER].event_ids == sorted(deploy)
    assert (
        "deployed churn 1.4.0 (flagged CRITICAL posix.system by modelscan on "
        f"{SCAN_AT:%Y-%m-%d}) to endpoint churn-staging (3 calls: CreateModel, CreateEndpointConfig, "
        "UpdateEndpoint)"
    ) in fired[DEPLOYER].summary
    assert fired[BOB].severity == "medium" and fired[BOB].event_ids == bob
    assert "— before it was flagged CRITICAL posix.system" in fired[BOB].summary
    assert estate.run(ID, report_before_flag=False) and BOB not in {
        f.principal for f in estate.run(ID, report_before_flag=False)
    }


def test_an_endpoint_serving_two_versions_counts_only_calls_after_the_flagged_one_was_deployed(estate):
    _estate(estate, two_versions=True)
    estate.events(4, SCAN_AT + hours(1), hours(1), DANA, "InvokeEndpoint", EP_ARN)  # still 1.3.2
    estate.event(SCAN_AT + hours(6), DEPLOYER, "CreateModel", MODEL_ARN)
    after = estate.events(3, SCAN_AT + hours(7), hours(1), DANA, "InvokeEndpoint", EP_ARN)
    _link(estate)
    dana = next(f for f in estate.run(ID) if f.principal == DANA)
    assert dana.event_ids == sorted(after) and "3 times through endpoint churn-staging" in dana.summary


def test_without_deploy_events_a_shared_endpoints_invocations_are_not_attributed(estate):
    _estate(estate, two_versions=True)
    estate.events(2, SCAN_AT + hours(1), hours(1), DANA, "InvokeEndpoint", EP_ARN)  # no finding: unknown
    estate.events(4, SCAN_AT + hours(1), hours(1), RAJ, "InvokeEndpoint", EP_ARN)
    raj = estate.event(SCAN_AT + hours(1), RAJ, "GetObject", OBJECT)
    _link(estate)
    (f,) = estate.run(ID)
    assert f.principal == RAJ and f.event_ids == [raj]
    assert "it also invoked endpoint churn-staging 4 times, not counted" in f.summary


def test_quiet_when_the_file_was_rescanned_clean_or_the_flag_is_below_the_threshold(estate):
    _estate(estate, severity="low")
    estate.event(SCAN_AT + days(1), RAJ, "REST.GET.OBJECT", OBJECT)
    _link(estate)
    assert estate.run(ID) == []
    assert len(estate.run(ID, min_flag_severity="low")) == 1
    estate.scan(
        "/srv/models/churn/1.4.0/model.pkl", "scanned", sha256=SHA, run_id=8, scanned_at=SCAN_AT + days(3)
    )
    assert estate.run(ID, min_flag_severity="low") == []


def test_quiet_when_nobody_used_it(estate):
    _estate(estate)
    estate.event(SCAN_AT + days(1), RAJ, "REST.GET.OBJECT", "s3://models/other/model.pkl")
    _link(estate)
    assert estate.run(ID) == []


def test_a_model_known_only_by_hash_is_found_in_the_store_it_is_stored_in(estate):
    estate.asset("bucket:models", "bucket", "models", locators=("s3://models/",))
    estate.asset(MODEL, "model", "churn", version="1.4.0", locators=(SHA,))
    estate.lineage(MODEL, "stored_in", "bucket:models")
    estate.scan(
        "/mirror/models/churn/1.4.0/model.pkl",
        "issue",
        sha256=SHA,
        module_operator="posix.system",
        severity="critical",
        run_id=3,
        scanned_at=SCAN_AT,
    )
    raj = estate.event(SCAN_AT + hours(1), RAJ, "GetObject", OBJECT)
    estate.event(SCAN_AT + hours(1), RAJ, "GetObject", "s3://models/other/model.pkl")
    _link(estate)
    (f,) = estate.run(ID)
    assert f.principal == RAJ and f.event_ids == [raj] and f.severity == "critical"
