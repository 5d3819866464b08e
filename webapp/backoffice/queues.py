"""The queues an officer's role works, oldest first, for the dashboard and the queue pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Claim, ClaimStage, Officer, RequestKind
from webapp.permissions import Permission, allowed
from webapp.requests import decisions

REQUEST_QUEUES = {
    RequestKind.CORRECTION: ("Perbaikan data", "backoffice.perbaikan_data"),
    RequestKind.OWNERSHIP: ("Kartu milik saya", "backoffice.kartu_milik_saya"),
}


@dataclass(frozen=True)
class Queue:
    label: str
    endpoint: str
    count: int


def open_claims() -> list[Claim]:
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.stage.not_in([ClaimStage.SELESAI, ClaimStage.DITOLAK]))
            .order_by(Claim.submitted_at, Claim.id)
        )
    )


def for_officer(officer: Officer) -> list[Queue]:
    queues = []
    if allowed(officer, Permission.DECIDE_REQUESTS):
        for kind, (label, endpoint) in REQUEST_QUEUES.items():
            queues.append(Queue(label, endpoint, len(decisions.queue(kind))))
    if allowed(officer, Permission.MOVE_CLAIMS):
        queues.append(Queue("Klaim JHT", "backoffice.klaim", len(open_claims())))
    return queues
