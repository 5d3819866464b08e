"""Tambah KPJ (DESIGN §3.6): the checks, in their order, and the link itself; and the
cards Temukan KPJ lama (§3.13) finds, with the handles they are offered by.

Every attempt that passes field validation is stored as a Transaction. The link is a
conditional UPDATE, so when two requests race for one KPJ the database decides which wins.
Every way of linking a card (here, registration, the demo) sets link_values()."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload, selectinload

from webapp.extensions import db
from webapp.identity import KPJ_PATTERN, FieldDifference, membership_differences
from webapp.models import (
    Account,
    KpjStatus,
    Membership,
    Segment,
    Transaction,
    TxKind,
    TxStatus,
    utcnow,
)

_SEPARATORS = re.compile(r"[\s.\-]")


class Outcome(enum.StrEnum):
    LINKED = "LINKED"
    NOT_FOUND = "NOT_FOUND"
    WRONG_SEGMENT = "WRONG_SEGMENT"
    ALREADY_LINKED = "ALREADY_LINKED"
    CLOSED = "CLOSED"
    BIODATA_MISMATCH = "BIODATA_MISMATCH"
    BUSY = "BUSY"


LINK_ATTEMPTS = 3
# How long after a link the empty form it left behind, sent, is taken for the second tap of
# a double tap on KIRIM rather than for a form sent without a number.
REPEAT_WINDOW = timedelta(seconds=10)


# Already linked is not an error: the card is where the user wants it.
_STATUS = {Outcome.LINKED: TxStatus.BERHASIL, Outcome.ALREADY_LINKED: TxStatus.BERHASIL}


@dataclass(frozen=True)
class AddRequest:
    kpj: str
    segment: Segment


@dataclass(frozen=True)
class AddResult:
    outcome: Outcome
    transaction: Transaction

    @property
    def linked(self) -> bool:
        return self.outcome is Outcome.LINKED


def parse_add_request(kpj: str | None, segment: str | None) -> AddRequest | dict[str, str]:
    """The field checks. Errors are keyed by field and nothing is recorded for them."""
    errors = {}
    if segment not in Segment.__members__:
        errors["segmen"] = "Pilih segmen kepesertaan terlebih dahulu."
    number = _SEPARATORS.sub("", kpj or "")
    if not number:
        errors["kpj"] = "Isi nomor KPJ (11 angka, tertera di kartu peserta)."
    elif not KPJ_PATTERN.fullmatch(number):
        errors["kpj"] = f"Nomor KPJ harus 11 angka; yang Anda isi {_describe_length(number)}."
    if errors:
        return errors
    return AddRequest(kpj=number, segment=Segment(segment))


def _describe_length(number: str) -> str:
    if not (number.isascii() and number.isdigit()):
        return "berisi selain angka"
    return f"{len(number)} angka"


def add_kpj(account: Account, request: AddRequest) -> AddResult:
    """Run the checks of §3.6 in order; link the card when all pass. Commits."""
    for _ in range(LINK_ATTEMPTS):
        outcome, detail = _check(account, request)
        if outcome is not Outcome.LINKED or _link(account, request.kpj):
            return _record(account, request, outcome, detail)
        # Another request changed the card between our check and our link: look again.
        db.session.rollback()
    return _record(account, request, Outcome.BUSY, None)


def _check(account: Account, request: AddRequest) -> tuple[Outcome, str | None]:
    card = db.session.scalar(select(Membership).where(Membership.kpj == request.kpj))
    if card is None or card.nik != account.nik or card.account_id not in (None, account.id):
        # One answer for every card that is not the user's: nothing leaks about others.
        return Outcome.NOT_FOUND, None
    if card.segment != request.segment:
        return Outcome.WRONG_SEGMENT, card.segment
    if card.account_id == account.id:
        return Outcome.ALREADY_LINKED, None
    if card.status_enum.is_closed:
        # A merged card names where its balance went: status:target.
        return Outcome.CLOSED, ":".join(filter(None, [card.status, card.merged_into]))
    differences = membership_differences(card, account.person)
    if differences:
        return Outcome.BIODATA_MISMATCH, encode_differences(differences)
    return Outcome.LINKED, None


def _link(account: Account, kpj: str) -> bool:
    try:
        result = db.session.execute(
            update(Membership)
            .where(
                Membership.kpj == kpj,
                Membership.account_id.is_(None),
                Membership.nik == account.nik,
                Membership.status.in_([KpjStatus.AKTIF, KpjStatus.NONAKTIF]),
            )
            .values(**link_values(account.id))
            .execution_options(synchronize_session=False)
        )
    except OperationalError:
        # SQLite answers a concurrent writer with "database is locked".
        return False
    return result.rowcount == 1


def link_values(account_id: int, linked_at: datetime | None = None) -> dict[str, object]:
    """The columns linking a card to an account sets, wherever it is done. link_ref is the
    card's address in URLs from now on: random, so it says nothing about the KPJ and means
    nothing outside the owner's account."""
    return {
        "account_id": account_id,
        "linked_at": linked_at or utcnow(),
        "link_ref": secrets.token_urlsafe(16),
    }


def _record(
    account: Account, request: AddRequest, outcome: Outcome, detail: str | None
) -> AddResult:
    transaction = Transaction(
        account_id=account.id,
        kind=TxKind.TAMBAH_KPJ,
        status=_STATUS.get(outcome, TxStatus.GAGAL),
        reason=outcome,
        kpj=request.kpj,
        segment=request.segment,
        detail=detail,
    )
    db.session.add(transaction)
    db.session.commit()
    return AddResult(outcome, transaction)


def recent_link(account: Account, transaction_id: int | None) -> Transaction | None:
    """That transaction, when it is a link of the account's made within REPEAT_WINDOW."""
    if transaction_id is None:
        return None
    transaction = db.session.get(Transaction, transaction_id)
    if (
        transaction is None
        or transaction.account_id != account.id
        or transaction.kind != TxKind.TAMBAH_KPJ
        or transaction.reason != Outcome.LINKED
        or transaction.created_at < utcnow() - REPEAT_WINDOW
    ):
        return None
    return transaction


def wrong_segment_kpj(account: Account, transaction_id: int | None, segment: Segment) -> str:
    """The KPJ of the account's attempt that was told to choose `segment` instead: what the
    "Pilih segmen" link fills in, so that the number never travels in its URL."""
    if transaction_id is None:
        return ""
    transaction = db.session.get(Transaction, transaction_id)
    if (
        transaction is None
        or transaction.account_id != account.id
        or transaction.reason != Outcome.WRONG_SEGMENT
        or transaction.detail != segment
    ):
        return ""
    return transaction.kpj or ""


def encode_differences(differences: list[FieldDifference]) -> str:
    """full_name,mother_name~ : a trailing ~ marks a likely spelling difference."""
    return ",".join(d.field + ("~" if d.likely_typo else "") for d in differences)


def decode_differences(detail: str | None) -> list[FieldDifference]:
    return [
        FieldDifference(item.rstrip("~"), item.endswith("~"))
        for item in (detail or "").split(",")
        if item
    ]


def linked_cards(account: Account) -> list[Membership]:
    """The account's cards, in list order, with their employers in the same statement
    (Profil and Tambah KPJ each spend one statement on them; Beranda reads its cards with
    the ledger, balances.services.beranda_of)."""
    return in_list_order(db.session.scalars(_LINKED_CARDS, {"account_id": account.id}).all())


def in_list_order(cards):
    """An account's cards as every list shows them: active first, then newest first (and
    by KPJ between cards of the same day, so that every page lists them alike)."""
    return sorted(cards, key=lambda card: (card.status != KpjStatus.AKTIF, -card.registered_on.toordinal(), card.kpj))


# Built once: Profil and Tambah KPJ run it on every view.
_LINKED_CARDS = (
    select(Membership)
    .options(joinedload(Membership.employer))
    .where(Membership.account_id == bindparam("account_id"))
    .order_by(Membership.registered_on.desc())
)


def unlinked_cards(account: Account) -> list[Membership]:
    """Cards registered under the account's NIK that no account holds (§3.13)."""
    return list(
        db.session.scalars(
            select(Membership)
            .options(selectinload(Membership.employer))
            .where(Membership.nik == account.nik, Membership.account_id.is_(None))
            .order_by(Membership.registered_on.desc())
        )
    )


# Found cards are offered by a handle instead of their number. It is an HMAC, so it needs
# no storage, cannot be forged, and carries no part of the KPJ, not even encoded.
_REFERENCE_PURPOSE = b"kpjku/temukan-kpj/v1"
_REFERENCE_BYTES = 16  # 128 bits: 22 URL-safe characters


def found_reference(secret_key: str, account_id: int, kpj: str) -> str:
    key = hmac.new(secret_key.encode(), _REFERENCE_PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(key, f"{account_id}:{kpj}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_REFERENCE_BYTES]).rstrip(b"=").decode()


def referenced_card(secret_key: str, account: Account, reference: str) -> Membership | None:
    """The card under the account's NIK that reference was made for, if any. Cards this
    account already holds count too, so a form sent twice hears "already linked"."""
    cards = db.session.scalars(
        select(Membership).where(
            Membership.nik == account.nik,
            or_(Membership.account_id.is_(None), Membership.account_id == account.id),
        )
    )
    wanted = reference.encode()
    for card in cards:
        if hmac.compare_digest(found_reference(secret_key, account.id, card.kpj).encode(), wanted):
            return card
    return None
