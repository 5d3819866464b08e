"""Development only: the outbox page, registered by webapp.mail when MAIL_OUTBOX_DIR is set."""

from flask import Blueprint

bp = Blueprint("devmail", __name__, url_prefix="/dev")

from webapp.devmail import routes  # noqa: E402,F401
