"""Kubernetes audit events: the Panther EKS/GKE/AKS sample, one event per request, rejects, detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlspm.ingest.detect import detect
from mlspm.ingest.source import take_sample

PANTHER = Path("panther_tests") / "amazon_eks_audit.tests.jsonl"


def _event(audit_id: str, stage: str = "ResponseComplete", **over: Any) -> dict[str, Any]:
    """An apiserver log-backend event (microsecond times)."""
    event: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": audit_id,
        "stage": stage,
        "requestURI": "/api/v1/namespaces/models/pods/predictor-0/exec?command=sh",
        "verb": "create",
        "user": {"username": "alice@example.com", "groups": ["system:authenticated"]},
        "sourceIPs": ["198.51.100.4"],
        "userAgent": "kubectl/v1.30.1",
        "objectRef": {
            "resource": "pods",
            "namespace": "models",
            "name": "predictor-0",
            "apiVersion": "v1",
            "subresource": "exec",
        },
        "responseStatus": {"code": 101},
        "requestReceivedTimestamp": "2026-03-01T10:00:00.000100Z",
        "stageTimestamp": "2026-03-01T10:00:00.250100Z",
        "annotations": {"authorization.k8s.io/decision": "allow"},
    }
    event.update(over)
    return event


def _lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_panther_sample_loads_with_counts_checked_by_hand(real_samples, ingest, query):
    (f,) = ingest(real_samples / PANTHER).files
    # 267 test records (native EKS events, GKE and AKS wrappers, other log types); most are trimmed
    # to the fields one rule needs and carry no time at all. 18 usable events: 17 stored, and one
    # ResponseStarted event whose ResponseComplete (same auditID and request) is in the file.
    assert (f.format, f.counts.loaded, f.counts.duplicate, f.counts.rejected) == ("k8s_audit", 17, 1, 249)
    assert any(w.startswith("1 earlier-stage audit event (") for w in f.warnings)
    assert dict(query("SELECT reason, count(*) FROM rejects GROUP BY 1")) == {
        "no time: requestReceivedTimestamp and stageTimestamp are missing or unreadable": 200,
        "no timestamp (nor requestMetadata.requestAttributes.time)": 31,  # GKE entries
        "not a Kubernetes audit event (no audit.k8s.io Event, GKE or AKS audit entry)": 14,
        "no verb: the event does not say what the request did": 4,
    }
    assert query("SELECT count(*) FROM access_events WHERE source_pos IN (14, 15)") == [(1,)]
    rows = {
        r[0]: r[1:]
        for r in query(
            "SELECT source_pos, ts::VARCHAR, principal, principal_type, principal_role, source_ip, action, "
            "action_class, resource, outcome, status_code, account_id FROM access_events"
        )
    }
    # an anonymous scanner probing a non-resource URL, forbidden
    assert rows[8] == (
        "2024-11-13 23:50:32.672347+00",
        "anonymous",
        "anonymous",
        None,
        "8.216.81.10",
        "get /vendor/phpunit/src/Util/PHP/eval-stdin.php",
        "read",
        None,
        "failure",
        "403",
        None,
    )
    # EKS: the IAM role behind the Kubernetes user; the API group in the resource
    assert rows[16][1:8] == (
        "eks:addon-manager",
        "System",
        "arn:aws:iam::123412341234:role/AWSWesleyClusterManagerLambda-Add-AddonManagerRole-G332QAM69HWF",
        "35.163.244.48",
        "get deployments",
        "read",
        "k8s://kube-system/deployments.apps/coredns",
    )
    assert rows[17][5:8] == (
        "create serviceaccounts/token",
        "admin",
        "k8s://kube-system/serviceaccounts/kube-proxy/token",
    )
    # AKS (properties.log as a JSON string, time from the record) and GKE (protoPayload) wrappers
    assert rows[27][:2] + rows[27][5:] == (
        "2024-03-20 10:00:00+00",
        "anonymous",
        "get pods",
        "read",
        "k8s://default/pods/test-pod",
        "success",
        "200",
        "xxx",
    )
    assert rows[132][1:2] + rows[132][5:8] + rows[132][-1:] == (
        "user@company.com",
        "create pods",
        "write",
        "k8s://default/pods/test",
        "test-project",
    )


def test_one_event_per_request_and_bad_records(tmp_path, ingest, query):
    exec_ = "11111111-0000-0000-0000-000000000001"
    watch = "22222222-0000-0000-0000-000000000002"
    watch_fields: dict[str, Any] = {
        "verb": "watch",
        "requestURI": "/apis/serving.kserve.io/v1beta1/namespaces/models/inferenceservices?watch=true",
        "objectRef": {
            "resource": "inferenceservices",
            "namespace": "models",
            "apiGroup": "serving.kserve.io",
        },
        "responseStatus": {"code": 200},
        "user": {"username": "system:serviceaccount:kserve:kserve-controller-manager"},
    }
    path = _lines(
        tmp_path / "audit.log",
        [
            _event(exec_, "RequestReceived", responseStatus=None),
            _event(exec_),
            _event(watch, "RequestReceived", **watch_fields),
            # out of order: the completion before the stream start
            _event(watch, "ResponseComplete", **watch_fields),
            _event(watch, "ResponseStarted", **watch_fields),
            # a request whose completion the file does not hold: its latest stage is kept
            _event(
                "33333333-0000-0000-0000-000000000003",
                "RequestReceived",
                verb="get",
                objectRef={"resource": "secrets", "namespace": "models", "name": "hf-token"},
                responseStatus=None,
            ),
            _event(
                "44444444-0000-0000-0000-000000000004",
                verb="create",
                objectRef={
                    "resource": "clusterrolebindings",
                    "apiGroup": "rbac.authorization.k8s.io",
                    "name": "ml-admins",
                },
                responseStatus={
                    "code": 403,
                    "reason": "Forbidden",
                    "message": "clusterrolebindings is forbidden",
                },
                annotations={"authorization.k8s.io/decision": "forbid"},
            ),
            "not json at all",
            _event(
                "55555555-0000-0000-0000-000000000005", requestReceivedTimestamp=None, stageTimestamp=None
            ),
            # a core v1 Event object shares kind: Event but is not an audit event
            {"kind": "Event", "apiVersion": "v1", "reason": "Scheduled", "involvedObject": {"kind": "Pod"}},
        ],
    )
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded, f.counts.duplicate, f.counts.rejected) == ("k8s_audit", 4, 3, 3)
    assert [r[0] for r in query("SELECT position FROM rejects ORDER BY 1")] == [8, 9, 10]
    rows = query(
        "SELECT source_pos, event_id, principal, principal_type, action, action_class, resource, outcome, "
        "status_code, error_message, duration_ms FROM access_events ORDER BY source_pos"
    )
    assert [r[0] for r in rows] == [2, 4, 6, 7]
    assert rows[0][1:] == (
        exec_,
        "alice@example.com",
        "User",
        "create pods/exec",
        "admin",
        "k8s://models/pods/predictor-0/exec",
        "success",
        "101",
        None,
        250.0,
    )
    assert rows[1][2:7] == (
        "system:serviceaccount:kserve:kserve-controller-manager",
        "ServiceAccount",
        "watch inferenceservices",
        "list",
        "k8s://models/inferenceservices.serving.kserve.io",
    )
    assert rows[2][4:9] == ("get secrets", "read", "k8s://models/secrets/hf-token", "unknown", None)
    assert rows[3][4:10] == (
        "create clusterrolebindings",
        "permission_change",
        "k8s:///clusterrolebindings.rbac.authorization.k8s.io/ml-admins",
        "failure",
        "403",
        "clusterrolebindings is forbidden",
    )


def test_aks_records_document_detected_by_content(tmp_path, ingest, query):
    def aks(i: int, log: Any) -> dict[str, Any]:
        return {
            "time": f"2026-03-01T10:00:0{i}.0000000Z",
            "resourceId": "/SUBSCRIPTIONS/AAAA-1111/RESOURCEGROUPS/ML/PROVIDERS/MICROSOFT.CONTAINERSERVICE/"
            "MANAGEDCLUSTERS/SERVING",
            "category": "kube-audit",
            "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
            "properties": {"log": log, "stream": "stdout", "pod": "kube-apiserver-1"},
        }

    good = json.dumps(_event("66666666-0000-0000-0000-000000000006"))
    path = tmp_path / "cloudtrail.json"  # a misleading name: detection reads the content
    path.write_text(json.dumps({"records": [aks(1, good), aks(2, good[:40]), aks(3, None)]}, indent=1))
    assert detect(take_sample(path, path.stat().st_size)).format.name == "k8s_audit"
    (f,) = ingest(path).files
    assert (f.format, f.counts.loaded, f.counts.rejected) == ("k8s_audit", 1, 2)
    reasons = [r[0] for r in query("SELECT reason FROM rejects ORDER BY position")]
    assert reasons[0].startswith("AKS kube-audit record: properties.log is not valid JSON")
    assert reasons[1] == "AKS kube-audit record without an audit event in properties.log"
    assert query("SELECT account_id, action, source_pos FROM access_events") == [
        ("aaaa-1111", "create pods/exec", 1)
    ]


def test_cloudwatch_export_lines(tmp_path, ingest, query):
    # `aws logs filter-log-events` / export lines: the event is a JSON string in "message"
    event = _event("77777777-0000-0000-0000-000000000007", requestReceivedTimestamp=None, stageTimestamp=None)
    line = {
        "timestamp": 1772359200000,
        "logStreamName": "kube-apiserver-audit-1",
        "message": json.dumps(event),
    }
    (f,) = ingest(_lines(tmp_path / "eks.jsonl", [line])).files
    assert (f.format, f.counts.loaded) == ("k8s_audit", 1)
    assert query("SELECT ts::VARCHAR, action FROM access_events") == [
        ("2026-03-01 10:00:00+00", "create pods/exec")
    ]
