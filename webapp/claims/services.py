"""Klaim JHT (DESIGN §6): who may claim, how much, the submission and its stages.

`eligibility` is the one function that decides; the checklist page shows what it says and
`submit` refuses whatever it refuses, so the two cannot disagree. The money leaves the
cards only at Selesai, as ledger entries in the same transaction as the stage change."""

from __future__ import annotations

import calendar
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from webapp import ledger, rules, uploads
from webapp.balances.services import anniversary
from webapp.extensions import db
from webapp.formatting import mask_kpj, rupiah, tanggal
from webapp.identity import membership_differences, normalise_name
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
    Transaction,
    TxKind,
    TxStatus,
    utcnow,
)

ONLINE_LIMIT = 15_000_000  # gross above this also needs a video verification
TAX_FREE = 50_000_000
TAX_RATE_PERCENT = 5
TAX_RATE_WITHOUT_NPWP_PERCENT = 6
PARTIAL_MIN_YEARS = 10
PARTIAL_SHARES = {ClaimKind.PARTIAL_10: 10, ClaimKind.PARTIAL_30: 30}

REASON_LABELS = {
    ClaimReason.MENGUNDURKAN_DIRI: "Mengundurkan diri",
    ClaimReason.PHK: "Pemutusan hubungan kerja (PHK)",
    ClaimReason.HABIS_KONTRAK: "Habis kontrak",
    ClaimReason.USIA_56: "Mencapai usia 56 tahun",
    ClaimReason.MENINGGALKAN_INDONESIA: "Meninggalkan Indonesia untuk selamanya",
    ClaimReason.CACAT_TOTAL_TETAP: "Cacat total tetap",
}
# These wait one month after the last membership ended (DESIGN §6).
WAITING_REASONS = (ClaimReason.MENGUNDURKAN_DIRI, ClaimReason.PHK, ClaimReason.HABIS_KONTRAK)

BANKS = {
    "BRI": "Bank Rakyat Indonesia (BRI)",
    "BNI": "Bank Negara Indonesia (BNI)",
    "MANDIRI": "Bank Mandiri",
    "BCA": "Bank Central Asia (BCA)",
    "BSI": "Bank Syariah Indonesia (BSI)",
    "BTN": "Bank Tabungan Negara (BTN)",
}

DOCUMENTS = {
    DocumentKind.KTP: "KTP",
    DocumentKind.BUKU_TABUNGAN: "Buku tabungan",
    DocumentKind.BUKTI_ALASAN: "Bukti alasan klaim",
}

STAGE_ORDER = (
    ClaimStage.AGENDA,
    ClaimStage.PENETAPAN,
    ClaimStage.PERSETUJUAN,
    ClaimStage.PEMBAYARAN,
    ClaimStage.SELESAI,
)
STAGE_LABELS = {
    ClaimStage.AGENDA: "Agenda Klaim",
    ClaimStage.PENETAPAN: "Penetapan",
    ClaimStage.PERSETUJUAN: "Persetujuan",
    ClaimStage.PEMBAYARAN: "Pembayaran",
    ClaimStage.SELESAI: "Selesai",
    ClaimStage.DITOLAK: "Ditolak",
}

# Video verification: working days only; national holidays kept here, a small list.
VIDEO_DAYS = 10
VIDEO_HOURS = (9, 10, 11, 13, 14, 15)
HOLIDAYS = frozenset(
    date.fromisoformat(day)
    for day in (
        "2026-01-01", "2026-01-16", "2026-02-17", "2026-03-19", "2026-03-20", "2026-03-21",
        "2026-04-03", "2026-05-01", "2026-05-14", "2026-05-27", "2026-05-31", "2026-06-01",
        "2026-06-16", "2026-08-17", "2026-08-25", "2026-12-25",
        "2027-01-01", "2027-02-06", "2027-03-09", "2027-03-10", "2027-03-26", "2027-05-01",
        "2027-05-06", "2027-05-16", "2027-05-20", "2027-06-01", "2027-08-17", "2027-12-25",
    )
)

Errors = dict[str, str]


# --- Eligibility ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    title: str
    text: str
    link: tuple[str, str] | None = None  # (label, endpoint)


@dataclass(frozen=True)
class Eligibility:
    kind: ClaimKind
    checks: tuple[Check, ...]
    cards: tuple[Membership, ...]  # what would be paid: the linked cards with JHT
    values: Mapping[str, int]
    open_claim: Claim | None = None

    @property
    def eligible(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def gross(self) -> int:
        share = PARTIAL_SHARES.get(self.kind)
        if share is None:
            return sum(self.values.values())
        return sum(value * share // 100 for value in self.values.values())

    def blocking(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def eligibility(
    account: Account, as_of: date, reason: ClaimReason | None = None, kind: ClaimKind = ClaimKind.FULL
) -> Eligibility:
    """Every rule of DESIGN §6, each a line the user sees with its reason and way forward."""
    cards = _cards_under_nik(account.nik)
    linked = [c for c in cards if c.account_id == account.id and _open_with_jht(c)]
    values = ledger.values_on([c.kpj for c in cards if _open_with_jht(c)], as_of)
    open_claim = _open_claim(account)
    checks = [_no_open_claim(open_claim)]
    if kind is ClaimKind.FULL:
        checks += [_nothing_active(cards), _all_linked(cards, account, values)]
        checks.append(_waiting(cards, reason, as_of))
    else:
        checks += [_still_active(cards), _ten_years(cards, as_of), _first_partial(account),
                   _all_linked(cards, account, values)]
    checks += [_identity(linked, account), _has_balance(linked, values)]
    paid = {c.kpj: values.get(c.kpj, 0) for c in linked}
    return Eligibility(kind, tuple(checks), tuple(linked), paid, open_claim)


def _open_with_jht(card: Membership) -> bool:
    return not card.status_enum.is_closed and rules.has_programme(card.segment, rules.Programme.JHT)


def _cards_under_nik(nik: str) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .options(selectinload(Membership.employer))
            .where(Membership.nik == nik)
            .order_by(Membership.registered_on)
        )
    )


def _open_claim(account: Account) -> Claim | None:
    return db.session.scalar(select(Claim).where(Claim.open_account_id == account.id))


def _no_open_claim(claim: Claim | None) -> Check:
    if claim is None:
        return Check("open", True, "Tidak ada klaim yang sedang diproses", "")
    return Check(
        "open", False, "Ada klaim yang sedang diproses",
        f"Klaim Anda sedang di tahap {STAGE_LABELS[claim.stage_enum]}. Klaim baru bisa "
        "diajukan setelah klaim itu selesai atau ditolak.",
    )


def _nothing_active(cards: list[Membership]) -> Check:
    active = [c for c in cards if c.status == KpjStatus.AKTIF]
    if not active:
        return Check("active", True, "Tidak ada KPJ yang masih aktif", "Semua kepesertaan atas NIK Anda sudah berakhir.")
    card = active[-1]
    employer = f" di {card.employer.name}" if card.employer else " (kepesertaan mandiri)"
    text = (
        f"KPJ {mask_kpj(card.kpj)}{employer} masih AKTIF. Klaim JHT penuh bisa diajukan "
        "setelah kepesertaan itu berakhir (pemberi kerja melaporkan Anda berhenti)."
    )
    # Only an active card with JHT can pay a partial claim (a JAKON card has none).
    if any(rules.has_programme(c.segment, rules.Programme.JHT) for c in active):
        text += " Selama masih aktif, Anda bisa mengajukan klaim sebagian bila sudah 10 tahun menjadi peserta."
        return Check("active", False, "Masih ada KPJ yang aktif", text, ("Klaim sebagian", "claims.sebagian"))
    return Check("active", False, "Masih ada KPJ yang aktif", text)


def _all_linked(cards: list[Membership], account: Account, values: Mapping[str, int]) -> Check:
    missing = [c for c in cards if c.account_id != account.id and values.get(c.kpj, 0) > 0]
    if not missing:
        return Check("linked", True, "Semua KPJ bersaldo sudah terhubung", "Saldo semua kartu Anda dibayarkan bersama.")
    numbers = ", ".join(mask_kpj(c.kpj) for c in missing)
    return Check(
        "linked", False, "Ada KPJ bersaldo yang belum terhubung",
        f"KPJ {numbers} atas NIK Anda masih punya saldo JHT tetapi belum ada di akun Anda. "
        "Saldo semua kartu dibayarkan bersama: tambahkan dulu kartu itu.",
        ("Temukan KPJ lama", "kpj.temukan"),
    )


def waiting_ends(cards: list[Membership]) -> date | None:
    """One month after the latest end of membership (DESIGN §6)."""
    ended = [c.ended_on for c in cards if c.ended_on]
    return _add_month(max(ended)) if ended else None


def _waiting(cards: list[Membership], reason: ClaimReason | None, as_of: date) -> Check:
    ends = waiting_ends(cards)
    title = "Masa tunggu 1 bulan"
    if reason is not None and reason not in WAITING_REASONS:
        return Check("waiting", True, title, f"Alasan {REASON_LABELS[reason].lower()} tidak perlu masa tunggu.")
    if ends is None or ends <= as_of:
        since = f" sejak {tanggal(ends)}" if ends else ""
        return Check("waiting", True, title, f"Masa tunggu untuk mengundurkan diri, PHK, atau habis kontrak sudah lewat{since}.")
    return Check(
        "waiting", reason is None, title,
        f"Untuk alasan mengundurkan diri, PHK, atau habis kontrak, klaim bisa diajukan mulai "
        f"{tanggal(ends)} (1 bulan setelah kepesertaan terakhir berakhir). Alasan lain tidak perlu menunggu.",
    )


def _identity(linked: list[Membership], account: Account) -> Check:
    differing = [c for c in linked if membership_differences(c, account.person)]
    if not differing:
        return Check("identity", True, "Data diri sesuai", "Data semua KPJ cocok dengan data kependudukan.")
    fields = sorted({d.label for c in differing for d in membership_differences(c, account.person)})
    return Check(
        "identity", False, "Data diri berbeda",
        f"Data KPJ {', '.join(mask_kpj(c.kpj) for c in differing)} berbeda pada "
        f"{', '.join(fields)}. Perbaiki data KPJ di kantor cabang BPJS Ketenagakerjaan dengan membawa KTP.",
    )


def _has_balance(linked: list[Membership], values: Mapping[str, int]) -> Check:
    if any(values.get(c.kpj, 0) > 0 for c in linked):
        return Check("balance", True, "Ada saldo JHT", "")
    return Check("balance", False, "Belum ada saldo JHT", "Kartu di akun Anda belum punya saldo JHT untuk diklaim.")


def _still_active(cards: list[Membership]) -> Check:
    active = any(c.status == KpjStatus.AKTIF for c in cards)
    return Check(
        "active", active, "Masih aktif bekerja",
        "Klaim sebagian untuk peserta yang masih aktif." if active
        else "Tidak ada KPJ aktif: ajukan klaim JHT penuh.",
        None if active else ("Klaim JHT penuh", "claims.klaim"),
    )


def membership_start(cards: list[Membership]) -> date | None:
    """The earliest start, a merge target counting from its earliest merged card."""
    return min((c.member_since or c.registered_on for c in cards), default=None)


def _ten_years(cards: list[Membership], as_of: date) -> Check:
    start = membership_start(cards)
    reached = anniversary(start, start.year + PARTIAL_MIN_YEARS) if start else None
    ok = reached is not None and reached <= as_of
    text = (
        f"Anda peserta sejak {tanggal(start)}." if ok
        else f"Klaim sebagian bisa diajukan mulai {tanggal(reached)} (10 tahun sejak {tanggal(start)})."
        if reached else "Belum ada kepesertaan."
    )
    return Check("years", ok, "Kepesertaan minimal 10 tahun", text)


def _first_partial(account: Account) -> Check:
    taken = db.session.scalar(select(Claim.id).where(Claim.partial_nik == account.nik))
    if taken is None:
        return Check("partial", True, "Belum pernah klaim sebagian", "Klaim sebagian hanya bisa sekali.")
    return Check("partial", False, "Klaim sebagian sudah pernah diajukan", "Klaim sebagian hanya bisa sekali selama menjadi peserta.")


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
        if _open_claim(account) is not None:
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
    """A claim that cannot move (already finished, or unknown)."""


def advance(claim_id: int, as_of: date, reject: str | None = None) -> Claim:
    """Move a claim one stage, or reject it with a reason. At Selesai the ledger pays the
    cards out in the same transaction. Commits. Officers' pages call this too."""
    claim = db.session.scalar(select(Claim).where(Claim.id == claim_id).with_for_update())
    if claim is None:
        raise StageError(f"no claim {claim_id}")
    if not claim.stage_enum.is_open:
        raise StageError(f"claim {claim_id} is {claim.stage}: it cannot move")
    if reject:
        return _finish(claim, ClaimStage.DITOLAK, reject.strip()[:300], TxStatus.GAGAL)
    following = STAGE_ORDER[STAGE_ORDER.index(claim.stage_enum) + 1]
    if following is ClaimStage.SELESAI:
        return _pay(claim, as_of)
    claim.stage = following
    claim.updated_at = utcnow()
    db.session.add(ClaimEvent(claim_id=claim.id, stage=following))
    db.session.commit()
    return claim


def _pay(claim: Claim, as_of: date) -> Claim:
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
    return _finish(claim, ClaimStage.SELESAI, note, TxStatus.BERHASIL)


def _payout(kpj: str, kind: LedgerKind, amount: int, claim: Claim, as_of: date) -> LedgerEntry:
    return LedgerEntry(kpj=kpj, kind=kind, amount=amount, booked_on=as_of, claim_id=claim.id)


def _finish(claim: Claim, stage: ClaimStage, note: str, status: TxStatus) -> Claim:
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
    db.session.commit()
    return claim


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


def _add_month(day: date) -> date:
    """The same day next month, or that month's last day (31 January → 28/29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
