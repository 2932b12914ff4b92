"""access_permission_wildcard: grants to everyone / of everything and IAM wildcards fire; scoped ones not."""

from __future__ import annotations

import json
from urllib.parse import quote

from tests.analyzers.conftest import T0, hours

ADMIN = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1234/ops@example.com"
CI_ROLE = "arn:aws:iam::111122223333:role/ci-deployer"
CI_SESSION = "arn:aws:sts::111122223333:assumed-role/ci-deployer/build-42"


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _iam(estate, ts, action, **params):
    return estate.event(
        ts,
        ADMIN,
        action,
        CI_ROLE if "roleName" in params else None,
        account_id="111122223333",
        raw={
            "eventName": action,
            "requestParameters": params,
            "responseElements": params.pop("_response", None),
        },
    )


def test_fires_on_inventory_grants_to_everyone_and_blanket_privileges(estate):
    estate.asset("dataset:clicks", "dataset", environment="prod")
    estate.asset("model:demo@1", "model", environment="dev")
    estate.permission("*", "dataset:clicks", "write")
    estate.permission("arn:aws:iam::*:role/*", "model:demo@1", "read")
    estate.permission(CI_ROLE, "model:demo@1", "admin")
    estate.permission(CI_ROLE, "dataset:clicks", "read")  # an ordinary grant
    fired = {(f.principal, f.asset_id): f for f in estate.run("access_permission_wildcard")}
    assert set(fired) == {
        ("*", "dataset:clicks"),
        ("arn:aws:iam::*:role/*", "model:demo@1"),
        (CI_ROLE, "model:demo@1"),
    }
    assert fired["*", "dataset:clicks"].severity == "critical"
    assert "grants write on dataset dataset:clicks (prod) to everyone" in fired["*", "dataset:clicks"].summary
    assert fired["arn:aws:iam::*:role/*", "model:demo@1"].severity == "high"
    assert fired[CI_ROLE, "model:demo@1"].severity == "medium"


def test_fires_on_admin_attachment_with_what_the_grantee_does_with_ml_assets(estate):
    estate.asset("model:fraud@3", "model", environment="prod")
    estate.permission(CI_ROLE, "model:fraud@3", "read")
    estate.events(
        5,
        T0,
        hours(1),
        CI_SESSION,
        "GetObject",
        "s3://models/fraud/3/model.pkl",
        asset_id="model:fraud@3",
        principal_role=CI_ROLE,
    )
    attach = _iam(
        estate,
        T0 + hours(8),
        "AttachRolePolicy",
        roleName="ci-deployer",
        policyArn="arn:aws:iam::aws:policy/AdministratorAccess",
    )
    (f,) = estate.run("access_permission_wildcard")
    assert f.event_ids == [attach] and f.severity == "high" and f.principal == ADMIN
    assert f.resource == CI_ROLE
    assert "attached the AWS managed policy AdministratorAccess to role ci-deployer" in f.summary
    assert "every action on every resource" in f.summary
    assert "this role made 5 requests to 1 ML asset and the inventory grants it access to 1" in f.summary


def test_fires_on_wildcard_documents_inline_and_via_a_created_policy(estate):
    inline = _iam(
        estate,
        T0,
        "PutRolePolicy",
        roleName="ci-deployer",
        policyName="ml-all",
        policyDocument=quote(_doc({"Effect": "Allow", "Action": ["s3:*", "sagemaker:*"], "Resource": "*"})),
    )
    policy_arn = "arn:aws:iam::111122223333:policy/everything"
    _iam(
        estate,
        T0 + hours(1),
        "CreatePolicy",
        policyName="everything",
        policyDocument=_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        _response={"policy": {"arn": policy_arn, "policyName": "everything"}},
    )
    attach = _iam(estate, T0 + hours(2), "AttachUserPolicy", userName="mallory", policyArn=policy_arn)
    fired = {f.details["change"]: f for f in estate.run("access_permission_wildcard")}
    assert set(fired) == {"PutRolePolicy", "AttachUserPolicy"}  # creating a policy grants nothing yet
    assert fired["PutRolePolicy"].event_ids == [inline]
    assert 'allowing "s3:*", "sagemaker:*" on Resource "*"' in fired["PutRolePolicy"].summary
    assert fired["AttachUserPolicy"].event_ids == [attach]
    assert (
        'managed policy everything (which allows "*" on Resource "*") to user mallory'
        in fired["AttachUserPolicy"].summary
    )


def test_quiet_for_scoped_policies_and_ordinary_managed_policies(estate):
    _iam(
        estate,
        T0,
        "AttachRolePolicy",
        roleName="ci-deployer",
        policyArn="arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess",
    )
    _iam(
        estate,
        T0,
        "AttachRolePolicy",
        roleName="ci-deployer",
        policyArn="arn:aws:iam::111122223333:policy/AdministratorAccess",
    )  # a customer policy of that name
    _iam(
        estate,
        T0,
        "PutRolePolicy",
        roleName="ci-deployer",
        policyName="read-models",
        policyDocument=_doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::models/*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
        ),
    )
    assert estate.run("access_permission_wildcard") == []
