"""Accounts: registration with e-mail verification (§3.1), password change and reset
(§3.16).

Registration never says whether an e-mail address already has an account: that address
gets a notice instead of a link. Only someone holding a complete identity (NIK, name,
birth date, mother's name and the active KPJ) learns that it already has an account."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp import sessions
from webapp.auth import emails, events
from webapp.auth.accounts import Errors, email_error, find_account, normalise_email
from webapp.auth.passwords import hash_password, password_errors
from webapp.extensions import db
from webapp.forms import missing
from webapp.formatting import mask_email
from webapp.identity import (
    KPJ_PATTERN,
    NIK_PATTERN,
    biodata_differences,
    membership_differences,
    nik_birth_date,
)
from webapp.kpj.services import link_values
from webapp.models import (
    Account,
    KpjStatus,
    Membership,
    PendingRegistration,
    Person,
    SecurityEventKind,
    utcnow,
)
from webapp.tokens import digest, new_token

PHONE_PATTERN = re.compile(r"(\+62|62|0)8[0-9]{7,12}")
VERIFICATION_LIFETIME = timedelta(hours=24)

REGISTRATION_LABELS = {
    "nik": "NIK",
    "full_name": "Nama lengkap",
    "birth_date": "Tanggal lahir",
    "mother_name": "Nama ibu kandung",
    "kpj": "Nomor KPJ",
    "email": "Email",
    "phone": "Nomor HP",
    "password": "Kata sandi",
    "password_confirm": "Ulangi kata sandi",
}

IDENTITY_MISMATCH = (
    "NIK, nama lengkap, tanggal lahir, atau nama ibu kandung tidak cocok dengan data "
    "kependudukan (Dukcapil). Isi persis seperti di KTP dan Kartu Keluarga Anda."
)


@dataclass(frozen=True)
class Registration:
    nik: str
    full_name: str
    birth_date: date
    mother_name: str
    kpj: str
    email: str
    phone: str
    password: str


@dataclass(frozen=True)
class CheckEmail:
    """The registration is in (or the address already has an account and got a notice):
    the user is asked to open their e-mail either way."""

    email: str


@dataclass(frozen=True)
class AlreadyRegistered:
    """The complete identity already has an account: said only to whoever holds it all."""

    masked_email: str


@dataclass(frozen=True)
class Verified:
    account: Account
    nik_date_differs: bool  # a warning only: NIKs are never reissued


class VerifyFailure(str):
    """Why a verification link did not open an account (a sentence for the page)."""


LINK_INVALID = VerifyFailure(
    "Tautan aktivasi ini tidak berlaku: sudah dipakai, sudah lewat 24 jam, atau tidak "
    "lengkap tersalin. Daftar lagi untuk mendapat tautan baru."
)
ACCOUNT_EXISTS = VerifyFailure(
    "Akun untuk NIK atau email ini sudah aktif. Silakan masuk, atau pakai Lupa kata sandi."
)


def parse_registration(form: dict[str, str]) -> Registration | Errors:
    value = {key: (form.get(key) or "").strip() for key in Registration.__dataclass_fields__}
    value["kpj"] = re.sub(r"[\s.\-]", "", value["kpj"])
    value["phone"] = re.sub(r"[\s\-]", "", value["phone"])
    errors: Errors = {}
    if not NIK_PATTERN.fullmatch(value["nik"]):
        errors["nik"] = "NIK harus 16 angka, sesuai KTP."
    for key in ("full_name", "mother_name"):
        if len(value[key]) > 100:
            errors[key] = f"{REGISTRATION_LABELS[key]} terlalu panjang (maksimal 100 huruf)."
    birth = _parse_date(value["birth_date"])
    if birth is None:
        errors["birth_date"] = "Isi tanggal lahir yang benar."
    elif birth >= date.today():
        errors["birth_date"] = "Tanggal lahir harus sebelum hari ini."
    if not KPJ_PATTERN.fullmatch(value["kpj"]):
        errors["kpj"] = "Nomor KPJ harus 11 angka, tertera di kartu peserta."
    errors.update(_contact_errors(value["email"], value["phone"]))
    errors.update(password_errors(value["password"], form.get("password_confirm") or ""))
    # An empty field is told so, whatever its other rules would have said.
    errors.update(missing(form, REGISTRATION_LABELS))
    if errors:
        return errors
    value["email"] = normalise_email(value["email"])
    return Registration(**{**value, "birth_date": birth})


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _contact_errors(email: str, phone: str) -> Errors:
    errors = {}
    if error := email_error(email):
        errors["email"] = error
    if not PHONE_PATTERN.fullmatch(phone):
        errors["phone"] = "Isi nomor HP yang benar, misalnya 081234567890."
    return errors


def register(data: Registration) -> CheckEmail | AlreadyRegistered | Errors:
    """Check the identity and the first card, then e-mail a verification link. The
    account is created only when the link is followed (verify). Commits."""
    person = db.session.get(Person, data.nik)
    if person is None or biodata_differences(
        full_name=data.full_name,
        birth_date=data.birth_date,
        mother_name=data.mother_name,
        person=person,
    ):
        return {"identity": IDENTITY_MISMATCH}
    existing = db.session.scalar(select(Account).where(Account.nik == person.nik))
    card_error = _first_card_error(data.kpj, person, existing)
    if card_error:
        return {"kpj": card_error}
    if existing is not None:
        return AlreadyRegistered(mask_email(existing.email))
    # Hashed before the branch: a taken address must not answer faster than a new one.
    password_hash = hash_password(data.password)
    if find_account(data.email) is not None:
        emails.send_address_taken(data.email)
        return CheckEmail(data.email)
    token, token_hash = new_token()
    now = utcnow()
    db.session.execute(delete(PendingRegistration).where(_purgeable(now)))
    db.session.add(
        PendingRegistration(
            token_hash=token_hash,
            nik=person.nik,
            kpj=data.kpj,
            email=data.email,
            phone=data.phone,
            password_hash=password_hash,
            created_at=now,
            expires_at=now + VERIFICATION_LIFETIME,
        )
    )
    db.session.commit()
    emails.send_verification(data.email, token)
    return CheckEmail(data.email)


def pending_registration(token: str) -> PendingRegistration | None:
    """The live registration a verification link points at, if any."""
    return db.session.scalar(
        select(PendingRegistration).where(
            PendingRegistration.token_hash == digest(token),
            PendingRegistration.expires_at > utcnow(),
        )
    )


def verify(token: str) -> Verified | VerifyFailure | Errors:
    """Follow a verification link: create the account, link its first card, sign in on
    this browser. The link works once; the other pending registrations of the NIK go.
    Commits."""
    pending = pending_registration(token)
    if pending is None:
        # Followed already (a second tap, or a click racing this one): the account is there.
        return ACCOUNT_EXISTS if _followed_link_opened_an_account(token) else LINK_INVALID
    person = db.session.get_one(Person, pending.nik)
    if find_account(pending.email) is not None or db.session.scalar(
        select(Account.id).where(Account.nik == pending.nik)
    ):
        # A statement, not session.delete(): a concurrent click on this link may have
        # opened the account and consumed the link since it was read here (0 rows is fine).
        db.session.execute(delete(PendingRegistration).where(PendingRegistration.id == pending.id))
        db.session.commit()
        return ACCOUNT_EXISTS
    # The registry may have changed the card since the e-mail was sent, or a concurrent
    # click on this link has just opened the account and linked it.
    card_error = _first_card_error(pending.kpj, person, None)
    if card_error:
        if db.session.scalar(select(Account.id).where(Account.nik == pending.nik)):
            return ACCOUNT_EXISTS
        return {"kpj": card_error}
    account = Account(
        nik=pending.nik,
        email=pending.email,
        phone=pending.phone,
        password_hash=pending.password_hash,
    )
    db.session.add(account)
    try:
        db.session.flush()
        if not _link_first_card(account, pending.kpj) or not _consume(pending):
            db.session.rollback()
            # A concurrent click on this link opened the account first, or the card went.
            return ACCOUNT_EXISTS if _followed_link_opened_an_account(token) else LINK_INVALID
        sessions.start(account)
        events.record(account, SecurityEventKind.SIGN_IN)
        db.session.commit()
    except IntegrityError:
        # A concurrent click on the same link (or another registration) got there first.
        db.session.rollback()
        return ACCOUNT_EXISTS
    return Verified(account, nik_birth_date(person.nik) != person.birth_date)


def _consume(pending: PendingRegistration) -> bool:
    """Mark the link followed and remove its NIK's other pending registrations; False if
    another request consumed it first. The followed link's row stays, expired and without
    its password hash, for the rest of its day: a second tap on it is then told that the
    account is active (not to register again)."""
    now = utcnow()
    taken = db.session.execute(
        update(PendingRegistration)
        .where(PendingRegistration.id == pending.id, PendingRegistration.expires_at > now)
        .values(expires_at=now, password_hash=FOLLOWED)
    ).rowcount
    db.session.execute(
        delete(PendingRegistration).where(
            PendingRegistration.nik == pending.nik, PendingRegistration.id != pending.id
        )
    )
    return taken == 1


# The password hash of a followed link's row: gone with the link's use.
FOLLOWED = ""


def _followed_link_opened_an_account(token: str) -> bool:
    nik = select(PendingRegistration.nik).where(
        PendingRegistration.token_hash == digest(token),
        PendingRegistration.password_hash == FOLLOWED,
    )
    return db.session.scalar(select(Account.id).where(Account.nik.in_(nik))) is not None


def _purgeable(now):
    """Rows no link needs any more: unfollowed ones past their expiry, followed ones once
    the link would have expired anyway."""
    return or_(
        (PendingRegistration.expires_at < now) & (PendingRegistration.password_hash != FOLLOWED),
        PendingRegistration.created_at < now - VERIFICATION_LIFETIME,
    )


def _link_first_card(account: Account, kpj: str) -> bool:
    return (
        db.session.execute(
            update(Membership)
            .where(Membership.kpj == kpj, Membership.account_id.is_(None))
            .values(**link_values(account.id))
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _first_card_error(kpj: str, person: Person, existing: Account | None) -> str | None:
    card = db.session.get(Membership, kpj)
    owner = existing.id if existing is not None else None
    if card is None or card.nik != person.nik or card.account_id not in (None, owner):
        return "KPJ tidak ditemukan atas NIK Anda. Periksa lagi nomor di kartu peserta Anda."
    if card.status != KpjStatus.AKTIF:
        return (
            "Untuk mendaftar, gunakan KPJ yang masih AKTIF (dari tempat kerja Anda sekarang "
            "atau kepesertaan mandiri). Kartu lama bisa ditambahkan setelah akun dibuat."
        )
    differences = membership_differences(card, person)
    if differences:
        fields = ", ".join(d.label for d in differences)
        return (
            f"Data KPJ ini berbeda dengan data kependudukan pada: {fields}. Ajukan perbaikan "
            "data KPJ ke kantor cabang BPJS Ketenagakerjaan dengan membawa KTP, lalu daftar lagi."
        )
    return None


