"""usage_weights_bulk_download: bulk or out-of-pattern weight downloads fire; deploy pulls never do."""

from __future__ import annotations

from tests.analyzers.conftest import T0, days, hours

ENGINEER = "arn:aws:iam::111122223333:user/dana"
ANALYST = "arn:aws:iam::111122223333:user/omar"
SERVING_ROLE = "arn:aws:iam::111122223333:role/serving"
SERVING = "arn:aws:sts::111122223333:assumed-role/serving/SageMaker"
DEPLOYER = "arn:aws:sts::111122223333:assumed-role/serving/pipeline-deploy"
ARN = "arn:aws:sagemaker:us-east-1:111122223333"
GB = 1_000_000_000
OFFICE = "198.51.100.10"


def _models(estate, n=7, env="prod", first=0):
    for i in range(first, first + n):
        estate.asset(
            f"model:m{i}@1.0",
            "model",
            f"m{i}",
            version="1.0",
            environment=env,
            classification="restricted",
            locators=(f"s3://models/m{i}/1.0/",),
        )


def _office(estate, who, n_days=8, ip="198.51.100.10"):
    """Ordinary activity that makes the office address known."""
    for d in range(n_days):
        estate.event(T0 + days(d), who, "ListBuckets", source_ip=ip)


def _get(estate, ts, who, i, **kw):
    kw.setdefault("bytes_out", GB)
    kw.setdefault("source_ip", "198.51.100.10")
    return estate.event(
        ts,
        who,
        "REST.GET.OBJECT",
        f"s3://models/m{i}/1.0/model.pkl",
        asset_id=f"model:m{i}@1.0",
        status_code="200",
        **kw,
    )


def test_fires_on_many_new_artifacts_in_a_day_with_presigned_urls_from_a_new_address(estate):
    _models(estate)
    _office(estate, ENGINEER)
    ids = [
        _get(
            estate,
            T0 + days(9) + hours(10 + i / 3),
            ENGINEER,
            i,
            source_ip="203.0.113.9",
            auth_type="QueryString" if i % 2 else "AuthHeader",
        )
        for i in range(6)
    ]
    (f,) = estate.run("usage_weights_bulk_download")
    assert f.principal == ENGINEER and f.resource == "s3://models/"
    assert sorted(f.event_ids) == sorted(ids)
    assert "downloaded 6 model artifacts (6.0 GB; 6 new to this caller)" in f.summary
    assert "3 of 6 downloads through presigned URLs" in f.summary
    assert "203.0.113.9, an address never seen for this caller before" in f.summary
    assert f.severity is not None and f.severity.value == "high"


def test_fires_on_volume_even_with_few_artifacts(estate):
    _models(estate, 2)
    _office(estate, ENGINEER)
    ids = [_get(estate, T0 + days(9) + hours(i), ENGINEER, i, bytes_out=6 * GB) for i in range(2)]
    (f,) = estate.run("usage_weights_bulk_download")
    assert sorted(f.event_ids) == sorted(ids) and "12.0 GB" in f.summary
    assert "0 of 2 downloads through presigned URLs" in f.summary and "never seen" not in f.summary


def test_quiet_for_the_serving_role_pulling_weights_at_each_deploy(estate):
    _models(estate, 3)
    estate.asset("endpoint:fraud", "endpoint", "fraud", environment="prod")
    estate.lineage("model:m0@1.0", "deployed_as", "endpoint:fraud")
    for week in range(3):  # the pipeline deploys; the execution role pulls 20 GB per instance
        t = T0 + days(7 * week)
        estate.event(
            t,
            DEPLOYER,
            "UpdateEndpoint",
            f"{ARN}:endpoint/fraud",
            asset_id="endpoint:fraud",
            principal_role=SERVING_ROLE,
        )
        for k in range(3):
            _get(estate, t + hours(k / 60), SERVING, 0, bytes_out=20 * GB, principal_role=SERVING_ROLE)
    for i in (1, 2):  # a CreateModel naming the execution role and the artifact: no lineage needed
        t = T0 + days(15 + i)
        estate.event(
            t,
            ENGINEER,
            "CreateModel",
            f"{ARN}:model/m{i}",
            raw={
                "requestParameters": {
                    "executionRoleArn": SERVING_ROLE,
                    "primaryContainer": {"modelDataUrl": f"s3://models/m{i}/1.0/model.pkl"},
                }
            },
        )
        for k in range(3):
            _get(estate, t + hours(k / 60), SERVING, i, bytes_out=20 * GB, principal_role=SERVING_ROLE)
    assert estate.run("usage_weights_bulk_download") == []


def test_a_production_model_pulled_by_someone_who_never_pulls_it(estate):
    _models(estate, 2)
    _office(estate, ANALYST, n_days=12)
    first = _get(estate, T0 + days(10) + hours(2), ANALYST, 0)
    again = _get(estate, T0 + days(10) + hours(3), ANALYST, 0)
    (f,) = estate.run("usage_weights_bulk_download")
    assert f.asset_id == "model:m0@1.0" and f.key == f"{ANALYST}|model:m0@1.0"
    assert sorted(f.event_ids) == [first, again]
    assert (
        "pulled production model model:m0@1.0" in f.summary
        and "never downloaded any version of m0" in f.summary
    )
    assert f.severity is not None and f.severity.value == "medium"  # known address, no presigned URL


def test_an_unusual_pull_from_a_new_address_is_high_and_known_families_are_quiet(estate):
    _models(estate, 2)
    estate.asset(
        "model:m0@2.0", "model", "m0", version="2.0", environment="prod", classification="restricted"
    )
    _office(estate, ANALYST, n_days=12)
    _get(estate, T0 + days(8), ANALYST, 0)  # m0 1.0, a first pull: medium
    estate.event(
        T0 + days(11),
        ANALYST,
        "GetObject",
        "s3://models/m0/2.0/model.pkl",
        asset_id="model:m0@2.0",
        bytes_out=GB,
    )  # a new version of a model it already pulls: usual
    pulled = _get(estate, T0 + days(11) + hours(1), ANALYST, 1, source_ip="203.0.113.50")
    found = {f.asset_id: f for f in estate.run("usage_weights_bulk_download")}
    assert set(found) == {"model:m0@1.0", "model:m1@1.0"}
    assert found["model:m1@1.0"].event_ids == [pulled]
    assert found["model:m1@1.0"].severity is not None and found["model:m1@1.0"].severity.value == "high"


def test_quiet_inside_the_learning_period_and_for_non_production_models(estate):
    _models(estate, 2, env="dev")
    _get(estate, T0 + days(9), ANALYST, 0)  # dev model: not a production pull
    _models(estate, 1, first=2)
    _get(estate, T0 + days(1), ENGINEER, 2)  # inside the learning period
    assert estate.run("usage_weights_bulk_download") == []


def test_a_bulk_download_inside_the_learning_period_is_medium(estate):
    _models(estate)
    for i in range(5):
        _get(estate, T0 + hours(i), ENGINEER, i)
    (f,) = estate.run("usage_weights_bulk_download")
    assert f.severity is not None and f.severity.value == "medium"


def test_a_first_pull_from_a_shared_office_or_private_address_is_not_from_a_new_place(estate):
    _models(estate, 2)
    for d in range(9):  # three colleagues already use the office address; the analyst has other history
        for who in ("a", "b", "c"):
            estate.event(
                T0 + days(d), f"arn:aws:iam::111122223333:user/{who}", "ListBuckets", source_ip=OFFICE
            )
        estate.event(T0 + days(d), ANALYST, "ListBuckets", source_ip="198.51.100.77")
    _get(estate, T0 + days(9), ANALYST, 0, source_ip=OFFICE)  # first use of the office address
    _get(estate, T0 + days(9), ENGINEER, 1, source_ip="10.40.91.41")  # a fresh private address
    found = estate.run("usage_weights_bulk_download")
    assert len(found) == 2
    assert all(f.severity is not None and f.severity.value == "medium" for f in found)
    assert all("never seen" not in f.summary for f in found)


def test_a_nightly_job_is_one_caller_whatever_its_session_names(estate):
    _models(estate, 6)
    role = "arn:aws:iam::111122223333:role/model-eval"
    for d in range(12):  # every night, all six models, under a new session name
        session = f"arn:aws:sts::111122223333:assumed-role/model-eval/botocore-session-17000000{d:02d}"
        for i in range(6):
            _get(
                estate,
                T0 + days(d) + hours(15 + i / 10),
                session,
                i,
                principal_role=role,
                source_ip="10.0.0.5",
            )
    (f,) = estate.run("usage_weights_bulk_download")  # the first night only: afterwards nothing is new
    assert f.key.startswith(f"{role}|") and f.principal.endswith("/botocore-session-1700000000")
    assert f.severity is not None and f.severity.value == "medium"  # inside the learning period
