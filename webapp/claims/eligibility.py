"""Who may claim JHT (DESIGN §6). `eligibility` is the one function that decides: the
checklist page shows what it says and submission refuses whatever it refuses, so the two
cannot disagree. Every rule is a line the user sees with its reason and the way forward."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp import ledger, rules
from webapp.balances.services import anniversary
from webapp.claims.terms import PARTIAL_MIN_YEARS, PARTIAL_SHARES, REASON_LABELS, STAGE_LABELS, WAITING_REASONS
from webapp.extensions import db
from webapp.formatting import mask_kpj, tanggal
from webapp.identity import membership_differences
from webapp.models import Account, Claim, ClaimKind, ClaimReason, KpjStatus, Membership


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
    pending = open_claim(account)
    checks = [_no_open_claim(pending)]
    if kind is ClaimKind.FULL:
        checks += [_nothing_active(cards), _all_linked(cards, account, values)]
        checks.append(_waiting(cards, reason, as_of))
    else:
        checks += [_still_active(cards), _ten_years(cards, as_of), _first_partial(account),
                   _all_linked(cards, account, values)]
    checks += [_identity(linked, account), _has_balance(linked, values)]
    paid = {c.kpj: values.get(c.kpj, 0) for c in linked}
    return Eligibility(kind, tuple(checks), tuple(linked), paid, pending)


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


def open_claim(account: Account) -> Claim | None:
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


def _add_month(day: date) -> date:
    """The same day next month, or that month's last day (31 January → 28/29 February)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
