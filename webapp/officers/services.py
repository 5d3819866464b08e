"""Officers: creating them (the CLI), and the two steps of their sign-in. A password and
then a TOTP code; both steps spend the same failure budget as a participant's sign-in
(webapp/auth/signin.py), keyed by the e-mail typed, so neither the password nor the
six digits can be guessed at speed, and an unknown address costs the same time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from webapp import audit, sessions
from webapp.auth.accounts import email_error, email_key, normalise_email
from webapp.auth.passwords import dummy_hash, hash_password, password_errors
from webapp.auth.signin import Refused, reserve
from webapp.extensions import db
from webapp.identity import NIK_PATTERN
from webapp.models import Officer, OfficerRole
from webapp.officers import sessions as officer_sessions
from webapp.officers import totp

Errors = dict[str, str]


@dataclass(frozen=True)
class NewOfficer:
    officer: Officer
    uri: str


def find(email: str) -> Officer | None:
    return db.session.scalar(select(Officer).where(func.lower(Officer.email) == normalise_email(email)))


def create(email: str, role: str, password: str, confirm: str, nik: str | None = None) -> NewOfficer | Errors:
    """A new officer with a fresh TOTP secret, not yet enrolled. Commits. Errors are keyed
    by option: email, role, nik, password, password_confirm."""
    errors: Errors = {}
    problem = email_error(email.strip())
    if problem:
        errors["email"] = problem
    elif find(email) is not None:
        errors["email"] = "Sudah ada petugas dengan email ini."
    if role not in {r.value for r in OfficerRole}:
        errors["role"] = "Peran harus salah satu dari: " + ", ".join(r.value for r in OfficerRole) + "."
    if nik is not None and not NIK_PATTERN.fullmatch(nik):
        errors["nik"] = "NIK harus 16 angka."
    errors.update(password_errors(password, confirm))
    if errors:
        return errors
    officer = Officer(
        email=normalise_email(email),
        password_hash=hash_password(password),
        role=role,
        nik=nik,
        totp_secret=totp.new_secret(),
        active=True,
    )
    db.session.add(officer)
    db.session.flush()
    audit.record("officer.create", target=f"officer:{officer.id}", after={"email": officer.email, "role": role})
    db.session.commit()
    return NewOfficer(officer, totp.uri(officer))


def deactivate(email: str) -> Officer | None:
    """The officer can no longer sign in, and every session of theirs ends. Commits."""
    officer = find(email)
    if officer is None:
        return None
    officer.active = False
    sessions.end_all(officer.id, kind=officer_sessions.OFFICER)
    audit.record("officer.deactivate", target=f"officer:{officer.id}", before={"active": True}, after={"active": False})
    db.session.commit()
    return officer


def everyone() -> list[Officer]:
    return list(db.session.scalars(select(Officer).order_by(Officer.email)))


def _budget_key(email: str) -> str:
    # Not a participant's key: a participant's typos never spend an officer's budget.
    return email_key("petugas:" + email.strip())


def check_password(email: str, password: str) -> Officer | Refused:
    """The first step: the officer whose password this is (active), within the failure
    budget. A failure is audited when the address is an officer's. Commits."""
    officer = find(email)
    reserved = reserve(_budget_key(email), None)
    if isinstance(reserved, Refused):
        return reserved
    correct = check_password_hash(officer.password_hash if officer else dummy_hash(), password)
    if officer is None or not correct or not officer.active:
        if officer is not None:
            audit.record("officer.sign_in_failed", officer=officer, after={"step": "password"})
        db.session.commit()
        return Refused()
    db.session.delete(reserved)
    db.session.commit()
    return officer


def check_code(officer_id: int, code: str) -> Officer | Refused:
    """The second step: a TOTP code not used before, within the same budget. The first
    good code enrols the officer. On success the officer's session starts (and with it a
    clean Flask session). Commits."""
    officer = db.session.get(Officer, officer_id)
    if officer is None or not officer.active:
        return Refused()
    reserved = reserve(_budget_key(officer.email), None)
    if isinstance(reserved, Refused):
        return reserved
    enrolling = officer.totp_enrolled_at is None
    if not totp.accept(officer, code):
        audit.record("officer.sign_in_failed", officer=officer, after={"step": "code"})
        db.session.commit()
        return Refused()
    db.session.delete(reserved)
    if enrolling:
        audit.record("officer.enrol", officer=officer)
    officer_sessions.start(officer)
    audit.record("officer.sign_in", officer=officer)
    db.session.commit()
    return officer


def sign_out(officer: Officer) -> None:
    officer_sessions.end()
    audit.record("officer.sign_out", officer=officer)
    db.session.commit()

