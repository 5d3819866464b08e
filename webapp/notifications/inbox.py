"""The inbox's pages: entries newest first, each with its words (messages.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Notification
from webapp.notifications.messages import Message, describe

PAGE_SIZE = 20


@dataclass(frozen=True)
class Entry:
    notification: Notification
    message: Message

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


@dataclass(frozen=True)
class InboxPage:
    entries: list[Entry]
    page: int
    has_more: bool


def inbox(account_id: int, page: int) -> InboxPage:
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.account_id == account_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return InboxPage([entry(row) for row in rows[:PAGE_SIZE]], page, len(rows) > PAGE_SIZE)


def entry(notification: Notification) -> Entry:
    return Entry(notification, describe(notification.kind, notification.subject, notification.detail))
