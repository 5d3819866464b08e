"""Passwords: hashing, the rules a new one must meet, change and reset (§3.16, §3.17).
A change ends every other session; a reset ends them all."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from webapp import sessions
from webapp.auth import emails, events
from webapp.auth.accounts import Errors, find_account
from webapp.extensions import db
from webapp.forms import missing
from webapp.models import Account, PasswordReset, SecurityEventKind, utcnow
from webapp.tokens import digest, new_token

MIN_PASSWORD_LENGTH = 8
RESET_LIFETIME = timedelta(minutes=30)
NEW_PASSWORD_LABELS = {
    "new_password": "Kata sandi baru",
    "new_password_confirm": "Ulangi kata sandi baru",
}


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def dummy_hash() -> str:
    """Checked when no account matches, so a wrong e-mail costs as much as a wrong password."""
    return _dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


@lru_cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def password_errors(password: str, confirm: str, field: str = "password") -> Errors:
    if len(password) < MIN_PASSWORD_LENGTH:
        return {field: f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter."}
    if password.isdigit() or password.isalpha():
        return {field: "Kata sandi harus berisi huruf dan angka."}
    if len(password) > 128:
        return {field: "Kata sandi maksimal 128 karakter."}
    if password != confirm:
        return {f"{field}_confirm": "Ulangi kata sandi yang sama."}
    return {}


def change_password(account: Account, current: str, new: str, confirm: str) -> Errors:
    """Set a new password; every other session of the account ends. Commits on success."""
    typed = {"current_password": current, "new_password": new, "new_password_confirm": confirm}
    empty = missing(typed, {"current_password": "Kata sandi saat ini", **NEW_PASSWORD_LABELS})
    if empty:
        return empty
    if not check_password_hash(account.password_hash, current):
        return {"current_password": "Kata sandi saat ini salah."}
    errors = password_errors(new, confirm, field="new_password")
    if errors:
        return errors
    if new == current:
        return {"new_password": "Kata sandi baru harus berbeda dari yang lama."}
    account.password_hash = hash_password(new)
    sessions.end_all(account.id, keep=account.current_session_id)
    events.record(account, SecurityEventKind.PASSWORD_CHANGED)
    db.session.commit()
    return {}


def request_reset(email: str) -> None:
    """E-mail a reset link when the address has an account; nothing otherwise. The
    caller answers the same either way. Commits."""
    account = find_account(email)
    if account is None:
        return
    token, token_hash = new_token()
    now = utcnow()
    db.session.add(
        PasswordReset(
            token_hash=token_hash, account_id=account.id, created_at=now, expires_at=now + RESET_LIFETIME
        )
    )
    db.session.commit()
    emails.send_reset(account.email, token)


def live_reset(token: str) -> PasswordReset | None:
    return db.session.scalar(
        select(PasswordReset).where(
            PasswordReset.token_hash == digest(token),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
    )


def reset_password(token: str, new: str, confirm: str) -> Errors | None:
    """Set a new password through a reset link: the link and every other outstanding
    link of the account stop working, and every session ends. None when the link is
    not (or no longer) valid. Commits."""
    reset = live_reset(token)
    if reset is None:
        return None
    typed = {"new_password": new, "new_password_confirm": confirm}
    errors = missing(typed, NEW_PASSWORD_LABELS) or password_errors(new, confirm, "new_password")
    if errors:
        return errors
    now = utcnow()
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return None
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.account_id == reset.account_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    account = db.session.get_one(Account, reset.account_id)
    account.password_hash = hash_password(new)
    sessions.end_all(account.id)
    events.record(account, SecurityEventKind.PASSWORD_RESET)
    db.session.commit()
    return {}
