"""/dev/kotak-keluar: the e-mails the development backend wrote, newest first, so that a
developer can follow a link in them without a mail server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup, escape

from webapp.devmail import bp

MAX_SHOWN = 50
# An http(s) URL up to white space or a quote; punctuation that ends a sentence is not
# part of it.
URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")


@dataclass(frozen=True)
class OutboxMessage:
    sent_at: datetime | None  # naive UTC, as the |waktu filter expects
    to: str
    subject: str
    body: Markup


@bp.get("/kotak-keluar")
def kotak_keluar():
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    return render_template(
        "devmail/outbox.html", messages=read_outbox(outbox), outbox=outbox, limit=MAX_SHOWN
    )


def read_outbox(outbox: Path, limit: int = MAX_SHOWN) -> list[OutboxMessage]:
    # The backend names each file after the time it wrote it.
    newest = sorted(outbox.glob("*.eml"), reverse=True)[:limit]
    return [_read(path) for path in newest]


def _read(path: Path) -> OutboxMessage:
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    date = message["Date"]
    body = message.get_body(preferencelist=("plain",))
    return OutboxMessage(
        sent_at=_naive_utc(date.datetime) if date else None,
        to=str(message["To"] or ""),
        subject=str(message["Subject"] or ""),
        body=linkify(body.get_content() if body else ""),
    )


def _naive_utc(value: datetime) -> datetime:
    # A "-0000" Date parses without a zone: it is UTC all the same.
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def linkify(text: str) -> Markup:
    """The text escaped, with each http(s) URL in it a link."""
    pieces: list[Markup] = []
    last = 0
    for match in URL.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(Markup('<a href="{0}" rel="noreferrer">{0}</a>').format(match.group()))
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)
