"""Plain factory functions. Each builds valid registry or portal rows with unique keys;
keyword arguments override any field."""

from __future__ import annotations

import itertools
from datetime import date
from functools import lru_cache

from flask import current_app
from werkzeug.security import generate_password_hash

from webapp.extensions import db
from webapp.kpj.services import link_values
from webapp.models import Account, Contribution, Employer, JhtRate, Membership, Person

PASSWORD = "rahasia-Benar-123"
_serial = itertools.count(1)


def next_nik(birth: date = date(1990, 1, 23), gender: str = "L") -> str:
    day = birth.day + (40 if gender == "P" else 0)
    return f"317101{day:02d}{birth.month:02d}{birth.year % 100:02d}{next(_serial):04d}"


def next_kpj() -> str:
    return f"{next(_serial) + 10000000000:011d}"


def person(**overrides) -> Person:
    birth = overrides.pop("birth_date", date(1990, 1, 23))
    gender = overrides.pop("gender", "L")
    values = dict(
        nik=next_nik(birth, gender),
        full_name="Budi Santoso",
        birth_place="Jakarta",
        birth_date=birth,
        gender=gender,
        mother_name="Siti Aminah",
    )
    values.update(overrides)
    row = Person(**values)
    db.session.add(row)
    db.session.flush()
    return row


def employer(**overrides) -> Employer:
    values = dict(npp=f"NPP{next(_serial):05d}", name="PT Maju Bersama", risk_class=2)
    values.update(overrides)
    row = Employer(**values)
    db.session.add(row)
    db.session.flush()
    return row


def membership(owner: Person, **overrides) -> Membership:
    """A KPJ whose biodata matches owner's population record unless overridden."""
    segment = overrides.get("segment", "PU")
    values = dict(
        kpj=next_kpj(),
        segment=segment,
        nik=owner.nik,
        full_name=owner.full_name,
        birth_date=owner.birth_date,
        mother_name=owner.mother_name,
        status="AKTIF",
        registered_on=date(2015, 1, 5),
        ended_on=None,
    )
    values.update(overrides)
    if "employer_npp" not in overrides and segment in ("PU", "JAKON"):
        values["employer_npp"] = employer().npp
    if values["status"] != "AKTIF" and values["ended_on"] is None:
        values["ended_on"] = date(2020, 6, 30)
    row = Membership(**values)
    db.session.add(row)
    db.session.flush()
    return row


def newcomer() -> tuple[Person, Membership]:
    """Dewi: a participant with an AKTIF JAKON card and no account yet (committed)."""
    dewi = person(
        full_name="DEWI LESTARI", mother_name="SRI WAHYUNI", gender="P", birth_date=date(1992, 4, 9)
    )
    card = membership(dewi, segment="JAKON")
    db.session.commit()
    return dewi, card


def _password_hash() -> str:
    return _hash_of_password(current_app.config["PASSWORD_HASH_METHOD"])


@lru_cache(maxsize=2)
def _hash_of_password(method: str) -> str:
    return generate_password_hash(PASSWORD, method=method)


def account(owner: Person, *cards: Membership, **overrides) -> Account:
    """An account for owner with cards linked (see link); the password is PASSWORD."""
    values = dict(
        nik=owner.nik,
        email=f"peserta{next(_serial)}@contoh.id",
        phone="081234567890",
        password_hash=_password_hash(),
    )
    values.update(overrides)
    row = Account(**values)
    db.session.add(row)
    db.session.flush()
    for card in cards:
        link(card, row)
    db.session.commit()
    return row


def link(card: Membership, owner: Account) -> Membership:
    """Link card to owner the way the app does (same columns, a fresh link_ref)."""
    for column, value in link_values(owner.id).items():
        setattr(card, column, value)
    return card


def contribution(card: Membership, period: date, **overrides) -> Contribution:
    wage = overrides.pop("wage", 5_000_000)
    values = dict(
        kpj=card.kpj,
        period=period.replace(day=1),
        wage=wage,
        jht=wage * 57 // 1000,
        jp=wage * 3 // 100,
        jkk=wage * 54 // 10000,
        jkm=wage * 3 // 1000,
        jkp=0,
        paid_on=period.replace(day=10),
    )
    values.update(overrides)
    row = Contribution(**values)
    db.session.add(row)
    return row


def jht_rate(year: int, rate: str) -> JhtRate:
    from decimal import Decimal

    row = JhtRate(year=year, rate=Decimal(rate))
    db.session.add(row)
    return row
