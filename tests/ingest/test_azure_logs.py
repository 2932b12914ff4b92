"""Azure Monitor logs: the Panther Activity/Storage and Entra ID samples, diagnostic exports, rejects, detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlspm.ingest.detect import detect
from mlspm.ingest.formats.azure_logs import strip_port
from mlspm.ingest.source import take_sample

ACTIVITY = Path("panther_tests") / "azure_monitoractivity.tests.jsonl"
ENTRA = Path("panther_tests") / "azure_audit.tests.jsonl"
WS = "/subscriptions/AAAA-1111/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/fraud"


def _blob_read(i: int, **over: Any) -> dict[str, Any]:
    """A StorageRead resource-log record as a diagnostic setting writes it (7-digit fraction, ip:port)."""
    record: dict[str, Any] = {
        "time": f"2026-03-01T10:00:0{i}.1234567Z",
        "resourceId": "/subscriptions/AAAA-1111/resourceGroups/ml/providers/Microsoft.Storage/"
        "storageAccounts/mldata/blobServices/default",
        "category": "StorageRead",
        "operationName": "GetBlob",
        "statusCode": 200,
        "statusText": "Success",
        "durationMs": 12,
        "callerIpAddress": "203.0.113.5:50123",
        "correlationId": f"req-{i}",
        "identity": {"type": "OAuth", "requester": {"upn": "trainer@contoso.com", "objectId": "oid-1"}},
        "location": "westeurope",
        "uri": "https://mldata.blob.core.windows.net/datasets/train%20v2.parquet?sv=2023&sig=SECRETSIG",
        "properties": {
            "accountName": "mldata",
            "serviceType": "blob",
            "objectKey": "/mldata/datasets/train v2.parquet",
            "responseBodySize": 1048576,
            "requestBodySize": 0,
            "userAgentHeader": "azsdk-python-storage-blob/12.19.0",
            "metricResponseType": "Success",
        },
    }
    record.update(over)
    return record


def test_activity_and_storage_sample_loads_with_counts_checked_by_hand(real_samples, ingest, query):
    (f,) = ingest(real_samples / ACTIVITY).files
    # every one of the 212 test records is an Azure Monitor record with a time and an operation
    assert (f.format, f.counts.loaded, f.counts.rejected) == ("azure_logs", 212, 0)
    rows = {
        r[0]: r[1:]
        for r in query(
            "SELECT source_pos, ts::VARCHAR, principal, principal_type, account_id, source_ip, action, "
            "action_class, resource, outcome, status_code, error_message, auth_type, event_id "
            "FROM access_events WHERE source_pos IN (4, 9, 122, 141, 162, 186)"
        )
    }
    # a Storage read with a SAS token: ip:port stripped, the blob as a URL, the request id as event id
    assert rows[162] == (
        "2024-12-19 19:15:07.295+00",
        "sas:mystorageaccount",
        "SAS",
        "12345678-1234-1234-1234-123456789abc",
        "1.1.1.1",
        "getblobmetadata",
        "read",
        "https://mystorageaccount.blob.core.windows.net/corporate-files/documents/internal_doc_8.txt.ENCRYPTED",
        "failure",
        "409",
        "BlobUsesCustomerSpecifiedEncryption",
        "SAS",
        "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    )
    assert rows[4][0] == "2025-12-22 08:46:29.678707+00"  # 9 fraction digits
    assert rows[9][5:7] == ("microsoft.insights/alertrules/write", "write")  # the 'tenantId"' record loads
    # operationName as {"value", "localizedValue"}; elevating one's own access changes permissions
    assert rows[122][1:2] + rows[122][5:7] == (
        "attacker@example.com",
        "microsoft.authorization/elevateaccess/action",
        "permission_change",
    )
    assert rows[141][5:7] == ("microsoft.storage/storageaccounts/listkeys/action", "admin")
    # the SAS signature in the logged uri is not stored; the resource has no query string
    assert rows[186][7] == "https://criticaldata001.blob.core.windows.net/backups/data.zip"
    assert query("SELECT count(*) FROM access_events WHERE raw LIKE '%sig=SIGNATURE_HERE%'") == [(0,)]
    # one operation in three spellings is one action
    assert query(
        "SELECT count(*) FROM access_events WHERE action = 'microsoft.storage/storageaccounts/write'"
    ) == [(11,)]
    assert query("SELECT count(*) FROM access_events WHERE action <> lower(action)") == [(0,)]
    assert dict(query("SELECT outcome, count(*) FROM access_events GROUP BY 1")) == {
        "success": 199,
        "failure": 11,
        "unknown": 2,  # Advisor recommendations: 'Active'
    }


def test_entra_id_sample_loads(real_samples, ingest, query):
    (f,) = ingest(real_samples / ENTRA).files
    assert (f.format, f.counts.loaded, f.counts.rejected) == ("azure_logs", 46, 0)
    # sign-ins: the user, a failed sign-in's error code; keys in any case ('calleripaddress')
    assert query(
        "SELECT principal, action, action_class, outcome, status_code FROM access_events WHERE source_pos = 9"
    ) == [("boromir@lotr.com", "sign-in activity", "admin", "failure", "50053")]
    assert query("SELECT principal_type, source_ip, outcome FROM access_events WHERE source_pos = 12") == [
        ("ServicePrincipal", "12.12.12.12", "failure")
    ]
    assert query("SELECT action_class FROM access_events WHERE source_pos = 8") == [("permission_change",)]


def test_diagnostic_export_with_azure_ml_aks_and_bad_records(tmp_path, ingest, query):
    kube = {
        "time": "2026-03-01T10:00:09.0000000Z",
        "resourceId": "/subscriptions/AAAA-1111/resourceGroups/ml/providers/Microsoft.ContainerService/"
        "managedClusters/serving",
        "category": "kube-audit",
        "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
        "properties": {
            "log": json.dumps(
                {
                    "kind": "Event",
                    "apiVersion": "audit.k8s.io/v1",
                    "auditID": "a-1",
                    "stage": "ResponseComplete",
                    "verb": "get",
                    "requestURI": "/api/v1/namespaces/models/secrets/hf-token",
                    "user": {"username": "system:anonymous"},
                    "sourceIPs": ["198.51.100.7"],
                    "objectRef": {"resource": "secrets", "namespace": "models", "name": "hf-token"},
                    "responseStatus": {"code": 403},
                    "requestReceivedTimestamp": "2026-03-01T10:00:08.000001Z",
                }
            )
        },
    }
    records = [
        _blob_read(1),
        _blob_read(2, operationName="PutBlob", category="StorageWrite", callerIpAddress="[2001:db8::7]:443"),
        {
            "time": "2026-03-01T10:00:03.0000000Z",
            "resourceId": f"{WS}/onlineEndpoints/scoring",
            "operationName": "MICROSOFT.MACHINELEARNINGSERVICES/WORKSPACES/ONLINEENDPOINTS/SCORE/ACTION",
            "category": "Administrative",
            "resultType": "Success",
            "callerIpAddress": "198.51.100.9",
            "identity": {"claims": {"appid": "app-123"}},
        },
        {**_blob_read(4), "time": "not a time"},
        {"time": "2026-03-01T10:00:05Z", "category": "StorageRead", "properties": {}},
        {
            "time": "2026-03-01T10:00:06Z",
            "resourceId": "/tenants/t-1/providers/Microsoft.aadiam",
            "operationName": "Add member to role",
            "category": "AuditLogs",
            'tenantId"': "t-1",  # the malformed key seen in Panther's tests
        },
        kube,
    ]
    path = tmp_path / "PT1H.json"
    path.write_text(json.dumps({"records": records}))
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded, f.counts.rejected) == ("azure_logs", 5, 2)
    assert query("SELECT position, position_kind, reason FROM rejects ORDER BY 1") == [
        (4, "record", "no time (time, eventTimestamp) or it is unreadable"),
        (5, "record", "not an Azure Monitor record (no operationName)"),
    ]
    rows = query(
        "SELECT source_pos, ts::VARCHAR, principal, principal_type, account_id, region, source_ip, service, "
        "action, action_class, resource, outcome, bytes_out, duration_ms, auth_type, event_id "
        "FROM access_events ORDER BY source_pos"
    )
    assert rows[0] == (
        1,
        "2026-03-01 10:00:01.123456+00",
        "trainer@contoso.com",
        "User",
        "aaaa-1111",
        "westeurope",
        "203.0.113.5",
        "microsoft.storage",
        "getblob",
        "read",
        "https://mldata.blob.core.windows.net/datasets/train v2.parquet",
        "success",
        1048576,
        12.0,
        "OAuth",
        "req-1",
    )
    assert rows[1][6] == "2001:db8::7" and rows[1][8:10] == ("putblob", "write")
    assert rows[2][2:4] == ("app-123", "ServicePrincipal")
    assert rows[2][8:11] == (
        "microsoft.machinelearningservices/workspaces/onlineendpoints/score/action",
        "invoke",
        f"{WS}/onlineEndpoints/scoring".lower(),
    )
    assert rows[3][4] == "t-1" and rows[3][9] == "permission_change"
    # the AKS record is a Kubernetes audit event
    assert rows[4][2:3] + rows[4][8:12] == (
        "anonymous",
        "get secrets",
        "read",
        "k8s://models/secrets/hf-token",
        "failure",
    )
    assert query("SELECT count(*) FROM access_events WHERE raw LIKE '%SECRETSIG%'") == [(0,)]


def test_activity_log_cli_output_and_detection_by_content(tmp_path, ingest, query):
    # `az monitor activity-log list` output: a JSON array of the REST shape, under a misleading name
    event = {
        "caller": "mlops@contoso.com",
        "category": {"value": "Administrative", "localizedValue": "Administrative"},
        "eventDataId": "e-1",
        "eventTimestamp": "2026-03-01T10:00:00.1234567Z",
        "httpRequest": {"clientIpAddress": "192.0.2.44", "method": "PUT"},
        "operationName": {"value": "Microsoft.MachineLearningServices/workspaces/models/versions/write"},
        "resourceId": f"{WS}/models/fraud/versions/3",
        "status": {"value": "Succeeded", "localizedValue": "Succeeded"},
        "subscriptionId": "aaaa-1111",
    }
    path = tmp_path / "cloudtrail.json"
    path.write_text(
        json.dumps([event, {**event, "eventDataId": "e-2", "status": {"value": "Failed"}}], indent=2)
    )
    assert detect(take_sample(path, path.stat().st_size)).format.name == "azure_logs"
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded) == ("azure_logs", 2)
    assert query(
        "SELECT event_id, principal, source_ip, action_class, outcome FROM access_events ORDER BY 1"
    ) == [
        ("e-1", "mlops@contoso.com", "192.0.2.44", "write", "success"),
        ("e-2", "mlops@contoso.com", "192.0.2.44", "write", "failure"),
    ]


@pytest.mark.parametrize(
    ("raw", "ip"),
    [
        ("10.0.0.1:42781", "10.0.0.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("/127.0.0.1:64003", "127.0.0.1"),
        ("AzureResourceManager", "AzureResourceManager"),
    ],
)
def test_strip_port(raw, ip):
    assert strip_port(raw) == ip


def test_json_lines_that_each_wrap_records(tmp_path, ingest, query):
    # newer diagnostic exports: one {"records": [...]} object per line
    lines = [
        json.dumps({"records": [_blob_read(1), _blob_read(2)]}),
        json.dumps({"records": [_blob_read(3)]}),
    ]
    path = tmp_path / "PT1H.json"
    path.write_text("\n".join(lines) + "\n")
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded) == ("azure_logs", 3)
    assert query("SELECT source_pos, event_id FROM access_events ORDER BY 2") == [
        (1, "req-1"),
        (1, "req-2"),
        (2, "req-3"),
    ]
