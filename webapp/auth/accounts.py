"""Looking accounts up by e-mail address, and what counts as one."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.forms import required
from webapp.models import Account

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EMAIL_ERROR = "Isi alamat email yang benar, misalnya nama@contoh.id."

Errors = dict[str, str]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_key(email: str) -> str:
    """A keyed hash of an address typed, for counting attempts (rate limits, sign-in
    budgets) without keeping or logging the address itself."""
    secret = current_app.config["SECRET_KEY"].encode()
    typed = normalise_email(email).encode("utf-8", "replace")
    return hmac.new(secret, typed, hashlib.sha256).hexdigest()


def email_error(email: str) -> str | None:
    if not EMAIL_PATTERN.fullmatch(email) or len(email) > 254:
        return EMAIL_ERROR
    return None


def parse_email(form_value: str | None) -> str | Errors:
    email = (form_value or "").strip()
    error = email_error(email) if email else required("Email")
    return {"email": error} if error else normalise_email(email)


def find_account(email: str) -> Account | None:
    return db.session.scalar(
        select(Account).where(func.lower(Account.email) == normalise_email(email))
    )
