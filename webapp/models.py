"""Typed models. The registry tables (population, employers, memberships, contributions,
jht_rates) mirror the core system's CSV contract; accounts and transactions belong to the
portal. Datetimes are stored as naive UTC."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    event,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Segment(enum.StrEnum):
    PU = "PU"
    BPU = "BPU"
    JAKON = "JAKON"
    PMI = "PMI"

    @property
    def label(self) -> str:
        return SEGMENT_LABELS[self]


SEGMENT_LABELS = {
    Segment.PU: "Penerima Upah (PU)",
    Segment.BPU: "Bukan Penerima Upah (BPU)",
    Segment.JAKON: "Jasa Konstruksi (JAKON)",
    Segment.PMI: "Pekerja Migran Indonesia (PMI)",
}


class KpjStatus(enum.StrEnum):
    AKTIF = "AKTIF"
    NONAKTIF = "NONAKTIF"
    DIKLAIM = "DIKLAIM"
    DIGABUNG = "DIGABUNG"

    @property
    def is_closed(self) -> bool:
        return self in (KpjStatus.DIKLAIM, KpjStatus.DIGABUNG)


class TxStatus(enum.StrEnum):
    BERHASIL = "BERHASIL"
    GAGAL = "GAGAL"
    DIPROSES = "DIPROSES"


class TxKind(enum.StrEnum):
    TAMBAH_KPJ = "TAMBAH_KPJ"
    GABUNG_SALDO = "GABUNG_SALDO"
    KLAIM_JHT = "KLAIM_JHT"
    PERBAIKAN_DATA = "PERBAIKAN_DATA"
    KARTU_MILIK_SAYA = "KARTU_MILIK_SAYA"


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Person(db.Model):
    """A population record as Dukcapil holds it: the authority for identity."""

    __tablename__ = "population"

    nik: Mapped[str] = mapped_column(String(16), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(100))
    birth_place: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    mother_name: Mapped[str] = mapped_column(String(100))

    __table_args__ = (CheckConstraint("gender IN ('L', 'P')", name="gender"),)


class Employer(db.Model):
    __tablename__ = "employers"

    npp: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    risk_class: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (CheckConstraint("risk_class BETWEEN 1 AND 5", name="risk_class"),)


class Membership(db.Model):
    """One KPJ card. Its biodata is what the registrant typed, which may differ from the
    population record. account_id is the single link to an account, so a KPJ can never
    be linked to two accounts. link_ref is the card's address in URLs while it is linked:
    random, so it means nothing outside the owner's account (KPJs never go in URLs)."""

    __tablename__ = "memberships"

    kpj: Mapped[str] = mapped_column(String(11), primary_key=True)
    segment: Mapped[str] = mapped_column(String(5))
    nik: Mapped[str] = mapped_column(String(16), index=True)
    full_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    mother_name: Mapped[str] = mapped_column(String(100))
    employer_npp: Mapped[str | None] = mapped_column(ForeignKey("employers.npp"))
    status: Mapped[str] = mapped_column(String(8))
    registered_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    linked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set by Gabung saldo: the card this one's balance went to (DIGABUNG), and on the target
    # the earliest start of the cards merged into it, from which its membership counts.
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("memberships.kpj"))
    member_since: Mapped[date | None] = mapped_column(Date)
    link_ref: Mapped[str | None] = mapped_column(String(22), unique=True)

    employer: Mapped[Employer | None] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint(_in("segment", Segment), name="segment"),
        CheckConstraint(_in("status", KpjStatus), name="status"),
        # Only linked cards are ever looked up by account; most of a registry is unlinked
        # (migration 0006).
        Index(
            "ix_memberships_linked_account",
            "account_id",
            postgresql_where=account_id.isnot(None),
            sqlite_where=account_id.isnot(None),
        ),
    )

    @property
    def segment_enum(self) -> Segment:
        return Segment(self.segment)

    @property
    def status_enum(self) -> KpjStatus:
        return KpjStatus(self.status)

    @property
    def employer_name(self) -> str | None:
        """Only where the employer was loaded with the card (employer is lazy="raise")."""
        return self.employer.name if self.employer else None


class Contribution(db.Model):
    """One month of contributions, in whole rupiah. period is the first day of the month."""

    __tablename__ = "contributions"

    kpj: Mapped[str] = mapped_column(ForeignKey("memberships.kpj"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    wage: Mapped[int] = mapped_column(BigInteger)
    jht: Mapped[int] = mapped_column(BigInteger)
    jp: Mapped[int] = mapped_column(BigInteger)
    jkk: Mapped[int] = mapped_column(BigInteger)
    jkm: Mapped[int] = mapped_column(BigInteger)
    jkp: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(
            "wage >= 0 AND jht >= 0 AND jp >= 0 AND jkk >= 0 AND jkm >= 0 AND jkp >= 0",
            name="amounts_not_negative",
        ),
    )


class ContributionYear(db.Model):
    """A card's contributions folded by the calendar year they were paid in: per programme
    the total and the total weighted by the month paid (Σ amount · month), all that the
    development of a whole year needs of its months (webapp/ledger.py). Derived, never
    edited: ledger.refresh_years() rebuilds a card's rows in the transaction of every write
    to its contributions (the registry import's merge, and any ORM flush), so a page reads a
    dozen rows for ten years instead of folding 120."""

    __tablename__ = "contribution_years"

    kpj: Mapped[str] = mapped_column(ForeignKey("memberships.kpj"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    jht: Mapped[int] = mapped_column(BigInteger)
    jht_by_month: Mapped[int] = mapped_column(BigInteger)
    jp: Mapped[int] = mapped_column(BigInteger)
    jp_by_month: Mapped[int] = mapped_column(BigInteger)


class JhtRate(db.Model):
    """The JHT return rate credited for a calendar year, as a percentage (6.26 = 6.26%)."""

    __tablename__ = "jht_rates"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class Account(UserMixin, db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    nik: Mapped[str] = mapped_column(ForeignKey("population.nik"), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (Index("uq_accounts_email_lower", func.lower(email), unique=True),)

    # Not a column: the auth_sessions row this request signed in with (webapp/sessions.py).
    current_session_id = None


class Transaction(db.Model):
    """A participant action and its outcome, as listed in Riwayat transaksi. reason is a
    code; the text shown is rendered from it, so wording can improve without migrations."""

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(40))
    kpj: Mapped[str | None] = mapped_column(String(11))
    segment: Mapped[str | None] = mapped_column(String(5))
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("status", TxStatus), name="status"),
        Index("ix_transactions_account_created", "account_id", "created_at"),
    )


class AuthSession(db.Model):
    """One sign-in, kept on the server: the cookie carries only a random token whose
    SHA-256 is stored here, so deleting the row ends the session wherever the cookie is."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    device: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SecurityEventKind(enum.StrEnum):
    SIGN_IN = "SIGN_IN"
    SIGN_IN_FAILED = "SIGN_IN_FAILED"
    SIGN_OUT = "SIGN_OUT"
    SIGN_OUT_ALL = "SIGN_OUT_ALL"
    SESSION_ENDED = "SESSION_ENDED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    PASSWORD_RESET = "PASSWORD_RESET"


class SecurityEvent(db.Model):
    """What happened to an account's security, shown under Keamanan akun."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    device: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("kind", SecurityEventKind), name="kind"),
        Index("ix_security_events_account_kind_created", "account_id", "kind", "created_at"),
    )

    @property
    def kind_enum(self) -> SecurityEventKind:
        return SecurityEventKind(self.kind)


class LoginAttempt(db.Model):
    """A sign-in attempt in flight or failed, counted against a failure budget. Keyed by
    a keyed hash of the e-mail typed, whether or not an account has it, so the budget
    behaves the same for every address and tells nothing about which ones exist.
    device_nonce names the known browser whose own budget it counts against; NULL is the
    budget every unknown browser shares."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64))
    device_nonce: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    __table_args__ = (Index("ix_login_attempts_email_key_created", "email_key", "created_at"),)


class PendingRegistration(db.Model):
    """A registration waiting for its e-mail link. The account is created only when the
    link is followed, so an unconfirmed one holds no NIK, e-mail or card: it just expires."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nik: Mapped[str] = mapped_column(ForeignKey("population.nik", ondelete="CASCADE"))
    kpj: Mapped[str] = mapped_column(ForeignKey("memberships.kpj", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class PasswordReset(db.Model):
    """A single-use password reset link; only the token's SHA-256 is stored."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class LedgerKind(enum.StrEnum):
    """Money that moves in the portal, beside the registry's contributions. A closing
    entry (MERGE_OUT, PAYOUT) empties its card; the others do not."""

    MERGE_IN = "MERGE_IN"
    MERGE_OUT = "MERGE_OUT"
    PAYOUT = "PAYOUT"
    PARTIAL_PAYOUT = "PARTIAL_PAYOUT"

    @property
    def is_inflow(self) -> bool:
        return self is LedgerKind.MERGE_IN

    @property
    def closes_card(self) -> bool:
        return self in (LedgerKind.MERGE_OUT, LedgerKind.PAYOUT)


class LedgerEntry(db.Model):
    """A JHT movement of a card made by the portal (a merge or a payout), in whole rupiah.
    Balances are never stored: they are derived from contributions and these entries."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpj: Mapped[str] = mapped_column(ForeignKey("memberships.kpj"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    booked_on: Mapped[date] = mapped_column(Date)
    # The other card of a merge: where the money went (MERGE_OUT) or came from (MERGE_IN).
    counterpart_kpj: Mapped[str | None] = mapped_column(String(11))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("kind", LedgerKind), name="kind"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_ledger_entries_kpj_booked", "kpj", "booked_on"),
    )

    @property
    def kind_enum(self) -> LedgerKind:
        return LedgerKind(self.kind)


class ClaimKind(enum.StrEnum):
    FULL = "FULL"
    PARTIAL_10 = "PARTIAL_10"
    PARTIAL_30 = "PARTIAL_30"


class ClaimReason(enum.StrEnum):
    MENGUNDURKAN_DIRI = "MENGUNDURKAN_DIRI"
    PHK = "PHK"
    HABIS_KONTRAK = "HABIS_KONTRAK"
    USIA_56 = "USIA_56"
    MENINGGALKAN_INDONESIA = "MENINGGALKAN_INDONESIA"
    CACAT_TOTAL_TETAP = "CACAT_TOTAL_TETAP"
    # A partial claim (10% or 30%) while still active needs no reason of these.
    KLAIM_SEBAGIAN = "KLAIM_SEBAGIAN"


class ClaimStage(enum.StrEnum):
    AGENDA = "AGENDA"
    PENETAPAN = "PENETAPAN"
    PERSETUJUAN = "PERSETUJUAN"
    PEMBAYARAN = "PEMBAYARAN"
    SELESAI = "SELESAI"
    DITOLAK = "DITOLAK"

    @property
    def is_open(self) -> bool:
        return self not in (ClaimStage.SELESAI, ClaimStage.DITOLAK)


class Claim(db.Model):
    """A JHT claim. Amounts are fixed at submission (gross with development accrued to
    that day, PPh 21, net); the ledger pays out what the cards hold at Selesai.
    open_account_id is the account's id while the claim is open and NULL after: a unique
    column, so an account never has two open claims, however the requests race.
    partial_nik likewise allows one partial claim per participant (kept unless rejected)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(22), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    open_account_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    partial_nik: Mapped[str | None] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(24))
    stage: Mapped[str] = mapped_column(String(12))
    gross: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    net: Mapped[int] = mapped_column(BigInteger)
    npwp: Mapped[str | None] = mapped_column(String(16))
    bank_code: Mapped[str] = mapped_column(String(12))
    account_number: Mapped[str] = mapped_column(String(20))
    account_holder: Mapped[str] = mapped_column(String(100))
    video_slot: Mapped[datetime | None] = mapped_column(DateTime, unique=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(300))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("kind", ClaimKind), name="kind"),
        CheckConstraint(_in("reason", ClaimReason), name="reason"),
        CheckConstraint(_in("stage", ClaimStage), name="stage"),
        CheckConstraint("gross >= 0 AND tax >= 0 AND net >= 0", name="amounts_not_negative"),
    )

    @property
    def stage_enum(self) -> ClaimStage:
        return ClaimStage(self.stage)


class ClaimEvent(db.Model):
    """One step of a claim's timeline (Agenda Klaim → … → Selesai, or Ditolak)."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    stage: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint(_in("stage", ClaimStage), name="stage"),)


class DocumentKind(enum.StrEnum):
    KTP = "KTP"
    BUKU_TABUNGAN = "BUKU_TABUNGAN"
    BUKTI_ALASAN = "BUKTI_ALASAN"


class ClaimDocument(db.Model):
    """An uploaded document of a claim. The file lives under UPLOAD_DIR with a random
    name (webapp/uploads.py); its name and type here are what the content proved."""

    __tablename__ = "claim_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(22), unique=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint(_in("kind", DocumentKind), name="kind"),)


# --- Requests an officer decides (DESIGN §3.12, §3.14) --------------------------------------


class RequestKind(enum.StrEnum):
    CORRECTION = "CORRECTION"  # Perbaikan data: the card's biodata to the population record
    OWNERSHIP = "OWNERSHIP"  # Kartu ini milik saya: a card registered under another NIK


class RequestStatus(enum.StrEnum):
    DIPROSES = "DIPROSES"
    DISETUJUI = "DISETUJUI"
    DITOLAK = "DITOLAK"


class MemberRequest(db.Model):
    """A participant's request for an officer's decision. kpj is what the user gave: for
    an ownership request it may name no card at all, so it is not a foreign key.
    open_correction_kpj is the card's KPJ while a correction of it is open and NULL after:
    unique, so a card never has two open corrections, however the requests race."""

    __tablename__ = "member_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(22), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kpj: Mapped[str] = mapped_column(String(11))
    open_correction_kpj: Mapped[str | None] = mapped_column(String(11), unique=True)
    # Correction: the fields that differed when it was filed (kpj.services.encode_differences).
    differences: Mapped[str | None] = mapped_column(String(60))
    # Ownership: what the user says of the card.
    employer_name: Mapped[str | None] = mapped_column(String(150))
    worked_from: Mapped[int | None] = mapped_column(SmallInteger)
    worked_to: Mapped[int | None] = mapped_column(SmallInteger)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("kind", RequestKind), name="kind"),
        CheckConstraint(_in("status", RequestStatus), name="status"),
        Index("ix_member_requests_queue", "kind", "status", "created_at"),
    )

    @property
    def kind_enum(self) -> RequestKind:
        return RequestKind(self.kind)

    @property
    def status_enum(self) -> RequestStatus:
        return RequestStatus(self.status)


class RequestDocumentKind(enum.StrEnum):
    KTP = "KTP"
    KARTU_KELUARGA = "KARTU_KELUARGA"
    SURAT_GANTI_NAMA = "SURAT_GANTI_NAMA"  # court order or civil-registry letter
    FOTO_KARTU = "FOTO_KARTU"
    SURAT_PERUSAHAAN = "SURAT_PERUSAHAAN"


class RequestDocument(db.Model):
    """A document of a request, stored like a claim's (webapp/uploads.py)."""

    __tablename__ = "request_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(22), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("member_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint(_in("kind", RequestDocumentKind), name="kind"),)


class CardCorrection(db.Model):
    """An approved change of a card's biodata: what it was and what it became. The registry
    import keeps the corrected values when the core system sends the old ones again (§4),
    and `registry corrections export` hands these back to the core system."""

    __tablename__ = "card_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpj: Mapped[str] = mapped_column(ForeignKey("memberships.kpj"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("member_requests.id"), unique=True)
    old_nik: Mapped[str] = mapped_column(String(16))
    old_full_name: Mapped[str] = mapped_column(String(100))
    old_birth_date: Mapped[date] = mapped_column(Date)
    old_mother_name: Mapped[str] = mapped_column(String(100))
    nik: Mapped[str] = mapped_column(String(16))
    full_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    mother_name: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- Officers (the back office) -------------------------------------------------------------


class OfficerRole(enum.StrEnum):
    REVIEWER = "reviewer"  # data corrections and ownership requests
    CLAIMS = "claims"  # the claim queue
    ADMIN = "admin"  # everything, and the audit log


class Officer(db.Model):
    """A back-office account: not a participant, never signed in through /masuk. nik is the
    officer's own population number, when they are also a participant, so that they can
    never decide about themselves. totp_last_step is the last TOTP time step accepted: a
    code is good once."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    nik: Mapped[str | None] = mapped_column(String(16))
    totp_secret: Mapped[str] = mapped_column(String(32))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("role", OfficerRole), name="role"),
        Index("uq_officers_email_lower", func.lower(email), unique=True),
    )

    @property
    def role_enum(self) -> OfficerRole:
        return OfficerRole(self.role)


class OfficerSession(db.Model):
    """An officer's sign-in, kept on the server like a participant's (auth_sessions) but in
    its own table, so that no token of one kind can ever open the other."""

    __tablename__ = "officer_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    officer_id: Mapped[int] = mapped_column(
        ForeignKey("officers.id", ondelete="CASCADE"), index=True
    )
    device: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- Audit log ------------------------------------------------------------------------------


class ActorKind(enum.StrEnum):
    OFFICER = "OFFICER"
    PARTICIPANT = "PARTICIPANT"
    SYSTEM = "SYSTEM"  # a CLI command


class AuditEntry(db.Model):
    """Append-only (webapp/audit.py): who did what, about which member, when, and the
    values before and after (JSON). The ORM refuses to change or delete a row (below); on
    PostgreSQL a trigger refuses it to every client (migration 0005)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(12))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    member_nik: Mapped[str | None] = mapped_column(String(16), index=True)
    target: Mapped[str | None] = mapped_column(String(60))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(_in("actor_kind", ActorKind), name="actor_kind"),)


class AppendOnlyError(RuntimeError):
    """An audit row was about to be changed or deleted."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_change(_mapper, _connection, target: AuditEntry) -> None:
    raise AppendOnlyError(f"audit_log is append-only (row {target.id})")


# --- Notifikasi (DESIGN §3.15) --------------------------------------------------------------


class NotificationKind(enum.StrEnum):
    CORRECTION_APPROVED = "CORRECTION_APPROVED"
    CORRECTION_REJECTED = "CORRECTION_REJECTED"
    OWNERSHIP_APPROVED = "OWNERSHIP_APPROVED"
    OWNERSHIP_REJECTED = "OWNERSHIP_REJECTED"
    CLAIM_STAGE = "CLAIM_STAGE"  # detail: the stage reached
    CLAIM_PAID = "CLAIM_PAID"
    CLAIM_REJECTED = "CLAIM_REJECTED"


class Notification(db.Model):
    """One entry of the inbox. Like a transaction, only codes are stored (kind, the public
    id of the request or claim, a stage); the text is rendered from them."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str | None] = mapped_column(String(22))
    detail: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(_in("kind", NotificationKind), name="kind"),
        Index("ix_notifications_account_read", "account_id", "read_at"),
        Index("ix_notifications_account_created", "account_id", "created_at"),
    )

    @property
    def kind_enum(self) -> NotificationKind:
        return NotificationKind(self.kind)


class PushSubscription(db.Model):
    """A browser's Web Push endpoint and keys (the PushSubscription it gave), per account."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
