"""Accounts: registration (§3.1), authentication and password changes.

Messages never say whether an e-mail address or a NIK already has an account."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.identity import (
    KPJ_PATTERN,
    NIK_PATTERN,
    biodata_differences,
    membership_differences,
    nik_birth_date,
)
from webapp.kpj.services import link_values
from webapp.models import Account, KpjStatus, Membership, Person

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_PATTERN = re.compile(r"(\+62|62|0)8[0-9]{7,12}")
MIN_PASSWORD_LENGTH = 8

IDENTITY_MISMATCH = (
    "NIK, nama lengkap, tanggal lahir, atau nama ibu kandung tidak cocok dengan data "
    "kependudukan (Dukcapil). Isi persis seperti di KTP dan Kartu Keluarga Anda."
)
ACCOUNT_UNAVAILABLE = (
    "Akun tidak dapat dibuat dengan data ini. Jika Anda sudah pernah mendaftar, silakan "
    "masuk dengan email Anda."
)

# Checked when no account matches, so a wrong e-mail costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))

Errors = dict[str, str]


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
class Registered:
    account: Account
    nik_date_differs: bool  # a warning only: NIKs are never reissued


def normalise_email(email: str) -> str:
    return email.strip().lower()


def parse_registration(form: dict[str, str]) -> Registration | Errors:
    value = {key: (form.get(key) or "").strip() for key in Registration.__dataclass_fields__}
    value["kpj"] = re.sub(r"[\s.\-]", "", value["kpj"])
    value["phone"] = re.sub(r"[\s\-]", "", value["phone"])
    errors: Errors = {}
    if not NIK_PATTERN.fullmatch(value["nik"]):
        errors["nik"] = "NIK harus 16 angka, sesuai KTP."
    for key, label in (("full_name", "Nama lengkap"), ("mother_name", "Nama ibu kandung")):
        if not value[key]:
            errors[key] = f"{label} wajib diisi."
        elif len(value[key]) > 100:
            errors[key] = f"{label} terlalu panjang (maksimal 100 huruf)."
    birth = _parse_date(value["birth_date"])
    if birth is None:
        errors["birth_date"] = "Isi tanggal lahir yang benar."
    elif birth >= date.today():
        errors["birth_date"] = "Tanggal lahir harus sebelum hari ini."
    if not KPJ_PATTERN.fullmatch(value["kpj"]):
        errors["kpj"] = "Nomor KPJ harus 11 angka, tertera di kartu peserta."
    errors.update(_contact_errors(value["email"], value["phone"]))
    errors.update(password_errors(value["password"], form.get("password_confirm") or ""))
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
    if not EMAIL_PATTERN.fullmatch(email) or len(email) > 254:
        errors["email"] = "Isi alamat email yang benar, misalnya nama@contoh.id."
    if not PHONE_PATTERN.fullmatch(phone):
        errors["phone"] = "Isi nomor HP yang benar, misalnya 081234567890."
    return errors


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


def register(data: Registration) -> Registered | Errors:
    """Create the account and link its first (AKTIF) KPJ. Commits on success."""
    person = db.session.get(Person, data.nik)
    if person is None or biodata_differences(
        full_name=data.full_name,
        birth_date=data.birth_date,
        mother_name=data.mother_name,
        person=person,
    ):
        return {"identity": IDENTITY_MISMATCH}
    if _account_exists(data.nik, data.email):
        return {"identity": ACCOUNT_UNAVAILABLE}
    card_error = _first_card_error(data.kpj, person)
    if card_error:
        return {"kpj": card_error}

    account = Account(
        nik=person.nik,
        email=data.email,
        phone=data.phone,
        password_hash=generate_password_hash(data.password),
    )
    db.session.add(account)
    try:
        db.session.flush()
        linked = db.session.execute(
            update(Membership)
            .where(Membership.kpj == data.kpj, Membership.account_id.is_(None))
            .values(**link_values(account.id))
            .execution_options(synchronize_session=False)
        ).rowcount
        if linked != 1:
            db.session.rollback()
            return {"kpj": "KPJ tidak ditemukan atas NIK Anda."}
        db.session.commit()
    except IntegrityError:
        # A concurrent registration took the NIK or the e-mail address first.
        db.session.rollback()
        return {"identity": ACCOUNT_UNAVAILABLE}
    return Registered(account, nik_birth_date(person.nik) != person.birth_date)


def _account_exists(nik: str, email: str) -> bool:
    return (
        db.session.scalar(
            select(Account.id).where((Account.nik == nik) | (func.lower(Account.email) == email))
        )
        is not None
    )


def _first_card_error(kpj: str, person: Person) -> str | None:
    card = db.session.get(Membership, kpj)
    if card is None or card.nik != person.nik or card.account_id is not None:
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


def authenticate(email: str, password: str) -> Account | None:
    account = db.session.scalar(
        select(Account).where(func.lower(Account.email) == normalise_email(email))
    )
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return account if check_password_hash(account.password_hash, password) else None


def change_password(account: Account, current: str, new: str, confirm: str) -> Errors:
    """Set a new password; every other session of the account ends. Commits on success."""
    if not check_password_hash(account.password_hash, current):
        return {"current_password": "Kata sandi saat ini salah."}
    errors = password_errors(new, confirm, field="new_password")
    if errors:
        return errors
    if new == current:
        return {"new_password": "Kata sandi baru harus berbeda dari yang lama."}
    account.password_hash = generate_password_hash(new)
    account.session_token = secrets.token_hex(16)
    db.session.commit()
    return {}
