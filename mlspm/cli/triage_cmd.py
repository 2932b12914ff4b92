"""``mlspm triage``: record a triage decision on one or many findings (scripts and bulk use)."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, date, datetime, time

import click

from mlspm.cli.console import out, safe
from mlspm.config import Config
from mlspm.enums import TriageStatus
from mlspm.store import Store
from mlspm.triage import set_status


def _status(_ctx: click.Context, _param: click.Parameter, value: str) -> TriageStatus:
    try:
        return TriageStatus.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.max, tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _default_actor() -> str:
    return os.environ.get("MLSPM_ACTOR") or getpass.getuser()


@click.command()
@click.argument("fingerprints", nargs=-1, required=True)
@click.option(
    "--status",
    required=True,
    callback=_status,
    metavar="STATUS",
    help=", ".join(s.value for s in TriageStatus) + ".",
)
@click.option("--note", help="Why (required for risk_accepted).")
@click.option("--assignee", help="Who owns it now.")
@click.option(
    "--expires",
    callback=_date,
    metavar="YYYY-MM-DD",
    help="risk_accepted only (required): the decision lapses after this day and the finding reopens.",
)
@click.option(
    "--actor",
    default=_default_actor,
    show_default="$MLSPM_ACTOR or your user name",
    help="Who is deciding (kept in the history).",
)
@click.pass_obj
def triage(
    config: Config,
    fingerprints: tuple[str, ...],
    status: TriageStatus,
    note: str | None,
    assignee: str | None,
    expires: datetime | None,
    actor: str,
) -> None:
    """Set the triage status of findings (fingerprints or unique prefixes of at least 4 characters).

    Every change is kept in an append-only history; analysis never changes a decision. Accepting a risk
    needs a --note and an --expires date; the finding reopens itself when it expires.
    """
    with Store(config.db_path, create=False) as store:
        changes = set_status(
            store, fingerprints, status, note=note, assignee=assignee, expires_at=expires, actor=actor
        )
    for change in changes:
        out.print(safe(f"{change.fingerprint[:12]}  {change.before.value} → {change.after.value}"))
