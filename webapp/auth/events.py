"""Security events of an account (Keamanan akun): what happened, on which device, when.
Each also lands in the audit log (webapp/audit.py), beside the officers' actions."""

from __future__ import annotations

from flask import request
from sqlalchemy import select

from webapp import audit
from webapp.extensions import db
from webapp.models import Account, SecurityEvent, SecurityEventKind
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


def record(account: Account, kind: SecurityEventKind) -> None:
    """Add the event, and its audit entry, to the session; the caller's commit writes them
    with the change."""
    device = device_label(request.user_agent.string)
    db.session.add(SecurityEvent(account_id=account.id, kind=kind, device=device))
    audit.record(f"account.{kind.lower()}", account=account, after={"device": device})


def recent(account_id: int) -> list[SecurityEvent]:
    return list(
        db.session.scalars(
            select(SecurityEvent)
            .where(SecurityEvent.account_id == account_id)
            .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
            .limit(SHOWN)
        )
    )
