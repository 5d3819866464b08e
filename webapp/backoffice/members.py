"""Cari peserta: an exact KPJ (11 digits) or NIK (16 digits), never a partial one. What
the officer sees is masked but for what they searched by; every search that shows a
member is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from webapp import audit
from webapp.extensions import db
from webapp.identity import KPJ_PATTERN, NIK_PATTERN
from webapp.models import (
    Account,
    Claim,
    ClaimStage,
    MemberRequest,
    Membership,
    Officer,
    Person,
    RequestStatus,
)

NUMBER_ERROR = "Isi nomor KPJ (11 angka) atau NIK (16 angka) yang lengkap."


@dataclass(frozen=True)
class Number:
    kind: str  # "kpj" or "nik"
    value: str


@dataclass(frozen=True)
class Member:
    nik: str
    person: Person | None
    account: Account | None
    cards: list[Membership]
    searched_kpj: str | None
    requests: list[MemberRequest]
    claims: list[Claim]


def parse_number(typed: str | None) -> Number | str:
    """The number typed (spaces, dots and dashes dropped), or the field's error."""
    value = "".join(char for char in (typed or "") if char not in " .-")
    if KPJ_PATTERN.fullmatch(value):
        return Number("kpj", value)
    if NIK_PATTERN.fullmatch(value):
        return Number("nik", value)
    return NUMBER_ERROR


def nik_of(number: Number) -> str | None:
    """The NIK a number stands for: itself, or the NIK a KPJ is registered under."""
    if number.kind == "nik":
        return number.value
    return db.session.scalar(select(Membership.nik).where(Membership.kpj == number.value))


def search(officer: Officer, number: Number) -> Member | None:
    """The member the number names, or None when nothing is registered under it. Audited
    (the caller's commit is not needed: this commits)."""
    nik = nik_of(number)
    if nik is None:
        return None
    person = db.session.get(Person, nik)
    cards = list(
        db.session.scalars(
            select(Membership)
            .options(selectinload(Membership.employer))
            .where(Membership.nik == nik)
            .order_by(Membership.registered_on.desc())
        )
    )
    if person is None and not cards:
        return None
    account = db.session.scalar(select(Account).where(Account.nik == nik))
    member = Member(
        nik=nik,
        person=person,
        account=account,
        cards=cards,
        searched_kpj=number.value if number.kind == "kpj" else None,
        requests=_open_requests(account, [card.kpj for card in cards]),
        claims=_open_claims(account),
    )
    audit.record("member.search", officer=officer, member_nik=nik, after={"by": number.kind})
    db.session.commit()
    return member


def _open_requests(account: Account | None, kpjs: list[str]) -> list[MemberRequest]:
    about = MemberRequest.kpj.in_(kpjs)
    if account is not None:
        about = or_(about, MemberRequest.account_id == account.id)
    return list(
        db.session.scalars(
            select(MemberRequest)
            .where(about, MemberRequest.status == RequestStatus.DIPROSES)
            .order_by(MemberRequest.created_at)
        )
    )


def _open_claims(account: Account | None) -> list[Claim]:
    if account is None:
        return []
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.account_id == account.id, Claim.stage.not_in([ClaimStage.SELESAI, ClaimStage.DITOLAK]))
            .order_by(Claim.submitted_at)
        )
    )
