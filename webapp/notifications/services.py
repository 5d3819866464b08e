"""Notifikasi (DESIGN §3.15). Every decision about a participant's request and every stage
change of their claim calls notify() in the same database transaction as the change, so
an inbox entry exists exactly when the change does."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import Notification, NotificationKind


def notify(
    account_id: int, kind: NotificationKind, subject: str | None = None, detail: str | None = None
) -> Notification:
    """Add an inbox entry to the session; the caller's commit writes it with the change.
    subject is the public id of the request or claim; detail, e.g. the claim stage."""
    notification = Notification(account_id=account_id, kind=kind, subject=subject, detail=detail)
    db.session.add(notification)
    return notification
