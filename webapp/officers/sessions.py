"""Officers' server-side sessions: webapp/sessions.py's machinery on officer_sessions,
under a cookie key of their own and with shorter lifetimes. Starting one clears Flask's
session, as a participant's sign-in does, so a browser is never both at once.

The half-signed-in state (the password was right, the code is still to come) lives in
Flask's session for at most PENDING_LIFETIME and grants nothing: only a row here does."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import g, session

from webapp import sessions
from webapp.models import Officer, OfficerSession

IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_LIFETIME = timedelta(hours=10)
PENDING_LIFETIME = timedelta(minutes=5)

OFFICER = sessions.Kind(OfficerSession, "officer_id", "osid", IDLE_TIMEOUT, ABSOLUTE_LIFETIME)
_PENDING = "officer_pending"


def start(officer: Officer) -> OfficerSession:
    """The caller commits."""
    return sessions.open_session(OFFICER, officer.id)


def current() -> Officer | None:
    """The officer of this browser's live session (active officers only), once per request."""
    if "officer" not in g:
        found = sessions.live(OFFICER, Officer)
        g.officer = found[1] if found is not None and found[1].active else None
    return g.officer


def end() -> None:
    """The caller commits."""
    sessions.end_current(OFFICER)
    g.pop("officer", None)


def begin_pending(officer: Officer) -> None:
    session[_PENDING] = {"id": officer.id, "at": int(time.time())}


def pending() -> int | None:
    """The officer id whose password was right within PENDING_LIFETIME, else None."""
    value = session.get(_PENDING)
    if not isinstance(value, dict):
        return None
    started, officer_id = value.get("at"), value.get("id")
    if not isinstance(started, int) or not isinstance(officer_id, int):
        return None
    if time.time() - started > PENDING_LIFETIME.total_seconds():
        session.pop(_PENDING, None)
        return None
    return officer_id


def drop_pending() -> None:
    session.pop(_PENDING, None)
