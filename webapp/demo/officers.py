"""The demo's back office: one officer per role with the demo password and a published
TOTP secret (already enrolled, so `make run` can print it), and claims waiting in the
claim queue. Both idempotent, like the rest of the demo.

The claims: every demo account whose case is "file a claim" (Yuliana, Rizky) must still
be able to file it, so the waiting claims are partial claims (10% / 30%, allowed while a
card is active) of two participants whose cases are elsewhere (Siti, Agus), filed as the
claim pages file them, with documents."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.security import generate_password_hash

from webapp import uploads
from webapp.claims import services as claims
from webapp.claims.eligibility import eligibility
from webapp.claims.terms import DOCUMENTS
from webapp.demo import dataset
from webapp.demo.dataset import AGUS, SITI, PersonSpec
from webapp.extensions import db
from webapp.models import (
    Account,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimKind,
    ClaimReason,
    ClaimStage,
    Officer,
    OfficerRole,
    Transaction,
    TxKind,
    TxStatus,
)


@dataclass(frozen=True)
class OfficerSpec:
    email: str
    role: OfficerRole
    totp_secret: str  # published: the demo's codes are anyone's


OFFICERS = (
    OfficerSpec("reviewer@kpjku.id", OfficerRole.REVIEWER, "KPJKUDEMOPEMERIKSAPERMINTAAN2345"),
    OfficerSpec("klaim@kpjku.id", OfficerRole.CLAIMS, "KPJKUDEMOPETUGASKLAIMJHTSATU2345"),
    OfficerSpec("admin@kpjku.id", OfficerRole.ADMIN, "KPJKUDEMOADMINLOGAUDITSEMUA23456"),
)


@dataclass(frozen=True)
class ClaimSpec:
    person: PersonSpec
    kind: ClaimKind
    bank_code: str
    account_number: str
    submitted_at: datetime  # naive UTC


CLAIMS = (
    ClaimSpec(SITI, ClaimKind.PARTIAL_10, "BNI", "0287731540", datetime(2026, 1, 12, 2, 15)),
    ClaimSpec(AGUS, ClaimKind.PARTIAL_30, "MANDIRI", "1240009873321", datetime(2026, 2, 3, 7, 40)),
)


def add_officers(password_hash: str | None) -> None:
    """The caller commits. password_hash: the demo password's, when the caller made one."""
    for spec in OFFICERS:
        if db.session.scalar(select(Officer.id).where(func.lower(Officer.email) == spec.email)) is None:
            password_hash = password_hash or generate_password_hash(dataset.PASSWORD)
            db.session.add(
                Officer(
                    email=spec.email,
                    password_hash=password_hash,
                    role=spec.role,
                    totp_secret=spec.totp_secret,
                    totp_enrolled_at=datetime(2026, 1, 5, 1, 0),
                    active=True,
                )
            )


def add_claims(day: date) -> None:
    """The caller commits. An account that has a claim already gets no other."""
    for spec in CLAIMS:
        account = db.session.scalar(select(Account).where(Account.nik == spec.person.nik))
        assert account is not None
        if db.session.scalar(select(Claim.id).where(Claim.account_id == account.id)) is None:
            _file(account, spec, day)


def _file(account: Account, spec: ClaimSpec, day: date) -> None:
    verdict = eligibility(account, day, ClaimReason.KLAIM_SEBAGIAN, spec.kind)
    money = claims.amounts(verdict.gross, with_npwp=False)
    claim = Claim(
        public_id=secrets.token_urlsafe(16),
        account_id=account.id,
        open_account_id=account.id,
        partial_nik=account.nik,
        kind=spec.kind,
        reason=ClaimReason.KLAIM_SEBAGIAN,
        stage=ClaimStage.AGENDA,
        gross=money.gross,
        tax=money.tax,
        net=money.net,
        bank_code=spec.bank_code,
        account_number=spec.account_number,
        account_holder=account.person.full_name,
        submitted_at=spec.submitted_at,
        updated_at=spec.submitted_at,
    )
    db.session.add(claim)
    db.session.flush()
    db.session.add(ClaimEvent(claim_id=claim.id, stage=ClaimStage.AGENDA, created_at=spec.submitted_at))
    db.session.add(
        Transaction(account_id=account.id, kind=TxKind.KLAIM_JHT, status=TxStatus.DIPROSES,
                    reason=claim.kind, detail=claim.public_id, created_at=spec.submitted_at)
    )
    for kind, label in DOCUMENTS.items():
        checked = uploads.check(FileStorage(io.BytesIO(_scan(label)), filename=f"{kind.lower()}.png"), label)
        assert not isinstance(checked, str), checked
        db.session.add(
            ClaimDocument(
                public_id=secrets.token_urlsafe(16),
                claim_id=claim.id,
                kind=kind,
                stored_name=uploads.store(checked),
                content_type=checked.content_type,
                size=len(checked.data),
            )
        )


def _scan(label: str) -> bytes:
    """A stand-in for a phone photo of a document: a plain PNG (the upload check wants a
    real image)."""
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (236, 240, 238)).save(out, format="PNG")
    return out.getvalue()


def logins_lines() -> list[str]:
    lines = [
        f"Petugas (back office: http://127.0.0.1:5000/petugas/masuk) — kata sandi {dataset.PASSWORD}, "
        "lalu kode 6 angka (TOTP):",
    ]
    for spec in OFFICERS:
        lines.append(f"  {spec.email:<19} peran {spec.role.value:<9} rahasia TOTP {spec.totp_secret}")
    lines += [
        "  Kode saat ini: flask --app wsgi officers code EMAIL (hanya di mode pengembangan),",
        "  atau masukkan rahasia TOTP-nya ke aplikasi autentikator.",
        "  Di antrean klaim menunggu klaim sebagian Siti (10%) dan Agus (30%).",
    ]
    return lines
