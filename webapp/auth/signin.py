"""Signing in and out (DESIGN §3.2, §3.17).

Guessing is slow and the owner is never locked out (OWASP device cookies, see
devices.py): each attempt first reserves a place in a failure budget, committed before
the password is checked, so concurrent guesses cannot overspend it; a correct password
gives the place back. The budget is keyed by the e-mail typed, account or not, so a
refusal says nothing about whether an address has an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash

from webapp import sessions
from webapp.auth import events
from webapp.auth.devices import Device
from webapp.auth.accounts import email_key, find_account
from webapp.auth.passwords import dummy_hash
from webapp.extensions import db
from webapp.formatting import wait_minutes
from webapp.models import Account, LoginAttempt, SecurityEventKind, utcnow

FAILURE_WINDOW = timedelta(hours=1)
# Wrong passwords per FAILURE_WINDOW that all unknown browsers together get on one
# account: the most an attacker gets, however many addresses they use.
UNKNOWN_BROWSER_FAILURES = 10
# Wrong passwords per FAILURE_WINDOW for each browser that has signed in before; when
# spent, that browser counts as unknown.
KNOWN_BROWSER_FAILURES = 5


@dataclass(frozen=True)
class Refused:
    """No sign-in. wait_minutes > 0: the budget is spent, try again after that long."""

    wait_minutes: int = 0


def sign_in(email: str, password: str, device: Device | None) -> Account | Refused:
    """Check the password within the failure budget; on success start a server-side
    session on this browser. Commits."""
    account = find_account(email)
    key = email_key(email)
    nonce = device.nonce if account and device and device.account_id == account.id else None
    reserved = reserve(key, nonce)
    if isinstance(reserved, Refused):
        return reserved
    # The hash is checked even without an account: a wrong address costs as much time.
    correct = check_password_hash(account.password_hash if account else dummy_hash(), password)
    if account is None or not correct:
        if account is not None:
            events.record(account, SecurityEventKind.SIGN_IN_FAILED)
        db.session.commit()  # the reserved place stays: it is this failure
        return Refused()
    db.session.delete(reserved)
    sessions.start(account)
    events.record(account, SecurityEventKind.SIGN_IN)
    db.session.commit()
    return account


def sign_out(account: Account) -> None:
    """End this browser's session. Commits."""
    sessions.end_current()
    events.record(account, SecurityEventKind.SIGN_OUT)
    db.session.commit()


def sign_out_everywhere(account: Account) -> int:
    """End every session of the account, this one included. Commits."""
    ended = sessions.end_all(account.id)
    sessions.end_current()
    events.record(account, SecurityEventKind.SIGN_OUT_ALL)
    db.session.commit()
    return ended


def end_session(account: Account, session_id: int) -> bool:
    """End one other session of the account. Commits."""
    ended = sessions.end_one(account.id, session_id)
    if ended:
        events.record(account, SecurityEventKind.SESSION_ENDED)
    db.session.commit()
    return ended


def reserve(key: str, nonce: str | None) -> LoginAttempt | Refused:
    """A place in the failure budget of `key` (committed), or Refused when it is spent.
    The caller deletes the place when the attempt succeeds. Officers sign in on it too."""
    now = utcnow()
    if nonce is not None and _used(key, nonce, now)[0] >= KNOWN_BROWSER_FAILURES:
        nonce = None  # this browser spent its own budget: it is one of the unknown now
    budget = KNOWN_BROWSER_FAILURES if nonce else UNKNOWN_BROWSER_FAILURES
    attempt = LoginAttempt(email_key=key, device_nonce=nonce, created_at=now)
    db.session.add(attempt)
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - FAILURE_WINDOW))
    db.session.commit()
    used, oldest = _used(key, nonce, now)
    if used <= budget:
        return attempt
    db.session.delete(attempt)
    db.session.commit()
    return Refused(wait_minutes=wait_minutes((oldest + FAILURE_WINDOW - now).total_seconds()))


def _used(key: str, nonce: str | None, now: datetime) -> tuple[int, datetime]:
    """Places taken in one budget within the window, and when the oldest was taken."""
    bucket = LoginAttempt.device_nonce.is_(None) if nonce is None else LoginAttempt.device_nonce == nonce
    count, oldest = db.session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            LoginAttempt.email_key == key,
            bucket,
            LoginAttempt.created_at >= now - FAILURE_WINDOW,
        )
    ).one()
    return count, oldest or now

