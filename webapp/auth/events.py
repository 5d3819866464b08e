"""Security events of an account (Keamanan akun): what happened, on which device, when."""

from __future__ import annotations

from flask import request
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import SecurityEvent, SecurityEventKind
from webapp.sessions import device_label

SHOWN = 20

LABELS = {
    SecurityEventKind.SIGN_IN: "Masuk",
    SecurityEventKind.SIGN_IN_FAILED: "Gagal masuk: kata sandi salah",
    SecurityEventKind.SIGN_OUT: "Keluar",
    SecurityEventKind.SIGN_OUT_ALL: "Keluar dari semua perangkat",
    SecurityEventKind.SESSION_ENDED: "Sesi perangkat lain diakhiri",
    SecurityEventKind.PASSWORD_CHANGED: "Kata sandi diubah",
    SecurityEventKind.PASSWORD_RESET: "Kata sandi diatur ulang lewat email",
}


def record(account_id: int, kind: SecurityEventKind) -> None:
    """Add the event to the session; the caller's commit writes it with the change."""
    db.session.add(
        SecurityEvent(
            account_id=account_id, kind=kind, device=device_label(request.user_agent.string)
        )
    )


def recent(account_id: int) -> list[SecurityEvent]:
    return list(
        db.session.scalars(
            select(SecurityEvent)
            .where(SecurityEvent.account_id == account_id)
            .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
            .limit(SHOWN)
        )
    )
