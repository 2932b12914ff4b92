"""access_policy_public_grant: world-open policies, ACLs and BPA changes fire; scoped ones do not."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.analyzers.conftest import T0, hours

ADMIN = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1234/ops@example.com"
BUCKET = "s3://acme-ml-data"


def _estate(estate):
    estate.asset("bucket:acme-ml-data", "bucket", locators=(BUCKET + "/",), environment="prod")
    estate.asset("dataset:tickets", "dataset", locators=(BUCKET + "/tickets/",), environment="prod")
    estate.asset("dataset:demand", "dataset", locators=(BUCKET + "/demand/",), environment="dev")


def _policy(statements, as_string=False):
    doc = {"Version": "2012-10-17", "Statement": statements}
    return json.dumps(doc) if as_string else doc


def _put_policy(estate, ts, statements, as_string=False):
    params = {"bucketName": "acme-ml-data", "bucketPolicy": _policy(statements, as_string), "policy": ""}
    return estate.event(
        ts,
        ADMIN,
        "PutBucketPolicy",
        BUCKET,
        asset_id="bucket:acme-ml-data",
        raw={"eventName": "PutBucketPolicy", "requestParameters": params},
    )


def _anonymous(estate, ts, key, ip, size, source_format):
    return estate.event(
        ts,
        "anonymous",
        "GetObject" if source_format == "cloudtrail" else "REST.GET.OBJECT",
        f"{BUCKET}/{key}",
        principal_type="anonymous",
        source_ip=ip,
        bytes_out=size,
        asset_id="dataset:tickets",
        source_format=source_format,
    )


PUBLIC_READ = {
    "Sid": "Share",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::acme-ml-data/tickets/*",
}


def test_fires_critical_with_the_anonymous_reads_while_the_policy_was_in_force(estate):
    _estate(estate)
    grant = _put_policy(estate, T0, [PUBLIC_READ], as_string=True)
    follow = []
    for i in range(4):  # each request is in both the S3 access log and CloudTrail data events
        for fmt in ("s3_access", "cloudtrail"):
            follow.append(
                _anonymous(
                    estate, T0 + hours(1 + i), f"tickets/{i}.jsonl", f"203.0.113.{i % 2}", 5_000_000, fmt
                )
            )
    estate.event(T0 + hours(6), ADMIN, "DeleteBucketPolicy", BUCKET, raw={"requestParameters": {}})
    _anonymous(estate, T0 + hours(7), "tickets/late.jsonl", "203.0.113.9", 1, "s3_access")  # after removal
    (f,) = estate.run("access_policy_public_grant")
    assert f.severity == "critical"
    assert f.asset_id == "bucket:acme-ml-data" and f.principal == ADMIN
    assert sorted(f.event_ids) == sorted([grant, *follow])
    assert 'grants s3:GetObject on tickets/* to Principal "*"' in f.summary
    assert "exposes 1 ML asset (dataset:tickets, 1 in production)" in f.summary
    assert "4 anonymous requests from 2 addresses then read 20.0 MB" in f.summary
    assert "stayed in force 6.0 h" in f.summary
    assert f.details["anonymous_requests"] == 4


def test_block_public_access_off_then_acl_grant(estate):
    _estate(estate)
    off = estate.event(
        T0,
        ADMIN,
        "PutBucketPublicAccessBlock",
        BUCKET,
        raw={
            "requestParameters": {
                "bucketName": "acme-ml-data",
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": False,
                    "IgnorePublicAcls": False,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            }
        },
    )
    acl = estate.event(
        T0 + timedelta(minutes=3),
        ADMIN,
        "PutBucketAcl",
        BUCKET,
        raw={
            "requestParameters": {
                "bucketName": "acme-ml-data",
                "AccessControlPolicy": {
                    "AccessControlList": {
                        "Grant": [
                            {
                                "Grantee": {
                                    "xsi:type": "Group",
                                    "URI": "http://acs.amazonaws.com/groups/global/AllUsers",
                                },
                                "Permission": "READ",
                            }
                        ]
                    }
                },
            }
        },
    )
    fired = {f.details["change"]: f for f in estate.run("access_policy_public_grant")}
    pab, grant = fired["PutBucketPublicAccessBlock"], fired["PutBucketAcl"]
    assert pab.event_ids == [off] and pab.severity == "high"
    assert "turned off the Block Public Access settings BlockPublicAcls, IgnorePublicAcls" in pab.summary
    assert "a public grant followed 3 min later" in pab.summary and "still off" in pab.summary
    assert grant.event_ids == [acl] and grant.severity == "critical"
    assert "AllUsers: READ" in grant.summary


def test_object_acl_header_and_registry_policy(estate):
    estate.asset("registry:churn", "registry", environment="staging")
    estate.event(
        T0,
        ADMIN,
        "PutObjectAcl",
        "s3://other-bucket/x.bin",
        raw={
            "requestParameters": {
                "bucketName": "other-bucket",
                "key": "x.bin",
                "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"',
            }
        },
    )
    group = "arn:aws:sagemaker:us-east-1:111122223333:model-package-group/churn"
    estate.event(
        T0,
        ADMIN,
        "PutModelPackageGroupPolicy",
        group,
        asset_id="registry:churn",
        raw={
            "requestParameters": {
                "modelPackageGroupName": "churn",
                "resourcePolicy": json.dumps(
                    _policy(
                        [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": ["*"]},
                                "Action": "sagemaker:DescribeModelPackage",
                                "Resource": group + "/*",
                            }
                        ]
                    )
                ),
            }
        },
    )
    fired = {f.details["change"]: f for f in estate.run("access_policy_public_grant")}
    assert fired["PutObjectAcl"].severity == "medium"  # no inventoried ML asset in that bucket
    assert "AuthenticatedUsers: READ" in fired["PutObjectAcl"].summary
    assert fired["PutModelPackageGroupPolicy"].severity == "high"
    assert fired["PutModelPackageGroupPolicy"].asset_id == "registry:churn"


def test_quiet_for_scoped_policies_private_acls_and_blocks_on(estate):
    _estate(estate)
    _put_policy(
        estate,
        T0,
        [
            {**PUBLIC_READ, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}}},
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::acme-ml-data/*",
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::acme-ml-data/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    )
    estate.event(
        T0,
        ADMIN,
        "PutBucketAcl",
        BUCKET,
        raw={
            "requestParameters": {
                "bucketName": "acme-ml-data",
                "AccessControlPolicy": {
                    "AccessControlList": {
                        "Grant": [
                            {
                                "Grantee": {"xsi:type": "CanonicalUser", "ID": "abc123"},
                                "Permission": "FULL_CONTROL",
                            }
                        ]
                    }
                },
            }
        },
    )
    estate.event(
        T0,
        ADMIN,
        "PutBucketPublicAccessBlock",
        BUCKET,
        raw={
            "requestParameters": {
                "bucketName": "acme-ml-data",
                "PublicAccessBlockConfiguration": dict.fromkeys(
                    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
                    True,
                ),
            }
        },
    )
    _put_policy(estate, T0 + hours(1), [PUBLIC_READ])  # ... but this one failed
    estate.flush()
    with estate.store.cursor() as cur:
        cur.execute("UPDATE access_events SET outcome = 'failure' WHERE ts = ?", [T0 + hours(1)])
    assert estate.run("access_policy_public_grant") == []


def test_open_condition_values_do_not_restrict(estate):
    _estate(estate)
    _put_policy(estate, T0, [{**PUBLIC_READ, "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}])
    (f,) = estate.run("access_policy_public_grant")
    assert "no anonymous request followed" in f.summary and "still in force" in f.summary
