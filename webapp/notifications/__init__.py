"""Notifikasi (DESIGN §3.15): the inbox, and its delivery by e-mail and Web Push."""

from flask import Blueprint, Flask, g
from flask_login import current_user

from webapp.models import Account
from webapp.notifications import services

bp = Blueprint("notifications", __name__)


def init_app(app: Flask) -> None:
    # Imported here, not above: the features that notify() import this package, and the
    # inbox's words (messages.py) import theirs.
    from webapp.notifications import delivery, push, routes  # noqa: F401

    app.register_blueprint(bp)
    push.init_app(app)
    delivery.init_app(app)
    app.context_processor(_unread_in_tab_bar)


def _unread_in_tab_bar() -> dict:
    return {"unread_notifications": unread_notifications}


def unread_notifications() -> int:
    """The tab bar's badge: one indexed COUNT per request, asked only by a page that shows
    the tab bar to a signed-in participant."""
    if "unread_notifications" not in g:
        user = current_user._get_current_object()
        g.unread_notifications = (
            services.unread_count(user.id) if isinstance(user, Account) else 0
        )
    return g.unread_notifications
