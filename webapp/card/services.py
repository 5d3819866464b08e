"""Kartu digital (DESIGN §3.11): the card a participant shows, and the public check of it
that its QR code opens. No HTTP here.

The QR carries a signed token, not the KPJ: its payload is the card's link_ref (random,
and reset whenever the card is unlinked, so a card unlinked since no longer verifies),
signed with the app's secret under a purpose salt and stamped with the time it was made."""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from webapp import rules
from webapp.extensions import db
from webapp.formatting import WIB, mask_name, tanggal
from webapp.models import Account, KpjStatus, Membership, Person, Segment, utcnow
from webapp.rules import Programme

TOKEN_SALT = "kartu-digital/verifikasi"
# A token is made afresh each time the card page is shown; a printed card keeps the one it
# was printed with. A year lets that printout be carried in a wallet, and bounds how long
# a lost or photographed card can still be checked by whoever holds it. The status itself
# is read at every check, and unlinking the card ends all of its tokens at once.
TOKEN_MAX_AGE = timedelta(days=365)
# Longer strings are no token of ours: refused before any signature work is done on them.
MAX_TOKEN_LENGTH = 128
# At least M (segno raises it when that fits in the same size): a smudged or creased
# printout still reads, and a verification URL of up to ~100 characters fits version 6
# (41 modules), about half a millimetre a module at the size the card prints it.
QR_ERROR = "m"
# Set beside the card a phone keeps, and read by static/js/kartu-offline.js, which shows the
# card only while the cookie holds the same mark: the server deletes it when a sign-in ends,
# and when another account signs in on that browser. The mark names the account to this
# server alone (a keyed hash): nothing personal is in it.
DEVICE_COPY_COOKIE = "kartu_offline"
DEVICE_COPY_MAX_AGE = TOKEN_MAX_AGE  # as long as the QR on it verifies


class NoCard(enum.Enum):
    """Why an account has no digital card: the page says what to do about each."""

    NONE_LINKED = "NONE_LINKED"
    NONE_ACTIVE = "NONE_ACTIVE"


@dataclass(frozen=True)
class DigitalCard:
    card: Membership
    holder: str  # the population record's name: the card shows who the person is
    programmes: tuple[Programme, ...]
    token: str
    valid_until: date


@dataclass(frozen=True)
class Verification:
    """All that a verification shows: whoever scans a card learns no more than this."""

    active: bool
    segment: Segment
    masked_name: str
    checked_at: datetime


def digital_card(account: Account) -> DigitalCard | NoCard:
    card = newest_active_card(account.id)
    if card is None:
        return NoCard.NONE_ACTIVE if _linked_count(account.id) else NoCard.NONE_LINKED
    return DigitalCard(
        card=card,
        holder=account.person.full_name,
        programmes=rules.programmes(card.segment),
        token=issue_token(card.link_ref),
        valid_until=(datetime.now(WIB) + TOKEN_MAX_AGE).date(),
    )


def newest_active_card(account_id: int) -> Membership | None:
    """The account's AKTIF card registered last (ties: the higher KPJ), with its employer.
    Only the account's own cards are ever looked at."""
    return db.session.scalar(
        select(Membership)
        .options(joinedload(Membership.employer))
        .where(Membership.account_id == account_id, Membership.status == KpjStatus.AKTIF)
        .order_by(Membership.registered_on.desc(), Membership.kpj.desc())
        .limit(1)
        # The card may already sit in the session without its employer: load it anyway.
        .execution_options(populate_existing=True)
    )


def _linked_count(account_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.account_id == account_id)
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def issue_token(link_ref: str) -> str:
    return _serializer().dumps(link_ref)


def verify(token: str) -> Verification | None:
    """What a verification shows for a token, or None for a token that is bad, tampered
    with or expired, and for a card unknown or unlinked since: callers answer all of
    these alike, so a refusal says nothing about why."""
    link_ref = _link_ref_of(token)
    if link_ref is None:
        return None
    # Only the three columns shown are read: the KPJ and the NIK never leave the database.
    row = db.session.execute(
        select(Membership.status, Membership.segment, Person.full_name)
        .join(Account, Account.id == Membership.account_id)
        .join(Person, Person.nik == Account.nik)
        .where(Membership.link_ref == link_ref)
    ).first()
    if row is None:
        return None
    return Verification(
        active=row.status == KpjStatus.AKTIF,
        segment=Segment(row.segment),
        masked_name=mask_name(row.full_name),
        checked_at=utcnow(),
    )


def _link_ref_of(token: str) -> str | None:
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer().loads(token, max_age=int(TOKEN_MAX_AGE.total_seconds()))
    except BadSignature:  # also a malformed, expired or undecodable one
        return None
    return payload if isinstance(payload, str) else None


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error=QR_ERROR, micro=False)


def qr_data_uri(url: str) -> str:
    """The same QR as an SVG data: URI, for the copy a phone keeps (an <img> the CSP allows)."""
    return qr_code(url).svg_data_uri(omitsize=True, border=4, dark="#000", light="#fff")


def device_mark(account_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"kartu-offline:{account_id}".encode(), hashlib.sha256).hexdigest()[:32]


def is_device_mark_of(mark: str, account_id: int) -> bool:
    return hmac.compare_digest(mark.encode(), device_mark(account_id).encode())


def device_copy(digital: DigitalCard, verify_url: str) -> dict[str, str]:
    """All that "Simpan di perangkat" keeps on the phone: the holder's name, the KPJ (the
    hospital desk needs the number the card shows), the segment and the QR, whose URL holds
    a signed token and no number, and the mark its cookie must match. No NIK, employer,
    balance or anything else of the account.
    Dates come already worded, so the offline page needs no formatting rules of its own."""
    return {
        "mark": device_mark(digital.card.account_id),
        "name": digital.holder,
        "kpj": digital.card.kpj,
        "segment": digital.card.segment_enum.label,
        "qr": qr_data_uri(verify_url),
        "valid_until": digital.valid_until.isoformat(),
        "valid_until_text": tanggal(digital.valid_until),
        "saved_on_text": tanggal(datetime.now(WIB).date()),
    }


def qr_svg(url: str) -> Markup:
    """The QR as inline SVG: no image request, and it scales to the card it is printed on."""
    svg = qr_code(url).svg_inline(
        omitsize=True, border=4, dark="#000", light="#fff", title="Kode QR verifikasi kartu"
    )
    return Markup(svg)
