"""Outgoing e-mail: plain text from MAIL_DEFAULT_SENDER through the Flask-Mailman backend
the configuration names (SMTP in production and in tests, the outbox in development).

    send_mail(to, subject, body)   queue one message; returns at once and never raises
    wait_for_mail(timeout=10)      block until every queued message has been handed over

A lower floor: features call it, it imports no feature.
"""

from __future__ import annotations

import logging
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from uuid import uuid4

from flask import Flask, current_app
from flask_mailman import EmailMessage
from flask_mailman.backends.console import EmailBackend as ConsoleEmailBackend

from webapp.extensions import mail as mail_extension

log = logging.getLogger(__name__)

# Sending happens here, off the request thread. Two threads are plenty for a portal's mail,
# and a mail server that hangs (until MAIL_TIMEOUT) holds at most two.
_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
_pending: set[Future] = set()
_pending_lock = threading.Lock()

ADDRESS = re.compile(r"[^\s'\"<>(),;:\[\]]+@[^\s'\"<>(),;:\[\]]+")


def init_app(app: Flask) -> None:
    mail_extension.init_app(app)
    if app.config.get("MAIL_OUTBOX_DIR"):
        from webapp import devmail

        app.register_blueprint(devmail.bp)


def send_mail(to: str, subject: str, body: str) -> None:
    """Queue a plain-text e-mail to one address. The caller takes as long whether or not a
    mail goes out, so that e.g. a "forgot password" answer cannot reveal by its timing
    whether the address has an account. A failure is logged, never raised."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    future = _sender.submit(_deliver, app, to, subject, body)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def wait_for_mail(timeout: float = 10) -> None:
    """Block until every mail queued so far has been handed to the backend (sent, or its
    failure logged): for tests, and for CLI commands before they exit."""
    with _pending_lock:
        queued = set(_pending)
    _, not_done = wait(queued, timeout=timeout)
    if not_done:
        raise TimeoutError(f"{len(not_done)} e-mail(s) still being sent after {timeout} s")


def _forget(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def _deliver(app: Flask, to: str, subject: str, body: str) -> None:
    with app.app_context():
        try:
            # Our own connection, closed however the send ends: Flask-Mailman's SMTP
            # backend leaves it open when the server refuses the recipient.
            with mail_extension.get_connection() as connection:
                EmailMessage(subject, body, to=[to], connection=connection).send()
        except Exception as error:  # whatever goes wrong, the caller has long moved on
            log.warning("E-mail %r not sent: %s", subject, _describe(error, body))


def _describe(error: Exception, body: str) -> str:
    """The error without personal data: a refused recipient's error quotes the address."""
    text = ADDRESS.sub("<address>", str(error))
    if body:
        text = text.replace(body, "<body>")
    return f"{type(error).__name__}: {text}"


class DevOutboxEmailBackend(ConsoleEmailBackend):
    """Development: each message on the console, as Flask-Mailman's console backend does,
    and as an .eml file in MAIL_OUTBOX_DIR, which /dev/kotak-keluar lists. (Flask-Mailman
    loads a backend by dotted path only when the class name ends in EmailBackend.)"""

    def write_message(self, message: EmailMessage) -> None:
        super().write_message(message)
        outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        # The name starts with the time, so the files sort oldest to newest.
        name = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S-%f}-{uuid4().hex[:8]}.eml"
        partial = outbox / f"{name}.part"
        partial.write_bytes(message.message().as_bytes())
        partial.replace(outbox / name)  # the outbox page never reads half a message
