"""Databricks, OpenAI and Anthropic audit logs: real samples load with checked counts, bad records rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlspm.enums import ActionClass
from mlspm.ingest.detect import detect
from mlspm.ingest.formats.ai_platform_audit import audit_action_class
from mlspm.ingest.source import take_sample

PANTHER = "panther_tests"


def _lines(path: Path, records: list[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def test_databricks_real_sample(real_samples, ingest, query):
    report = ingest(real_samples / PANTHER / "databricks_audit.tests.jsonl")
    result = report.files[0]
    # 161 test events: 27 carry no timestamp; 5 Delta Sharing events name neither a user nor a workspace.
    assert (result.format, result.counts.loaded, result.counts.rejected) == ("databricks_audit", 129, 32)
    assert query("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC") == [
        ("missing timestamp", 27),
        ("needs a principal or a resource: the record names no identity and no target", 5),
    ]
    row = query(
        "SELECT ts, principal, principal_type, account_id, source_ip, service, action_class, resource, outcome,"
        " status_code FROM access_events WHERE action = 'setAdmin' AND outcome = 'success'"
    )
    assert row == [
        (
            datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC), "admin@example.com", "User", "1234567890123456",
            "198.51.100.1", "databricks.accounts", "permission_change",
            "databricks://1234567890123456/users/newadmin@example.com", "success", "200",
        )
    ]  # fmt: skip
    # A failed login names the user it tried as a request parameter.
    assert query("SELECT principal, outcome FROM access_events WHERE action = 'jwtLogin'") == [
        ("admin@example.com", "failure")
    ]
    assert query("SELECT DISTINCT resource FROM access_events WHERE action = 'mount' ORDER BY 1") == [
        ("dbfs:/mnt/azure-storage",),
        ("dbfs:/mnt/data-lake",),
    ]
    assert "_test_name" not in query("SELECT raw FROM access_events LIMIT 1")[0][0]


def test_openai_real_sample(real_samples, ingest, query):
    report = ingest(real_samples / PANTHER / "openai_audit.tests.jsonl")
    assert (report.files[0].format, report.files[0].counts.loaded, report.files[0].counts.rejected) == (
        "openai_audit",
        29,
        0,
    )
    assert query("SELECT action_class, count(*) FROM access_events GROUP BY 1 ORDER BY 1") == [
        ("admin", 10),
        ("delete", 1),
        ("permission_change", 11),
        ("write", 7),
    ]
    assert query(
        "SELECT principal, source_ip, resource FROM access_events WHERE event_id = 'audit_log-test002'"
        " AND action = 'role.assignment.created'"
    ) == [("superadmin@company.com", "192.0.2.50", "openai://project/proj-xyz789")]
    assert query("SELECT outcome, status_code FROM access_events WHERE action = 'login.failed'") == [
        ("failure", "invalid_credentials"),
        ("failure", "invalid_credentials"),
    ]
    assert query(
        "SELECT principal, principal_type, auth_type FROM access_events WHERE event_id = 'audit_log-scim003'"
    ) == [("sa-automation001", "ServiceAccount", "api_key")]


def test_anthropic_real_sample(real_samples, ingest, query):
    report = ingest(real_samples / PANTHER / "anthropic_activity.tests.jsonl")
    assert (report.files[0].format, report.files[0].counts.loaded, report.files[0].counts.rejected) == (
        "anthropic_activity",
        38,
        0,
    )
    assert query(
        "SELECT principal, principal_type, outcome, resource FROM access_events WHERE action = 'sso_login_failed'"
    ) == [("anonymous", "anonymous", "failure", "anthropic://org_01XYZ")]
    assert query(
        "SELECT action_class, resource FROM access_events WHERE action = 'claude_artifact_sharing_updated'"
        " ORDER BY resource"
    ) == [
        ("permission_change", "anthropic://org_01XYZ/claude_artifact/claude_artifact_01ABC"),
        ("permission_change", "anthropic://org_01XYZ/claude_artifact/claude_artifact_01DEF"),
    ]
    assert query("SELECT principal, principal_type FROM access_events WHERE principal_type = 'APIKey'") == [
        ("key_01ABC", "APIKey")
    ]


def test_malformed_records_are_rejected_and_the_rest_loads(tmp_path, ingest, query):
    good = {"timestamp": 1704067200000, "serviceName": "mlflowModelRegistry", "actionName": "createModelVersion",
            "workspaceId": 42, "userIdentity": {"email": "ds@example.com"}, "sourceIPAddress": "10.0.0.1:5000",
            "requestParams": {"name": "fraud", "version": "3"}, "response": {"statusCode": 200}}  # fmt: skip
    snake = {"event_time": "2024-01-01T00:00:01Z", "service_name": "unityCatalog", "action_name": "getTable",
             "workspace_id": "42", "user_identity": {"email": "bi@example.com"},
             "request_params": {"full_name_arg": "main.ml.features"}, "response": {"status_code": 403}}  # fmt: skip
    path = _lines(
        tmp_path / "audit.json",
        [
            good,
            snake,
            "{broken",
            {**good, "timestamp": "yesterday"},
            {"timestamp": 1704067200000, "serviceName": "jobs", "actionName": "runNow"},
        ],
    )
    report = ingest(path)
    assert (report.files[0].format, report.files[0].counts.loaded, report.files[0].counts.rejected) == (
        "databricks_audit",
        2,
        3,
    )
    assert query(
        "SELECT principal, source_ip, resource, action_class, outcome FROM access_events ORDER BY ts"
    ) == [
        ("ds@example.com", "10.0.0.1", "models:/fraud/3", "write", "success"),
        ("bi@example.com", None, "uc://main.ml.features", "read", "failure"),
    ]
    reasons = [r[0] for r in query("SELECT reason FROM rejects ORDER BY position")]
    assert reasons[0].startswith("invalid JSON") and reasons[1] == "timestamp is not a time"
    assert reasons[2].startswith("needs a principal or a resource")


def test_openai_and_anthropic_bad_records(tmp_path, ingest, query):
    openai = _lines(
        tmp_path / "o.jsonl",
        [
            {"id": "a1", "object": "organization.audit_log", "type": "project.archived", "effective_at": 1702857600,
             "actor": {"type": "session", "session": {"user": {"email": "a@x.com"}}}, "project": {"id": "proj_1"}},
            {"id": "a2", "object": "organization.audit_log", "type": "api_key.created", "actor": {"type": "session"}},
        ],
    )  # fmt: skip
    report = ingest(openai)
    assert (report.files[0].format, report.files[0].counts.loaded, report.files[0].counts.rejected) == (
        "openai_audit",
        1,
        1,
    )
    assert query("SELECT resource, action_class FROM access_events") == [
        ("openai://project/proj_1", "delete")
    ]
    assert query("SELECT reason FROM rejects") == [("missing effective_at",)]
    anthropic = _lines(
        tmp_path / "a.jsonl",
        [
            {"id": "e1", "created_at": "2026-05-07T10:00:00Z", "organization_id": "org_1", "type": "claude_chat_viewed",
             "claude_chat_id": "c1", "actor": {"type": "user_actor", "email_address": "u@x.com"}},
            {"id": "e2", "created_at": "not a date", "organization_id": "org_1", "type": "claude_chat_viewed",
             "actor": {"type": "user_actor", "email_address": "u@x.com"}},
        ],
    )  # fmt: skip
    report = ingest(anthropic)
    assert (report.files[0].format, report.files[0].counts.loaded, report.files[0].counts.rejected) == (
        "anthropic_activity",
        1,
        1,
    )
    assert query("SELECT reason FROM rejects WHERE position = 2 AND reason LIKE 'created_at%'") == [
        ("created_at is not a time",)
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("addPrincipalToGroup", "openai_audit.tests.jsonl"),
        ("anthropic_activity.tests.jsonl", "databricks_audit.tests.jsonl"),
    ],
)
def test_detected_by_content_not_name(tmp_path, real_samples, name, expected):
    # Copy a sample's content under a misleading name: detection follows the content.
    source = real_samples / PANTHER / expected
    path = tmp_path / name
    path.write_bytes(source.read_bytes())
    found = detect(take_sample(path, path.stat().st_size))
    assert found.format is not None and found.format.name == expected.split(".")[0]


@pytest.mark.parametrize(
    ("name", "klass"),
    [
        ("addPrincipalToGroup", ActionClass.PERMISSION_CHANGE),
        ("setAdmin", ActionClass.PERMISSION_CHANGE),
        ("admin_api_key_created", ActionClass.WRITE),
        ("ip_allowlist.config.activated", ActionClass.PERMISSION_CHANGE),
        ("samlLogin", ActionClass.ADMIN),
        ("claude_chat_access_failed", ActionClass.READ),
        ("listSecrets", ActionClass.LIST),
        ("trashNotebook", ActionClass.DELETE),
        ("generateTemporaryTableCredential", ActionClass.READ),
        ("executeCommand", ActionClass.OTHER),
    ],
)
def test_action_classes(name, klass):
    assert audit_action_class(name) is klass
