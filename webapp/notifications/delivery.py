"""Each notification goes out once its transaction has committed, never for one rolled back:
an e-mail to the account's address ("there is news, open KPJku", nothing personal) and a
Web Push to each of its browsers.

The session's after_flush notes the notifications written, with their account's address and
subscriptions (read in the same transaction); after_commit sends; the end of a transaction
that did not commit forgets them."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from webapp.mail import send_mail
from webapp.models import Account, Notification, PushSubscription
from webapp.notifications import messages, push

log = logging.getLogger(__name__)
_KEY = "kpjku_notifications"


@dataclass
class Outgoing:
    """What one committed transaction sends: per account, its address, its browsers and
    the notifications' codes."""

    emails: dict[int, str]
    subscriptions: dict[int, list[push.Subscription]]
    notices: list[tuple[int, str, str | None, str | None]]  # account, kind, subject, detail


def init_app(app: Flask) -> None:
    # Registered once, on the session class Flask-SQLAlchemy makes for every app.
    if not event.contains(Session, "after_flush", _noted):
        event.listen(Session, "after_flush", _noted)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_transaction_end", _ended)


def _noted(session: Session, flush_context) -> None:
    written = [obj for obj in session.new if isinstance(obj, Notification)]
    if not written:
        return
    outgoing: Outgoing = session.info.setdefault(_KEY, Outgoing({}, defaultdict(list), []))
    accounts = {n.account_id for n in written} - outgoing.emails.keys()
    if accounts:
        connection = session.connection()  # Core: no autoflush inside a flush
        for account_id, email in connection.execute(
            select(Account.id, Account.email).where(Account.id.in_(accounts))
        ):
            outgoing.emails[account_id] = email
        if push.enabled():
            for account_id, endpoint, p256dh, auth in connection.execute(
                select(PushSubscription.account_id, PushSubscription.endpoint,
                       PushSubscription.p256dh, PushSubscription.auth)
                .where(PushSubscription.account_id.in_(accounts))
            ):
                outgoing.subscriptions[account_id].append(push.Subscription(endpoint, p256dh, auth))
    outgoing.notices += [(n.account_id, n.kind, n.subject, n.detail) for n in written]


def _ended(session: Session, transaction) -> None:
    """Whatever a transaction that did not commit (rolled back, closed) had noted goes."""
    if transaction.parent is None:
        session.info.pop(_KEY, None)


def _committed(session: Session) -> None:
    outgoing: Outgoing | None = session.info.pop(_KEY, None)
    if outgoing is None:
        return
    try:
        send(outgoing)
    except Exception as error:  # the change is committed: its inbox entry is what counts
        log.warning("Notification not delivered: %s", type(error).__name__)


def send(outgoing: Outgoing) -> None:
    """One e-mail per account, one push per notification and browser. Both are queued off
    this thread and never raise."""
    inbox = messages.site_url("notifications.inbox", external=True)
    for account_id in dict.fromkeys(account for account, *_ in outgoing.notices):
        if account_id in outgoing.emails:
            send_mail(outgoing.emails[account_id], messages.EMAIL_SUBJECT, messages.email_body(inbox))
    pushes = [
        push.Push(subscription, _payload(kind, subject, detail))
        for account_id, kind, subject, detail in outgoing.notices
        for subscription in outgoing.subscriptions.get(account_id, ())
    ]
    if pushes:
        push.send_later(current_app._get_current_object(), pushes)  # type: ignore[attr-defined]


def _payload(kind: str, subject: str | None, detail: str | None) -> dict:
    message = messages.describe(kind, subject, detail)
    return {"title": message.title, "body": message.text, "url": message.url}
