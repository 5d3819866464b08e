"""Approved biodata corrections and the registry (DESIGN §4): an import that sends a
corrected card's old biodata again keeps the corrected values, and the corrections are
exported in the memberships.csv format for the core system to apply."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from typing import IO, Any, cast

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import CardCorrection, KpjStatus, Membership

BIODATA = ("nik", "full_name", "birth_date", "mother_name")
# The core system knows only these; the portal's own closed states go back as NONAKTIF
# (and an import keeps the portal's status anyway).
_EXPORTED_STATUS = {KpjStatus.DIKLAIM: KpjStatus.NONAKTIF, KpjStatus.DIGABUNG: KpjStatus.NONAKTIF}


def keep_corrected(staged: sa.Table) -> int:
    """Rewrite each staged memberships.csv row that carries the old biodata of an approved
    correction of its card with the corrected values (the latest correction's), in one
    statement. Other columns are left as imported. Returns how many rows were kept."""
    corrections = _table(CardCorrection)
    sent_old = sa.exists().where(
        corrections.c.kpj == staged.c.kpj,
        *(corrections.c[f"old_{column}"] == staged.c[column] for column in BIODATA),
    )
    corrected = {column: _latest(corrections, column, staged) for column in BIODATA}
    result = db.session.execute(sa.update(staged).where(sent_old).values(corrected))
    return cast(sa.CursorResult[Any], result).rowcount


def _latest(corrections: sa.Table, column: str, staged: sa.Table) -> Any:
    return (
        sa.select(corrections.c[column])
        .where(corrections.c.kpj == staged.c.kpj)
        .order_by(corrections.c.approved_at.desc(), corrections.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _table(model: type[Any]) -> sa.Table:
    return cast(sa.Table, model.__table__)


def export(out: IO[str], columns: Sequence[str]) -> int:
    """Write every corrected card's current row, in the memberships.csv columns; returns
    how many cards were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    corrected = sa.select(CardCorrection.kpj).distinct()
    cards = db.session.scalars(
        sa.select(Membership).where(Membership.kpj.in_(corrected)).order_by(Membership.kpj)
    )
    count = 0
    for card in cards:
        writer.writerow(_cell(card, column) for column in columns)
        count += 1
    return count


def _cell(card: Membership, column: str) -> str:
    value = getattr(card, column)
    if column == "status":
        value = _EXPORTED_STATUS.get(KpjStatus(value), value)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)
