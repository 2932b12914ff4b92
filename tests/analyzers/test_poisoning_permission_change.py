"""poisoning_permission_change: changes that open training data or a registry to new writers fire high;
read-only exposure is medium, tightening and the usual admin's routine are low, unrelated IAM is quiet."""

from __future__ import annotations

from typing import Any

from tests.analyzers.conftest import T0, days, hours

ACCOUNT = "111122223333"
ENGINEER = f"arn:aws:iam::{ACCOUNT}:user/eng"
ADMIN = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/ann@example.com"
CI = f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/GitHubActions"
CI_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ci-deployer"
DATASET = "dataset:transactions"
BUCKET = "bucket:ml-data"
OWNER_ID = "a" * 64
OUTSIDER_ID = "b" * 64
REGISTRY = "registry:fraud"
GROUP_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package-group/fraud"


def _inventory(estate):
    estate.asset(
        DATASET, "dataset", "transactions", locators=("s3://ml-data/transactions/",), environment="prod"
    )
    estate.asset(BUCKET, "bucket", "ml-data", locators=("s3://ml-data/",), environment="prod")
    estate.lineage(DATASET, "stored_in", BUCKET)
    estate.asset("model:fraud@1", "model", "fraud", version="1")
    estate.lineage("model:fraud@1", "trained_on", DATASET)
    estate.asset(REGISTRY, "registry", "fraud", locators=(GROUP_ARN,), environment="prod")


def _ct(name: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"eventName": name, "eventSource": "s3.amazonaws.com", "requestParameters": params}


def _change(estate, ts, who, action, resource, params, asset_id=BUCKET) -> int:
    return estate.event(
        ts,
        who,
        action,
        resource,
        asset_id=asset_id,
        action_class="permission_change",
        account_id=ACCOUNT,
        source_format="cloudtrail",
        raw=_ct(action, params),
    )


def _acl(*grants: tuple[str, str]) -> dict[str, Any]:
    return {
        "bucketName": "ml-data",
        "AccessControlPolicy": {
            "Owner": {"ID": OWNER_ID},
            "AccessControlList": {
                "Grant": [
                    {"Grantee": {"xsi:type": "CanonicalUser", "ID": gid}, "Permission": p}
                    for gid, p in grants
                ]
            },
        },
    }


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"bucketName": "ml-data", "bucketPolicy": {"Version": "2012-10-17", "Statement": list(statements)}}


PUBLIC_READ = {
    "Sid": "Share",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::ml-data/transactions/*",
}
TLS_ONLY = {
    "Sid": "TLS",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": "arn:aws:s3:::ml-data/*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_an_acl_granting_write_to_another_account_on_training_data_is_high(estate):
    _inventory(estate)
    ct = _change(
        estate,
        T0,
        ENGINEER,
        "PutBucketAcl",
        "s3://ml-data",
        _acl((OWNER_ID, "FULL_CONTROL"), (OUTSIDER_ID, "WRITE"), (OUTSIDER_ID, "READ")),
    )
    log = estate.event(
        T0, ENGINEER, "REST.PUT.ACL", "s3://ml-data", asset_id=BUCKET, source_format="s3_access"
    )
    (f,) = estate.run("poisoning_permission_change")
    assert f.principal == ENGINEER and f.asset_id == BUCKET
    assert sorted(f.event_ids) == sorted([ct, log])
    assert f.severity is not None and f.severity.value == "high"
    assert "eng changed permissions on bucket ml-data (holds training datasets transactions)" in f.summary
    assert "PutBucketAcl grants READ, WRITE to canonical user bbbbbb…bbbb, not the owner" in f.summary
    assert "REST.PUT.ACL" not in f.summary  # the access-log copy of the same change adds nothing
    assert "its first permission change there" in f.summary


def test_a_policy_attached_to_a_role_that_then_writes_training_data_is_high(estate):
    _inventory(estate)
    attach = estate.event(
        T0,
        ENGINEER,
        "AttachRolePolicy",
        CI_ROLE,
        action_class="permission_change",
        source_format="cloudtrail",
        raw=_ct(
            "AttachRolePolicy",
            {"roleName": "ci-deployer", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/data-rw"},
        ),
    )
    write = estate.event(T0 + hours(7), CI, "PutObject", "s3://ml-data/transactions/x.csv", asset_id=DATASET)
    (f,) = estate.run("poisoning_permission_change")
    assert f.principal == ENGINEER and f.resource == CI_ROLE
    assert sorted(f.event_ids) == [attach, write]
    assert f.severity is not None and f.severity.value == "high"
    assert "changed permissions on role ci-deployer" in f.summary and "AttachRolePolicy data-rw" in f.summary
    assert "7 h later that role wrote 1 object into transactions" in f.summary


def test_quiet_for_a_read_only_policy_on_an_unrelated_role(estate):
    """BEN-07: CloudWatchReadOnlyAccess attached to the CI role, which does not touch training data."""
    _inventory(estate)
    estate.event(
        T0,
        ADMIN,
        "AttachRolePolicy",
        CI_ROLE,
        action_class="permission_change",
        source_format="cloudtrail",
        raw=_ct(
            "AttachRolePolicy",
            {"roleName": "ci-deployer", "policyArn": "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"},
        ),
    )
    estate.event(T0 + days(8), CI, "PutObject", "s3://ml-data/transactions/x.csv", asset_id=DATASET)
    assert estate.run("poisoning_permission_change") == []


def test_public_read_is_medium_and_removing_it_is_low(estate):
    _inventory(estate)
    _change(
        estate,
        T0,
        ADMIN,
        "PutBucketPublicAccessBlock",
        "s3://ml-data",
        {
            "bucketName": "ml-data",
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": False,
                "IgnorePublicAcls": False,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": False,
            },
        },
    )
    _change(
        estate, T0 + hours(0.05), ADMIN, "PutBucketPolicy", "s3://ml-data", _policy(PUBLIC_READ, TLS_ONLY)
    )
    _change(estate, T0 + days(1), ADMIN, "DeleteBucketPolicy", "s3://ml-data", {"bucketName": "ml-data"})
    opened, closed = sorted(estate.run("poisoning_permission_change"), key=lambda f: f.first_seen)
    assert opened.severity is not None and opened.severity.value == "medium"
    assert "turns off Block Public Access" in opened.summary
    assert "PutBucketPolicy allows s3:GetObject to everyone (*)" in opened.summary
    assert closed.severity is not None and closed.severity.value == "low"
    assert "deletes the policy that allowed s3:GetObject to everyone (*)" in closed.summary


def test_the_usual_administrators_routine_change_is_low(estate):
    _inventory(estate)
    for d in range(3):
        _change(estate, T0 + days(7 * d), ADMIN, "PutBucketPolicy", "s3://ml-data", _policy(TLS_ONLY))
    fired = sorted(estate.run("poisoning_permission_change"), key=lambda f: f.first_seen)
    assert [f.severity.value for f in fired if f.severity] == ["medium", "medium", "low"]
    assert "it changed permissions there on 2 earlier days (routine)" in fired[-1].summary


def test_a_new_write_grant_in_a_bucket_policy_is_high_and_diffed_against_the_last_one(estate):
    _inventory(estate)
    writer = {
        "Sid": "Vendor",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
        "Action": ["s3:PutObject"],
        "Resource": "arn:aws:s3:::ml-data/transactions/*",
    }
    _change(estate, T0, ADMIN, "PutBucketPolicy", "s3://ml-data", _policy(TLS_ONLY))
    _change(estate, T0 + days(1), ADMIN, "PutBucketPolicy", "s3://ml-data", _policy(TLS_ONLY, writer))
    _change(estate, T0 + days(2), ADMIN, "PutBucketPolicy", "s3://ml-data", _policy(TLS_ONLY, writer))
    first, grant, same = sorted(estate.run("poisoning_permission_change"), key=lambda f: f.first_seen)
    assert "sets a policy granting no write or outside access" in first.summary
    assert grant.severity is not None and grant.severity.value == "high"
    assert "allows s3:PutObject to outside account 999988887777" in grant.summary
    assert same.severity is not None and same.severity.value == "low"  # nothing new, by the usual admin
    assert "replaces the policy without opening new access" in same.summary


def test_a_registry_policy_letting_another_account_register_models_is_high(estate):
    _inventory(estate)
    doc = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'
        '999988887777:root"},"Action":["sagemaker:CreateModelPackage"],"Resource":"*"}]}'
    )
    ev = estate.event(
        T0,
        ADMIN,
        "PutModelPackageGroupPolicy",
        GROUP_ARN,
        asset_id=REGISTRY,
        account_id=ACCOUNT,
        action_class="permission_change",
        source_format="cloudtrail",
        raw=_ct("PutModelPackageGroupPolicy", {"modelPackageGroupName": "fraud", "resourcePolicy": doc}),
    )
    (f,) = estate.run("poisoning_permission_change")
    assert f.event_ids == [ev] and f.asset_id == REGISTRY
    assert f.severity is not None and f.severity.value == "high"
    assert "model registry fraud" in f.summary
    assert "allows sagemaker:CreateModelPackage to outside account 999988887777" in f.summary


def test_an_inline_policy_on_the_training_role_counts_only_for_training_data(estate):
    _inventory(estate)
    role = f"arn:aws:iam::{ACCOUNT}:role/trainer"
    estate.event(
        T0 - days(1),
        ADMIN,
        "CreateTrainingJob",
        source_format="cloudtrail",
        raw={
            "eventName": "CreateTrainingJob",
            "requestParameters": {
                "trainingJobName": "weekly",
                "roleArn": role,
                "inputDataConfig": [
                    {"dataSource": {"s3DataSource": {"s3Uri": "s3://ml-data/transactions/"}}}
                ],
            },
        },
    )

    def put_role_policy(ts, bucket):
        doc = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject",'
            f'"Resource":"arn:aws:s3:::{bucket}/*"}}]}}'
        )
        return estate.event(
            ts,
            ENGINEER,
            "PutRolePolicy",
            role,
            action_class="permission_change",
            account_id=ACCOUNT,
            source_format="cloudtrail",
            raw=_ct("PutRolePolicy", {"roleName": "trainer", "policyName": "p", "policyDocument": doc}),
        )

    put_role_policy(T0, "ml-data")
    put_role_policy(T0 + days(3), "scratch")
    data, other = sorted(estate.run("poisoning_permission_change"), key=lambda f: f.first_seen)
    assert data.severity is not None and data.severity.value == "high"
    assert "PutRolePolicy grants s3:PutObject" in data.summary
    assert "it is the training role of weekly" in data.summary
    assert other.severity is not None and other.severity.value == "medium"
    assert "grants no write on training data or registries" in other.summary
