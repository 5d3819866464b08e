"""Klaim JHT (DESIGN §6): how much, the submission and its stages. Who may claim is
decided in eligibility.py, and `submit` asks it, as the checklist page does. The money
leaves the cards only at Selesai, as ledger entries in the same transaction as the stage
change."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from webapp import audit, ledger, permissions, rules, uploads
from webapp.claims.eligibility import eligibility, open_claim
from webapp.claims.terms import (
    BANKS,
    DOCUMENTS,
    HOLIDAYS,
    ONLINE_LIMIT,
    PARTIAL_SHARES,
    REASON_LABELS,
    STAGE_LABELS,
    STAGE_ORDER,
    TAX_FREE,
    TAX_RATE_PERCENT,
    TAX_RATE_WITHOUT_NPWP_PERCENT,
    VIDEO_DAYS,
    VIDEO_HOURS,
)
from webapp.extensions import db
from webapp.formatting import rupiah
from webapp.forms import reason_error
from webapp.identity import normalise_name
from webapp.notifications.services import notify
from webapp.models import (
    Account,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimKind,
    ClaimReason,
    ClaimStage,
    DocumentKind,
    KpjStatus,
    LedgerEntry,
    LedgerKind,
    Membership,
    NotificationKind,
    Officer,
    Transaction,
    TxKind,
    TxStatus,
    utcnow,
)

Errors = dict[str, str]


# --- Money ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amounts:
    gross: int
    tax: int
    net: int
    with_npwp: bool


def amounts(gross: int, with_npwp: bool) -> Amounts:
    """Final PPh 21 (DESIGN §6): 0% up to Rp 50.000.000, 5% on the part above (6% without
    NPWP), floored to the rupiah."""
    rate = TAX_RATE_PERCENT if with_npwp else TAX_RATE_WITHOUT_NPWP_PERCENT
    tax = max(0, gross - TAX_FREE) * rate // 100
    return Amounts(gross, tax, gross - tax, with_npwp)


# --- Video verification slots --------------------------------------------------------------


def video_slots(as_of: date) -> list[datetime]:
    """Free slots (naive WIB) on the next VIDEO_DAYS working days after as_of."""
    days, day = [], as_of
    while len(days) < VIDEO_DAYS:
        day += timedelta(days=1)
        if day.weekday() != 6 and day not in HOLIDAYS:  # no Sundays, no holidays
            days.append(day)
    slots = [datetime.combine(d, time(hour)) for d in days for hour in VIDEO_HOURS]
    taken = set(db.session.scalars(select(Claim.video_slot).where(Claim.video_slot.in_(slots))))
    return [slot for slot in slots if slot not in taken]


# --- Submission -----------------------------------------------------------------------------


@dataclass
class Submission:
    kind: ClaimKind
    reason: ClaimReason
    bank_code: str
    account_number: str
    account_holder: str
    npwp: str | None
    video_slot: datetime | None
    files: dict[DocumentKind, uploads.Checked] = field(default_factory=dict)


_DIGITS = re.compile(r"[0-9]{6,20}")
_NPWP = re.compile(r"[0-9]{15,16}")


def parse(account: Account, form: Mapping[str, str], files: Mapping[str, FileStorage], kind: ClaimKind,
          as_of: date) -> Submission | Errors:
    """The form's fields and files, checked. Errors are keyed by field."""
    errors: Errors = {}
    reason = _reason(form.get("alasan"), kind, errors)
    bank = form.get("bank", "")
    if bank not in BANKS:
        errors["bank"] = "Pilih bank dari daftar."
    number = re.sub(r"[\s.\-]", "", form.get("nomor_rekening", ""))
    if not _DIGITS.fullmatch(number):
        errors["nomor_rekening"] = "Nomor rekening 6–20 angka."
    holder = (form.get("nama_rekening") or "").strip()
    if normalise_name(holder) != normalise_name(account.person.full_name):
        errors["nama_rekening"] = (
            "Nama pemilik rekening harus sama dengan nama Anda di data kependudukan "
            f"({account.person.full_name}). Gunakan rekening atas nama Anda sendiri."
        )
    npwp = re.sub(r"[\s.\-]", "", form.get("npwp", "")) or None
    if npwp is not None and not _NPWP.fullmatch(npwp):
        errors["npwp"] = "NPWP 15 atau 16 angka, atau kosongkan bila tidak punya."
    slot = _slot(form.get("jadwal_video"), errors)
    checked = {}
    for document, label in DOCUMENTS.items():
        result = uploads.check(files.get(document.value.lower()), label)
        if isinstance(result, str):
            errors[document.value.lower()] = result
        else:
            checked[document] = result
    if errors:
        return errors
    assert reason is not None
    return Submission(kind, reason, bank, number, holder, npwp, slot, checked)


def _reason(value: str | None, kind: ClaimKind, errors: Errors) -> ClaimReason | None:
    if kind is not ClaimKind.FULL:
        return ClaimReason.KLAIM_SEBAGIAN
    if value in REASON_LABELS:
        return ClaimReason(value)
    errors["alasan"] = "Pilih alasan klaim."
    return None


def _slot(value: str | None, errors: Errors) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        errors["jadwal_video"] = "Pilih jadwal dari daftar."
        return None


def submit(account: Account, submission: Submission, as_of: date) -> Claim | Errors:
    """File the claim once. Commits. The same eligibility as the checklist decides;
    a second open claim or a taken video slot is refused by unique columns, so a double
    tap or a concurrent request files one claim."""
    verdict = eligibility(account, as_of, submission.reason, submission.kind)
    if not verdict.eligible:
        return {"eligibility": " ".join(check.title for check in verdict.blocking())}
    money = amounts(verdict.gross, submission.npwp is not None)
    needs_video = submission.kind is ClaimKind.FULL and money.gross > ONLINE_LIMIT
    if needs_video and submission.video_slot not in video_slots(as_of):
        return {"jadwal_video": "Pilih jadwal verifikasi video yang masih tersedia."}
    stored = {kind: uploads.store(checked) for kind, checked in submission.files.items()}
    claim = _new_claim(account, submission, money, submission.video_slot if needs_video else None)
    db.session.add(claim)
    try:
        db.session.flush()
        db.session.add_all(_documents(claim, submission, stored))
        db.session.add(ClaimEvent(claim_id=claim.id, stage=ClaimStage.AGENDA))
        db.session.add(_transaction(account, claim))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        for name in stored.values():
            uploads.remove(name)
        if open_claim(account) is not None:
            return {"eligibility": "Klaim Anda sudah diajukan dan sedang diproses."}
        return {"jadwal_video": "Jadwal itu baru saja diambil orang lain. Pilih jadwal lain."}
    return claim


def _new_claim(account: Account, submission: Submission, money: Amounts, slot: datetime | None) -> Claim:
    partial = submission.kind is not ClaimKind.FULL
    return Claim(
        public_id=secrets.token_urlsafe(16),
        account_id=account.id,
        open_account_id=account.id,
        partial_nik=account.nik if partial else None,
        kind=submission.kind,
        reason=submission.reason,
        stage=ClaimStage.AGENDA,
        gross=money.gross,
        tax=money.tax,
        net=money.net,
        npwp=submission.npwp,
        bank_code=submission.bank_code,
        account_number=submission.account_number,
        account_holder=submission.account_holder,
        video_slot=slot,
    )


def _documents(claim: Claim, submission: Submission, stored: dict) -> list[ClaimDocument]:
    return [
        ClaimDocument(
            public_id=secrets.token_urlsafe(16),
            claim_id=claim.id,
            kind=kind,
            stored_name=stored[kind],
            content_type=checked.content_type,
            size=len(checked.data),
        )
        for kind, checked in submission.files.items()
    ]


def _transaction(account: Account, claim: Claim) -> Transaction:
    return Transaction(
        account_id=account.id,
        kind=TxKind.KLAIM_JHT,
        status=TxStatus.DIPROSES,
        reason=claim.kind,
        detail=claim.public_id,
    )


# --- Stages ---------------------------------------------------------------------------------


class StageError(Exception):
    """A claim that cannot move (already finished, unknown, or not this officer's to move).
    For an officer, str(error) is the Indonesian sentence the page shows."""


class ReasonMissing(StageError):
    """A rejection whose reason is missing or not one the claimant can be shown (too long,
    a line break): webapp/forms.py's reason_error, the rule a request's rejection follows."""


def may_move(officer: Officer, claim: Claim) -> str | None:
    """Why this officer may not move this claim, or None: the role must allow it, and
    nobody moves their own claim (webapp/permissions.py, the one place for both rules)."""
    if not permissions.allowed(officer, permissions.Permission.MOVE_CLAIMS):
        return "Peran Anda tidak memproses klaim."
    if permissions.about_themselves(officer, account_id=claim.account_id):
        return "Ini klaim Anda sendiri: petugas lain yang memprosesnya."
    return None


def advance(
    claim_id: int,
    as_of: date,
    reject: str | None = None,
    *,
    officer: Officer | None = None,
    expected: str | None = None,
) -> Claim:
    """Move a claim one stage, or reject it with a reason. At Selesai the ledger pays the
    cards out in the same transaction. The move is audited (by `officer`, or by the system
    for the CLI) and notified to the claimant in that transaction too. Commits. The
    officers' claim queue and `flask claims advance` both call this.

    `expected` is the stage the officer saw: when the claim has moved since (a double tap,
    two officers at once), nothing moves. The claim row is locked while it is checked."""
    claim = db.session.scalar(select(Claim).where(Claim.id == claim_id).with_for_update())
    if claim is None:
        raise StageError(f"no claim {claim_id}")
    if officer is not None:
        refusal = may_move(officer, claim)
        if refusal is not None:
            db.session.rollback()
            raise StageError(refusal)
    if expected is not None and claim.stage != expected:
        db.session.rollback()
        raise StageError(
            f"Klaim ini sudah berada di tahap {STAGE_LABELS[claim.stage_enum]}: tidak ada yang diubah."
        )
    if not claim.stage_enum.is_open:
        raise StageError(f"claim {claim_id} is {claim.stage}: it cannot move")
    problem = reason_error(reject) if reject is not None else None
    if problem:
        db.session.rollback()
        raise ReasonMissing(problem)
    before = claim.stage
    if reject:
        _finish(claim, ClaimStage.DITOLAK, reject.strip(), TxStatus.GAGAL)
        notify(claim.account_id, NotificationKind.CLAIM_REJECTED, claim.public_id)
    else:
        following = STAGE_ORDER[STAGE_ORDER.index(claim.stage_enum) + 1]
        if following is ClaimStage.SELESAI:
            _pay(claim, as_of)
            notify(claim.account_id, NotificationKind.CLAIM_PAID, claim.public_id)
        else:
            claim.stage = following
            claim.updated_at = utcnow()
            db.session.add(ClaimEvent(claim_id=claim.id, stage=following))
            notify(claim.account_id, NotificationKind.CLAIM_STAGE, claim.public_id, following)
    audit.record(
        "claim.reject" if reject else "claim.advance",
        officer=officer,
        member_nik=claimant_nik(claim),
        target=f"claim:{claim.public_id}",
        before={"stage": before},
        after={"stage": claim.stage, **({"reason": claim.rejection_reason} if reject else {})},
    )
    db.session.commit()
    return claim


def claimant_nik(claim: Claim) -> str:
    return db.session.scalar(select(Account.nik).where(Account.id == claim.account_id)) or ""


def _pay(claim: Claim, as_of: date) -> None:
    cards = list(
        db.session.scalars(
            select(Membership).where(
                Membership.account_id == claim.account_id,
                Membership.status.in_([KpjStatus.AKTIF, KpjStatus.NONAKTIF]),
            )
        )
    )
    cards = [card for card in cards if rules.has_programme(card.segment, rules.Programme.JHT)]
    values = ledger.values_on([card.kpj for card in cards], as_of)
    share = PARTIAL_SHARES.get(ClaimKind(claim.kind))
    entries = []
    for card in cards:
        if share is None:
            entries.append(_payout(card.kpj, LedgerKind.PAYOUT, values[card.kpj], claim, as_of))
        elif values[card.kpj] > 0:
            entries.append(_payout(card.kpj, LedgerKind.PARTIAL_PAYOUT, values[card.kpj] * share // 100, claim, as_of))
    ledger.post(entries)
    if share is None:
        db.session.execute(
            update(Membership)
            .where(Membership.kpj.in_([card.kpj for card in cards]))
            .values(status=KpjStatus.DIKLAIM)
            .execution_options(synchronize_session=False)
        )
    paid = amounts(sum(entry.amount for entry in entries), claim.npwp is not None)
    claim.gross, claim.tax, claim.net = paid.gross, paid.tax, paid.net
    note = f"Dibayarkan {rupiah(paid.net)} bersih ke rekening {BANKS.get(claim.bank_code, claim.bank_code)}."
    _finish(claim, ClaimStage.SELESAI, note, TxStatus.BERHASIL)


def _payout(kpj: str, kind: LedgerKind, amount: int, claim: Claim, as_of: date) -> LedgerEntry:
    return LedgerEntry(kpj=kpj, kind=kind, amount=amount, booked_on=as_of, claim_id=claim.id)


def _finish(claim: Claim, stage: ClaimStage, note: str, status: TxStatus) -> None:
    claim.stage = stage
    claim.updated_at = utcnow()
    claim.open_account_id = None
    if stage is ClaimStage.DITOLAK:
        claim.rejection_reason = note
        claim.partial_nik = None  # a rejected partial claim does not use up the one chance
    db.session.add(ClaimEvent(claim_id=claim.id, stage=stage, note=note))
    db.session.execute(
        update(Transaction)
        .where(Transaction.kind == TxKind.KLAIM_JHT, Transaction.detail == claim.public_id)
        .values(status=status)
    )


def owned_claim(account: Account, public_id: str) -> Claim | None:
    return db.session.scalar(
        select(Claim).where(Claim.public_id == public_id, Claim.account_id == account.id)
    )


def timeline(claim: Claim) -> list[ClaimEvent]:
    return list(db.session.scalars(
        select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id)
    ))


def documents(claim: Claim) -> list[ClaimDocument]:
    return list(db.session.scalars(
        select(ClaimDocument).where(ClaimDocument.claim_id == claim.id).order_by(ClaimDocument.id)
    ))
