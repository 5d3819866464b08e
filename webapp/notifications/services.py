"""Notifikasi (DESIGN §3.15). Every decision about a participant's request and every stage
change of their claim calls notify() in the same database transaction as the change, so
an inbox entry exists exactly when the change does. Once that transaction commits, the
entry goes out by e-mail and Web Push (webapp/notifications/delivery.py). This module
imports no feature: the features that notify import it.

    notify(account_id, kind, subject=None, detail=None)   add an inbox entry (caller commits)
    unread_count(account_id)                               one indexed COUNT
    mark_read(account_id, notification_id)                 → the entry, or None if not theirs
    newest_id(account_id)                                  the newest entry's id (0: none)
    mark_all_read(account_id, up_to=None)                  → how many were unread
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import Notification, NotificationKind, utcnow


def notify(
    account_id: int, kind: NotificationKind, subject: str | None = None, detail: str | None = None
) -> Notification:
    """Add an inbox entry to the session; the caller's commit writes it with the change.
    subject is the public id of the request or claim; detail, e.g. the claim stage."""
    notification = Notification(account_id=account_id, kind=kind, subject=subject, detail=detail)
    db.session.add(notification)
    return notification


def unread_count(account_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.account_id == account_id, Notification.read_at.is_(None))
    ) or 0


def mark_read(account_id: int, notification_id: int) -> Notification | None:
    """Mark one of this account's entries read; another account's (or none) → None. A
    second request changes nothing: the first time read stays. Commits."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.account_id == account_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.account_id == account_id
        )
    )


def newest_id(account_id: int) -> int:
    """The id of the account's newest entry, 0 without any: what a page showing the inbox
    hands back with "tandai semua dibaca"."""
    return db.session.scalar(
        select(func.max(Notification.id)).where(Notification.account_id == account_id)
    ) or 0


def mark_all_read(account_id: int, up_to: int | None = None) -> int:
    """Mark every unread entry of this account read, only those up to id `up_to` when
    given: an entry that arrived after the page was shown (a claim rejected meanwhile)
    stays unread until the participant has seen it. Commits; returns how many changed."""
    unread = [Notification.account_id == account_id, Notification.read_at.is_(None)]
    if up_to is not None:
        unread.append(Notification.id <= up_to)
    changed = db.session.execute(
        update(Notification)
        .where(*unread)
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return changed
