"""GCP Cloud Audit Logs: the Panther sample, a sink export with Vertex AI calls, rejects, detection by content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlspm.ingest.detect import detect
from mlspm.ingest.source import take_sample

PANTHER = Path("panther_tests") / "gcp_auditlog.tests.jsonl"


def _entry(i: int = 0, **payload: Any) -> dict[str, Any]:
    """A data_access entry as a log sink writes it (nanosecond time, URL-encoded logName)."""
    proto: dict[str, Any] = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "status": {},
        "authenticationInfo": {"principalEmail": "trainer@ml-prod.iam.gserviceaccount.com"},
        "requestMetadata": {"callerIp": "203.0.113.9", "callerSuppliedUserAgent": "python-requests/2.32"},
        "serviceName": "storage.googleapis.com",
        "methodName": "storage.objects.get",
        "resourceName": f"projects/_/buckets/ml-datasets/objects/train/part-{i}.parquet",
        "authorizationInfo": [{"permission": "storage.objects.get", "granted": True}],
    }
    proto.update(payload)
    return {
        "insertId": f"id-{i}",
        "logName": "projects/ml-prod/logs/cloudaudit.googleapis.com%2Fdata_access",
        "protoPayload": proto,
        "resource": {"type": "gcs_bucket", "labels": {"project_id": "ml-prod", "location": "us-central1"}},
        "timestamp": f"2026-03-01T10:00:{i:02d}.123456789Z",
        "receiveTimestamp": f"2026-03-01T10:00:{i:02d}.500000000Z",
        "severity": "INFO",
    }


def _lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_panther_sample_loads_with_counts_checked_by_hand(real_samples, ingest, query):
    report = ingest(real_samples / PANTHER)
    (f,) = report.files
    # 175 test records: 145 audit entries load; 19 are other log types (GSuite, OneLogin, GitHub,
    # Zendesk, Asana, or no protoPayload at all) and 11 audit entries carry no time anywhere
    assert (f.format, f.counts.loaded, f.counts.duplicate, f.counts.rejected) == ("gcp_audit", 145, 0, 30)
    assert dict(query("SELECT reason, count(*) FROM rejects GROUP BY 1")) == {
        "not a Cloud Audit Log entry (no protoPayload)": 19,
        "no timestamp (nor requestMetadata.requestAttributes.time)": 11,
    }
    rows = {
        r[0]: r[1:]
        for r in query(
            "SELECT source_pos, ts::VARCHAR, principal, source_ip, action, action_class, resource, outcome, "
            "status_code FROM access_events WHERE source_pos IN (2, 50, 52, 146, 154)"
        )
    }
    # a GCS read: Panther's space-separated nanosecond time, the object as gs://
    assert rows[52] == (
        "2025-12-15 15:55:03.915792+00",
        "denethor@lotr.com",
        "1.2.3.4",
        "storage.objects.get",
        "read",
        "gs://source-bucket/sensitive.txt",
        "success",
        None,
    )
    # gRPC status 7 is a failure, named as google.rpc.Code names it
    assert rows[50][4:] == ("delete", "gs://test-bucket/test-file.txt", "failure", "PERMISSION_DENIED")
    assert rows[2][4:] == (
        "read",
        "//storage.googleapis.com/projects/197946410614",
        "failure",
        "PERMISSION_DENIED",
    )
    # GKE entries get the Kubernetes action and resource
    assert rows[146][3:6] == ("create pods", "write", "k8s://default/pods/test")
    assert rows[154][-2:] == ("failure", "ABORTED")
    # Panther's variants: 'at_sign_type', lower-cased 'insertid'/'logname', 'callerIP'
    assert query(
        "SELECT count(*) FROM access_events WHERE raw LIKE '%\"insertid\"%' AND event_id LIKE 'h:%'"
    ) == [(0,)]
    assert query(
        "SELECT count(*) FROM access_events WHERE raw LIKE '%\"callerIP\"%' AND source_ip IS NULL"
    ) == [(0,)]


def test_sink_export_with_vertex_ai_and_bad_records(tmp_path, ingest, query):
    path = _lines(
        tmp_path / "data_access.json",
        [
            _entry(1),
            _entry(
                2,
                serviceName="aiplatform.googleapis.com",
                methodName="google.cloud.aiplatform.v1.PredictionService.Predict",
                resourceName="projects/ml-prod/locations/us-central1/endpoints/4455",
                authenticationInfo={"principalSubject": "principal://iam.googleapis.com/locations/global/x"},
            ),
            _entry(3, status={"code": 7, "message": "Permission 'storage.objects.get' denied"}),
            "{truncated",
            {**_entry(5), "timestamp": "yesterday"},
            {
                "insertId": "x",
                "jsonPayload": {"message": "not an audit log"},
                "timestamp": "2026-03-01T10:00:06Z",
            },
            _entry(7, methodName=None, authorizationInfo=[]),
        ],
    )
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded, f.counts.rejected) == ("gcp_audit", 3, 4)
    assert query("SELECT position, reason FROM rejects ORDER BY 1")[0][0] == 4
    assert [r[0] for r in query("SELECT reason FROM rejects ORDER BY position")][1:] == [
        "no timestamp (nor requestMetadata.requestAttributes.time)",
        "not a Cloud Audit Log entry (no protoPayload)",
        "no methodName (nor a permission checked): the entry does not say what was done",
    ]
    rows = query(
        "SELECT event_id, ts::VARCHAR, principal, principal_type, account_id, region, source_ip, service, "
        "action_class, resource, outcome, status_code, error_message FROM access_events ORDER BY source_pos"
    )
    assert rows[0] == (
        "id-1",
        "2026-03-01 10:00:01.123456+00",
        "trainer@ml-prod.iam.gserviceaccount.com",
        "ServiceAccount",
        "ml-prod",
        "us-central1",
        "203.0.113.9",
        "storage.googleapis.com",
        "read",
        "gs://ml-datasets/train/part-1.parquet",
        "success",
        None,
        None,
    )
    # Vertex AI: the full resource name, an invocation, a federated identity (no e-mail: the subject)
    assert rows[1][2:4] == ("principal://iam.googleapis.com/locations/global/x", "FederatedIdentity")
    assert rows[1][8:10] == (
        "invoke",
        "//aiplatform.googleapis.com/projects/ml-prod/locations/us-central1/endpoints/4455",
    )
    assert rows[2][10:] == ("failure", "PERMISSION_DENIED", "Permission 'storage.objects.get' denied")


def test_detected_by_content_whatever_the_name_and_container(tmp_path, ingest, query):
    # a gcloud `logging read --format=json` array, pretty-printed, under a misleading name
    path = tmp_path / "cloudtrail.json"
    path.write_text(json.dumps([_entry(i) for i in range(3)], indent=2))
    assert detect(take_sample(path, path.stat().st_size)).format.name == "gcp_audit"
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded) == ("gcp_audit", 3)
    assert query("SELECT DISTINCT source_pos FROM access_events ORDER BY 1") == [(1,), (2,), (3,)]


def test_a_mostly_gke_export_is_left_to_the_kubernetes_format(tmp_path):
    gke = {
        **_entry(0, serviceName="k8s.io", methodName="io.k8s.core.v1.pods.exec.create"),
        "resource": {"type": "k8s_cluster", "labels": {"project_id": "ml-prod", "cluster_name": "serving"}},
    }
    gke["protoPayload"]["resourceName"] = "core/v1/namespaces/models/pods/predictor-0/exec"
    path = _lines(tmp_path / "gke.jsonl", [gke, gke, _entry(1)])
    assert detect(take_sample(path, path.stat().st_size)).format.name == "k8s_audit"
