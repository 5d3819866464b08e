"""Server-side sessions (DESIGN §3.17). Flask's signed cookie carries only a random
session token; the session itself is a row in auth_sessions, so logging out deletes it
and a copy of the cookie is worth nothing afterwards.

A database table rather than Redis: sessions must be listed per account (Keamanan akun)
and ended together, they must survive a Redis restart (Redis here keeps nothing on disk),
and PostgreSQL is already shared by every app server.

Officers' sessions (webapp/officers/sessions.py) work the same way on a table and a cookie
key of their own, with shorter lifetimes: the Kind below is what differs, and the
functions that take one serve both."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature
from sqlalchemy import Select, bindparam, delete, func, select, update
from ua_parser import parse as parse_user_agent

from webapp.extensions import db
from webapp.models import Account, AuthSession, Notification, utcnow
from webapp.tokens import digest, new_token

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=12)
# Activity is written at most this often: a page view is not a database write.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Kind:
    """Whose sessions: the table, the column naming the owner, the key of the token in
    Flask's session, and how long a session lives idle and at most."""

    model: Any
    owner: str
    key: str
    idle: timedelta
    lifetime: timedelta

    def owner_column(self):
        return getattr(self.model, self.owner)


PARTICIPANT = Kind(AuthSession, "account_id", "sid", IDLE_TIMEOUT, ABSOLUTE_LIFETIME)


def start(account: Account) -> AuthSession:
    """Sign account in on this browser. Everything in the old cookie goes, the CSRF
    secret included, so nothing planted before sign-in survives it (session fixation)."""
    return open_session(PARTICIPANT, account.id)


def open_session(kind: Kind, owner_id: int):
    """A new session row of `kind` for its owner, on a cleared Flask session that now holds
    only its token (the caller commits)."""
    token, token_hash = new_token()
    now = utcnow()
    record = kind.model(
        token_hash=token_hash,
        device=device_label(request.user_agent.string),
        created_at=now,
        last_seen_at=now,
        **{kind.owner: owner_id},
    )
    db.session.add(record)
    _purge_expired(kind, owner_id, now)
    session.clear()
    session.permanent = True
    session[kind.key] = token
    return record


def load(_request: Request) -> Account | None:
    """flask-login's request loader: the account of a live session, else None. The tab
    bar's unread count (webapp/notifications) comes in the same statement, since every
    page with a tab bar loads the account anyway: one round trip less per page."""
    found = live(PARTICIPANT, Account, _UNREAD_COUNT)
    if found is None:
        return None
    record, account, unread = found
    account.current_session_id = record.id
    g.unread_notifications = unread or 0
    return account


_UNREAD_COUNT = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.account_id == Account.id, Notification.read_at.is_(None))
    .scalar_subquery()
)


@dataclass(frozen=True)
class LiveSession:
    """What a request needs of its session row: which it is and how old."""

    id: int
    created_at: datetime
    last_seen_at: datetime


def live(kind: Kind, owner_model: Any, *columns: Any) -> tuple[Any, ...] | None:
    """This browser's session of `kind` (a LiveSession) and its owner (a row of
    owner_model), with the values of `columns` asked in the same statement, while the
    session lives; an expired one is deleted. The session row is read as three columns,
    not as an ORM object: every signed-in request reads it, and it is written at most once
    a minute (TOUCH_INTERVAL)."""
    token = session.get(kind.key)
    if not isinstance(token, str):
        return None
    row = db.session.execute(_live_statement(kind, owner_model, columns), {"token_hash": digest(token)}).first()
    if row is None:
        session.pop(kind.key, None)
        return None
    record_id, created_at, last_seen_at, owner, *values = row
    record = LiveSession(record_id, created_at, last_seen_at)
    now = utcnow()
    if is_expired(record, now, kind):
        db.session.execute(delete(kind.model).where(kind.model.id == record_id))
        db.session.commit()
        session.pop(kind.key, None)
        return None
    if now - last_seen_at >= TOUCH_INTERVAL:
        db.session.execute(_touch_statement(kind), {"record_id": record_id, "now": now})
        db.session.commit()
    return (record, owner, *values)


@functools.lru_cache(maxsize=8)
def _live_statement(kind: Kind, owner_model: Any, columns: tuple) -> Select:
    """Built once: every signed-in request runs it, and building it costs more than running it."""
    model = kind.model
    return (
        select(model.id, model.created_at, model.last_seen_at, owner_model, *columns)
        .join(owner_model, owner_model.id == kind.owner_column())
        .where(model.token_hash == bindparam("token_hash"))
    )


@functools.lru_cache(maxsize=8)
def _touch_statement(kind: Kind):
    return (
        update(kind.model)
        .where(kind.model.id == bindparam("record_id"))
        .values(last_seen_at=bindparam("now"))
        .execution_options(synchronize_session=False)
    )


def is_expired(record, now: datetime, kind: Kind = PARTICIPANT) -> bool:
    return now - record.last_seen_at > kind.idle or now - record.created_at > kind.lifetime


def end_current(kind: Kind = PARTICIPANT) -> None:
    """Log this browser out: its row goes, and with it every copy of the cookie."""
    token = session.get(kind.key)
    if isinstance(token, str):
        db.session.execute(delete(kind.model).where(kind.model.token_hash == digest(token)))
    session.clear()


def end_all(owner_id: int, *, keep: int | None = None, kind: Kind = PARTICIPANT) -> int:
    """End every session of an account (but `keep`); returns how many ended."""
    statement = delete(kind.model).where(kind.owner_column() == owner_id)
    if keep is not None:
        statement = statement.where(kind.model.id != keep)
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


def _purge_expired(kind: Kind, owner_id: int, now: datetime) -> None:
    db.session.execute(
        delete(kind.model).where(
            kind.owner_column() == owner_id,
            (kind.model.last_seen_at < now - kind.idle)
            | (kind.model.created_at < now - kind.lifetime),
        )
    )


def device_label(user_agent: str) -> str:
    """'Chrome Mobile · Android': enough to recognise a device, nothing more is kept."""
    parsed = parse_user_agent(user_agent[:500])
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    parts = [part for part in (browser, system) if part and part != "Other"]
    return " · ".join(parts)[:80] or "Perangkat tidak dikenal"


# --- Flask's session cookie, decoded only when something reads it ---------------------------


class LazyCookieSession(SecureCookieSession):
    """Flask's signed-cookie session, whose cookie is verified and decoded on the first use
    of the session rather than when every request starts: a static file or /sehat never
    reads it, and checking the signature and parsing the JSON was a third of such an
    answer's cost. Unused, it is left as the browser sent it (save_session below), and,
    since nothing accessed it, the answer does not vary by cookie."""

    def __init__(self, load: Callable[[], Mapping[str, Any]]) -> None:
        super().__init__()
        self._pending: Callable[[], Mapping[str, Any]] | None = load

    @property
    def loaded(self) -> bool:
        return self._pending is None

    def _load(self) -> None:
        load, self._pending = self._pending, None
        if load is not None:
            dict.update(self, load())  # not a change: on_update is not called


def _loading(name: str):
    method = getattr(SecureCookieSession, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self._pending is not None:
            self._load()
        return method(self, *args, **kwargs)

    return wrapper


for _name in (
    "__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__len__", "__eq__",
    "__ne__", "__repr__", "__or__", "__ior__", "__reversed__", "get", "keys", "items", "values",
    "setdefault", "pop", "popitem", "update", "clear", "copy",
):
    setattr(LazyCookieSession, _name, _loading(_name))
LazyCookieSession.__hash__ = None  # type: ignore[assignment]  # a dict's, as before


# Cookies this process has verified, with when they were signed and what they hold: a
# browser sends the same cookie with every page until the session changes, and checking its
# signature (a key derivation and an HMAC) and parsing its JSON was a sixth of loading the
# signed-in participant. Keyed by the signing key and the exact cookie, so only a cookie
# that passed the full check is ever found here; its age is still checked on every use.
# Only contents of plain values are kept (a sid, a CSRF secret), so that no request can
# change what the next one gets (flashed messages are a list). Bounded: past the limit it
# starts over.
_VERIFIED: dict[tuple[Any, str], tuple[float, Mapping[str, Any]]] = {}
_VERIFIED_LIMIT = 10_000
_IMMUTABLE = (str, int, float, bool, type(None))


class LazySessionInterface(SecureCookieSessionInterface):
    """Flask's own cookie session (the same signature, salt, lifetime and cookie), opened
    lazily (LazyCookieSession)."""

    session_class = LazyCookieSession

    def open_session(self, app: Flask, request: Request) -> LazyCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        return LazyCookieSession(functools.partial(self._decode, app, value))

    def _decode(self, app: Flask, value: str | None) -> Mapping[str, Any]:
        if not value:
            return {}
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, value)
        remembered = _VERIFIED.get(key)
        if remembered is not None:
            signed_at, contents = remembered
            if time.time() - signed_at <= max_age:
                return dict(contents)
        serializer = self.get_signing_serializer(app)
        try:
            contents, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return {}
        if all(isinstance(item, _IMMUTABLE) for item in contents.values()):
            if len(_VERIFIED) >= _VERIFIED_LIMIT:
                _VERIFIED.clear()
            _VERIFIED[key] = (signed_at.timestamp(), contents)
        return contents

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, LazyCookieSession) and not session.loaded:
            return  # never used: the cookie stays as it was
        super().save_session(app, session, response)
