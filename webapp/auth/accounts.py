"""Looking accounts up by e-mail address, and what counts as one."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Account

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EMAIL_ERROR = "Isi alamat email yang benar, misalnya nama@contoh.id."

Errors = dict[str, str]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_error(email: str) -> str | None:
    if not EMAIL_PATTERN.fullmatch(email) or len(email) > 254:
        return EMAIL_ERROR
    return None


def parse_email(form_value: str | None) -> str | Errors:
    email = (form_value or "").strip()
    error = email_error(email)
    return {"email": error} if error else normalise_email(email)


def find_account(email: str) -> Account | None:
    return db.session.scalar(
        select(Account).where(func.lower(Account.email) == normalise_email(email))
    )
