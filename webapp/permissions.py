"""What each officer may do (DESIGN §3, back office): one place for the roles' rights and
for the rule that nobody decides about themselves. The back office's pages ask these to
show or hide an action; the services that act ask the same functions and refuse."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Account, Officer, OfficerRole


class Permission(enum.StrEnum):
    SEARCH_MEMBERS = "SEARCH_MEMBERS"
    DECIDE_REQUESTS = "DECIDE_REQUESTS"  # data corrections and "kartu ini milik saya"
    MOVE_CLAIMS = "MOVE_CLAIMS"
    VIEW_AUDIT = "VIEW_AUDIT"


ROLE_PERMISSIONS: dict[OfficerRole, frozenset[Permission]] = {
    OfficerRole.REVIEWER: frozenset({Permission.SEARCH_MEMBERS, Permission.DECIDE_REQUESTS}),
    OfficerRole.CLAIMS: frozenset({Permission.SEARCH_MEMBERS, Permission.MOVE_CLAIMS}),
    OfficerRole.ADMIN: frozenset(Permission),
}


def allowed(officer: Officer, permission: Permission) -> bool:
    return officer.active and permission in ROLE_PERMISSIONS[officer.role_enum]


def about_themselves(
    officer: Officer, *, account_id: int | None, niks: Iterable[str | None] = ()
) -> bool:
    """Whether a request or claim is the officer's own: filed from a participant account
    with the officer's e-mail address or NIK, or about the officer's NIK (pass every NIK
    the decision touches: the requester's, and the one a card is registered under)."""
    if officer.nik is not None and officer.nik in set(niks):
        return True
    if account_id is None:
        return False
    row = db.session.execute(
        select(Account.email, Account.nik).where(Account.id == account_id)
    ).one_or_none()
    if row is None:
        return False
    email, nik = row
    return email.lower() == officer.email.lower() or (officer.nik is not None and officer.nik == nik)
