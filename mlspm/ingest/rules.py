"""Normalization rules as data — action classes and outcomes — usable from Python and as generated SQL.

Both the Python parsers (S3 access logs, ...) and the SQL normalizers (CloudTrail, generic events) use
these tables, so a rule is written once.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mlspm.enums import ActionClass

# (pattern on the action name, class). First match wins; matched case-insensitively.
# API verbs (CloudTrail, generic sources) and S3 access-log operations (REST.GET.OBJECT ...).
ACTION_CLASS_RULES: tuple[tuple[str, ActionClass], ...] = (
    (r"^(invoke|converse|predict|rawpredict|streamrawpredict|generatecontent|infer)", ActionClass.INVOKE),
    (
        r"^(rest|website)\.(put|post|delete)\.(acl|bucketpolicy|policy|publicaccessblock|ownershipcontrols)",
        ActionClass.PERMISSION_CHANGE,
    ),
    (r"^s3\.transition", ActionClass.ADMIN),  # a lifecycle storage-class change, not a deletion
    (r"^(rest|batch|s3)\.(delete|expire)|\.delete\.", ActionClass.DELETE),
    (r"^rest\.get\.bucket$|^rest\.get\.(bucketversions|uploads|objectlist)", ActionClass.LIST),
    (r"^(rest|website)\.(get|head)\.|^rest\.copy\.object_get", ActionClass.READ),
    (r"^(rest|website)\.(put|post|copy)\.|^rest\.copy\.", ActionClass.WRITE),
    (r"^(list|search|scan$|query$)", ActionClass.LIST),
    (
        r"^(get|describe|head|read|download|lookup|batchget|select|retrieve|check|view|export)",
        ActionClass.READ,
    ),
    (
        r"^(put|attach|detach|add|remove|update|create|delete|set|replace|modify|grant|revoke)"
        r".*(policy|acl|permission|grant|publicaccessblock|accesspoint|trust)",
        ActionClass.PERMISSION_CHANGE,
    ),
    (r"^(add|remove)(usertogroup|userfromgroup|roletoinstanceprofile)", ActionClass.PERMISSION_CHANGE),
    (r"^(delete|remove|terminate|purge|destroy|batchdelete|deregister)", ActionClass.DELETE),
    (
        r"^(put|create|update|upload|copy|write|modify|import|register|tag|untag|restore|submit|batchput|"
        r"append|insert|complete)",
        ActionClass.WRITE,
    ),
    (
        r"^(assumerole|getsessiontoken|consolelogin|start|stop|reboot|enable|disable|run|cancel|reset|"
        r"associate|disassociate|login)",
        ActionClass.ADMIN,
    ),
)


@lru_cache(maxsize=4096)
def action_class(action: str | None) -> ActionClass:
    """The class of an action name (``GetObject`` → read, ``REST.PUT.OBJECT`` → write)."""
    if not action:
        return ActionClass.OTHER
    for pattern, klass in _COMPILED:
        if pattern.search(action):
            return klass
    return ActionClass.OTHER


_COMPILED = tuple((re.compile(p, re.IGNORECASE), k) for p, k in ACTION_CLASS_RULES)


def action_class_sql(expr: str) -> str:
    """A SQL CASE expression computing the action class of the VARCHAR SQL expression ``expr``.

    ``expr`` must be a trusted SQL fragment (a column name), never user input.
    """
    branches = " ".join(
        f"WHEN regexp_matches(lower({expr}), '{pattern}') THEN '{klass.value}'"
        for pattern, klass in ACTION_CLASS_RULES
    )
    return f"(CASE WHEN {expr} IS NULL THEN 'other' {branches} ELSE 'other' END)"


def outcome_from_status(status: str | None) -> str:
    """success / failure / unknown from an HTTP status or error code."""
    if status is None or status in ("", "-"):
        return "unknown"
    if status.isdigit():
        code = int(status)
        if 100 <= code < 400:
            return "success"
        if code >= 400:
            return "failure"
    return "unknown"


def outcome_from_status_sql(expr: str) -> str:
    """SQL twin of :func:`outcome_from_status` for the trusted SQL fragment ``expr``."""
    return (
        f"(CASE WHEN try_cast({expr} AS INTEGER) BETWEEN 100 AND 399 THEN 'success' "
        f"WHEN try_cast({expr} AS INTEGER) >= 400 THEN 'failure' ELSE 'unknown' END)"
    )
