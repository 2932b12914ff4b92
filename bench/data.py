"""Generated benchmark inputs (cached under bench/out/data, never committed)."""

from __future__ import annotations

import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "data"
_BASE = datetime(2026, 1, 1, tzinfo=UTC)


def generic_jsonl(events: int = 1_000_000) -> Path:
    """``events`` generic access events, one JSON object per line."""
    path = OUT / f"generic_{events}.jsonl"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    principals = [f"arn:aws:iam::123456789012:user/user{i}" for i in range(200)]
    actions = [
        ("InvokeEndpoint", "invoke"),
        ("GetObject", "read"),
        ("PutObject", "write"),
        ("ListObjects", "list"),
    ]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        for i in range(events):
            action, klass = actions[i % 4]
            ts = _BASE + timedelta(milliseconds=i * 1500 + rng.randrange(1000))
            stamp = ts.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ts.microsecond // 1000:03d}Z" if i % 3 else "Z")
            fh.write(
                json.dumps(
                    {
                        "event_id": f"ev-{i:09d}",
                        "ts": stamp,
                        "principal": principals[rng.randrange(200)],
                        "principal_type": "IAMUser",
                        "source_ip": f"10.{i % 250}.{(i // 250) % 250}.{rng.randrange(250)}",
                        "user_agent": "boto3/1.34.0 Python/3.11",
                        "service": "sagemaker",
                        "action": action,
                        "action_class": klass,
                        "resource": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep-{i % 37}",
                        "outcome": "success" if i % 50 else "failure",
                        "status_code": "200" if i % 50 else "403",
                        "bytes_in": rng.randrange(100, 5000),
                        "bytes_out": rng.randrange(100, 50000),
                        "duration_ms": round(rng.random() * 200, 3),
                    }
                )
                + "\n"
            )
    tmp.rename(path)
    return path


def cloudtrail_dir(records: int = 100_000, per_file: int = 1000) -> Path:
    """Gzipped CloudTrail delivery files (``{"Records": [...]}``) holding ``records`` events."""
    root = OUT / (f"cloudtrail_{records}" if per_file == 1000 else f"cloudtrail_{records}_by_{per_file}")
    if root.exists():
        return root
    tmp = root.with_suffix(".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    users = [f"user{i}" for i in range(50)]
    names = ["GetObject", "PutObject", "DescribeModel", "InvokeModel", "ListModels", "CreateTrainingJob"]
    n = 0
    for file_no in range((records + per_file - 1) // per_file):
        recs = []
        for _ in range(min(per_file, records - n)):
            ts = _BASE + timedelta(seconds=n * 3)
            name = names[n % len(names)]
            user = users[rng.randrange(len(users))]
            rec: dict[str, object] = {
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": f"AROAEXAMPLE:{user}",
                    "arn": f"arn:aws:sts::123456789012:assumed-role/DataScience/{user}",
                    "accountId": "123456789012",
                    "accessKeyId": "ASIAEXAMPLE",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": "AROAEXAMPLE",
                            "arn": "arn:aws:iam::123456789012:role/DataScience",
                            "accountId": "123456789012",
                            "userName": "DataScience",
                        },
                        "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
                    },
                },
                "eventTime": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "eventSource": "s3.amazonaws.com" if "Object" in name else "sagemaker.amazonaws.com",
                "eventName": name,
                "awsRegion": "us-east-1",
                "sourceIPAddress": f"198.51.100.{rng.randrange(250)}",
                "userAgent": "[aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64]",
                "requestParameters": {"bucketName": "ml-models", "key": f"models/m{n % 40}/model.tar.gz"}
                if "Object" in name
                else {"modelName": f"model-{n % 40}"},
                "responseElements": None,
                "additionalEventData": {"bytesTransferredOut": rng.randrange(10**6)}
                if "Object" in name
                else None,
                "requestID": uuid.UUID(int=rng.getrandbits(128)).hex,
                "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
                "readOnly": name.startswith(("Get", "Describe", "List")),
                "eventType": "AwsApiCall",
                "managementEvent": "Object" not in name,
                "recipientAccountId": "123456789012",
                "eventCategory": "Data" if "Object" in name else "Management",
            }
            if n % 97 == 0:
                rec["errorCode"] = "AccessDenied"
                rec["errorMessage"] = "User is not authorized"
            recs.append(rec)
            n += 1
        stamp = f"20260101T{file_no % 24:02d}{file_no % 60:02d}Z"
        name = f"123456789012_CloudTrail_us-east-1_{stamp}_{file_no:06d}.json.gz"
        with gzip.open(tmp / name, "wt", compresslevel=6) as fh:
            json.dump({"Records": recs}, fh)
    tmp.rename(root)
    return root
