"""Server-side sessions (DESIGN §3.17). Flask's signed cookie carries only a random
session token; the session itself is a row in auth_sessions, so logging out deletes it
and a copy of the cookie is worth nothing afterwards.

A database table rather than Redis: sessions must be listed per account (Keamanan akun)
and ended together, they must survive a Redis restart (Redis here keeps nothing on disk),
and PostgreSQL is already shared by every app server."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Request, request, session
from sqlalchemy import delete, select
from ua_parser import parse as parse_user_agent

from webapp.extensions import db
from webapp.models import Account, AuthSession, utcnow
from webapp.tokens import digest, new_token

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=12)
# Activity is written at most this often: a page view is not a database write.
TOUCH_INTERVAL = timedelta(minutes=1)

_KEY = "sid"


def start(account: Account) -> AuthSession:
    """Sign account in on this browser. Everything in the old cookie goes, the CSRF
    secret included, so nothing planted before sign-in survives it (session fixation)."""
    token, token_hash = new_token()
    now = utcnow()
    record = AuthSession(
        token_hash=token_hash,
        account_id=account.id,
        device=device_label(request.user_agent.string),
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(record)
    _purge_expired(account.id, now)
    session.clear()
    session.permanent = True
    session[_KEY] = token
    return record


def load(_request: Request) -> Account | None:
    """flask-login's request loader: the account of a live session, else None."""
    token = session.get(_KEY)
    if not isinstance(token, str):
        return None
    row = db.session.execute(
        select(AuthSession, Account)
        .join(Account, Account.id == AuthSession.account_id)
        .where(AuthSession.token_hash == digest(token))
    ).first()
    if row is None:
        session.pop(_KEY, None)
        return None
    record, account = row
    now = utcnow()
    if is_expired(record, now):
        db.session.delete(record)
        db.session.commit()
        session.pop(_KEY, None)
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    account.current_session_id = record.id
    return account


def is_expired(record: AuthSession, now: datetime) -> bool:
    return now - record.last_seen_at > IDLE_TIMEOUT or now - record.created_at > ABSOLUTE_LIFETIME


def end_current() -> None:
    """Log this browser out: its row goes, and with it every copy of the cookie."""
    token = session.get(_KEY)
    if isinstance(token, str):
        db.session.execute(delete(AuthSession).where(AuthSession.token_hash == digest(token)))
    session.clear()


def end_all(account_id: int, *, keep: int | None = None) -> int:
    """End every session of an account (but `keep`); returns how many ended."""
    statement = delete(AuthSession).where(AuthSession.account_id == account_id)
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    return db.session.execute(statement).rowcount


def end_one(account_id: int, session_id: int) -> bool:
    """End one session of this account; False when it is not the account's (or gone)."""
    return (
        db.session.execute(
            delete(AuthSession).where(
                AuthSession.id == session_id, AuthSession.account_id == account_id
            )
        ).rowcount
        == 1
    )


def active(account_id: int) -> list[AuthSession]:
    """The account's live sessions, most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(AuthSession)
        .where(AuthSession.account_id == account_id)
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
    )
    return [row for row in rows if not is_expired(row, now)]


def _purge_expired(account_id: int, now: datetime) -> None:
    db.session.execute(
        delete(AuthSession).where(
            AuthSession.account_id == account_id,
            (AuthSession.last_seen_at < now - IDLE_TIMEOUT)
            | (AuthSession.created_at < now - ABSOLUTE_LIFETIME),
        )
    )


def device_label(user_agent: str) -> str:
    """'Chrome Mobile · Android': enough to recognise a device, nothing more is kept."""
    parsed = parse_user_agent(user_agent[:500])
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    parts = [part for part in (browser, system) if part and part != "Other"]
    return " · ".join(parts)[:80] or "Perangkat tidak dikenal"

