"""Triage: set a finding's status, assignee, note and expiry, with an append-only history.

Decisions live in their own tables keyed by fingerprint, so analysis never touches them; every
change commits at once and appends one history row (who, when, from, to, note).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mlspm.enums import TriageStatus
from mlspm.errors import MlspmError
from mlspm.store import Cursor, Store

SYSTEM_ACTOR = "mlspm"


class TriageError(MlspmError):
    """A triage request that cannot be applied (unknown finding, missing reason or expiry)."""

    exit_code = 2


@dataclass(frozen=True)
class Change:
    fingerprint: str
    before: TriageStatus
    after: TriageStatus


def resolve(cur: Cursor, prefixes: Iterable[str]) -> list[str]:
    """Full fingerprints for the given fingerprints or unique prefixes (like short git hashes)."""
    found: list[str] = []
    for prefix in prefixes:
        text = prefix.strip().lower()
        if len(text) < 4:
            raise TriageError(f"{prefix!r} is too short to name a finding", hint="give at least 4 characters")
        rows = cur.execute(
            "SELECT fingerprint FROM findings WHERE starts_with(fingerprint, ?) LIMIT 2", [text]
        ).fetchall()
        if not rows:
            raise TriageError(f"no finding {prefix!r}", hint="`mlspm findings` lists them with fingerprints")
        if len(rows) > 1:
            raise TriageError(f"{prefix!r} names more than one finding", hint="give more characters")
        found.append(rows[0][0])
    return found


def set_status(
    store: Store,
    fingerprints: Sequence[str],
    status: TriageStatus,
    *,
    note: str | None = None,
    assignee: str | None = None,
    expires_at: datetime | None = None,
    actor: str,
    now: datetime | None = None,
) -> list[Change]:
    """Apply one decision to several findings in one transaction; raises TriageError when invalid."""
    when = now or datetime.now(UTC)
    if status is TriageStatus.RISK_ACCEPTED:
        if not (note and note.strip()):
            raise TriageError(
                "accepting a risk needs a reason", hint="pass --note 'why the risk is acceptable'"
            )
        if expires_at is None:
            raise TriageError("accepting a risk needs an expiry", hint="pass --expires YYYY-MM-DD")
        if expires_at <= when:
            raise TriageError("the expiry must be in the future", hint="pass a later --expires date")
    elif expires_at is not None:
        raise TriageError("--expires only applies to risk_accepted")
    if not actor.strip():
        raise TriageError("who is triaging is unknown", hint="pass --actor NAME")
    changes: list[Change] = []
    with store.transaction() as cur:
        for fingerprint in resolve(cur, fingerprints):
            before = current_status(cur, fingerprint)
            cur.execute(
                """INSERT INTO triage VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (fingerprint) DO UPDATE SET status = excluded.status,
                       assignee = coalesce(excluded.assignee, triage.assignee), note = excluded.note,
                       expires_at = excluded.expires_at, updated_at = excluded.updated_at,
                       updated_by = excluded.updated_by""",
                [fingerprint, status.value, assignee, note, expires_at, when, actor],
            )
            cur.execute(
                "INSERT INTO triage_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [fingerprint, when, actor, before.value, status.value, assignee, note, expires_at],
            )
            changes.append(Change(fingerprint, before, status))
    return changes


def current_status(cur: Cursor, fingerprint: str) -> TriageStatus:
    rows = cur.execute("SELECT status FROM triage WHERE fingerprint = ?", [fingerprint]).fetchall()
    return TriageStatus(rows[0][0]) if rows else TriageStatus.OPEN


def reopen_expired(cur: Cursor, now: datetime) -> int:
    """Accepted risks past their expiry go back to open (with a history row); returns how many."""
    expired = cur.execute(
        "SELECT fingerprint, expires_at FROM triage WHERE status = 'risk_accepted' AND expires_at <= ?", [now]
    ).fetchall()
    for fingerprint, expires_at in expired:
        note = f"risk acceptance expired on {expires_at:%Y-%m-%d}"
        cur.execute(
            "UPDATE triage SET status = 'open', expires_at = NULL, note = ?, updated_at = ?, updated_by = ? "
            "WHERE fingerprint = ?",
            [note, now, SYSTEM_ACTOR, fingerprint],
        )
        cur.execute(
            "INSERT INTO triage_history VALUES (?, ?, ?, 'risk_accepted', 'open', NULL, ?, NULL)",
            [fingerprint, now, SYSTEM_ACTOR, note],
        )
    return len(expired)
