"""The audit log (DESIGN §3 back office, §7): append-only. Every officer action, every
officer view of a member's personal data or documents, and the participants' security
events are written here, in the same database transaction as what they record.

    record(action, officer=..., member_nik=..., target=..., before=..., after=...)

adds the entry to the session; the caller's commit writes it with the change, so an action
that rolls back leaves no entry and an entry never exists without its action. Nothing here
updates or deletes: the model refuses it (webapp/models.py) and, on PostgreSQL, so does a
trigger (migration 0005).

A lower floor: features call it, it imports no feature."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

from webapp.extensions import db
from webapp.models import Account, ActorKind, AuditEntry, Officer


def record(
    action: str,
    *,
    officer: Officer | None = None,
    account: Account | None = None,
    member_nik: str | None = None,
    target: str | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Who did it: an officer, else the participant `account`, else the system (a CLI
    command). member_nik is the member it is about (the participant's own NIK by default);
    target names the object ("request:<public id>", "claim:<public id>", "kpj:<kpj>")."""
    if officer is not None:
        actor = ActorKind.OFFICER
    elif account is not None:
        actor = ActorKind.PARTICIPANT
    else:
        actor = ActorKind.SYSTEM
    entry = AuditEntry(
        actor_kind=actor,
        officer_id=officer.id if officer is not None else None,
        account_id=account.id if account is not None else None,
        action=action,
        member_nik=member_nik or (account.nik if account is not None else None),
        target=target,
        before=_json(before),
        after=_json(after),
    )
    db.session.add(entry)
    return entry


def values(entry_field: str | None) -> dict[str, object]:
    """An entry's before or after, as stored."""
    return json.loads(entry_field) if entry_field else {}


def _json(data: Mapping[str, object] | None) -> str | None:
    if data is None:
        return None
    return json.dumps(data, default=_plain, ensure_ascii=False, sort_keys=True)


def _plain(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
