"""Reading the audit log (admins): newest first, a page at a time, filtered by officer,
by member (the NIK, or the NIK a KPJ is registered under) and by action. The values an
entry recorded are shown with the NIK and the mother's name masked, as everywhere else in
the back office: reading the log is not a way round the audited pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from webapp import audit
from webapp.extensions import db
from webapp.formatting import mask_name, mask_nik
from webapp.models import AuditEntry, Officer

PAGE_SIZE = 50
# Recorded values the log shows masked (a correction's biodata before and after).
_MASKED = {"nik": mask_nik, "mother_name": mask_name}


@dataclass(frozen=True)
class Filters:
    officer_id: int | None = None
    member_nik: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class Line:
    entry: AuditEntry
    officer_email: str | None
    before: dict[str, object]
    after: dict[str, object]


@dataclass(frozen=True)
class Page:
    lines: list[Line]
    number: int
    has_next: bool


def page(filters: Filters, number: int = 1) -> Page:
    number = max(1, number)
    query = (
        select(AuditEntry, Officer.email)
        .outerjoin(Officer, Officer.id == AuditEntry.officer_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    if filters.officer_id is not None:
        query = query.where(AuditEntry.officer_id == filters.officer_id)
    if filters.member_nik is not None:
        query = query.where(AuditEntry.member_nik == filters.member_nik)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action)
    rows = db.session.execute(query.offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    lines = [
        Line(entry, email, _shown(audit.values(entry.before)), _shown(audit.values(entry.after)))
        for entry, email in rows[:PAGE_SIZE]
    ]
    return Page(lines, number, len(rows) > PAGE_SIZE)


def _shown(values: dict[str, object]) -> dict[str, object]:
    return {
        key: _MASKED[key](value) if key in _MASKED and isinstance(value, str) else value
        for key, value in values.items()
    }


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).group_by(AuditEntry.action).order_by(AuditEntry.action)))


def officers() -> list[Officer]:
    return list(db.session.scalars(select(Officer).order_by(func.lower(Officer.email))))
