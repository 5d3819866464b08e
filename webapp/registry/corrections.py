"""Approved biodata corrections and the registry (DESIGN §4): an import that sends a
corrected card's old biodata again keeps the corrected values, and the corrections are
exported in the memberships.csv format for the core system to apply."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from typing import IO, Any

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import CardCorrection, KpjStatus, Membership

BIODATA = ("nik", "full_name", "birth_date", "mother_name")
# The core system knows only these; the portal's own closed states go back as NONAKTIF
# (and an import keeps the portal's status anyway).
_EXPORTED_STATUS = {KpjStatus.DIKLAIM: KpjStatus.NONAKTIF, KpjStatus.DIGABUNG: KpjStatus.NONAKTIF}


def keep_corrected(rows: Sequence[dict[str, Any]], lookup_batch: int) -> int:
    """Rewrite, in place, each memberships.csv row that carries the old biodata of an
    approved correction of its card with the corrected values (the latest correction's).
    Other columns are left as imported. Returns how many rows were kept corrected."""
    corrections = _corrections_of(sorted({row["kpj"] for row in rows}), lookup_batch)
    kept = 0
    for row in rows:
        of_card = corrections.get(row["kpj"])
        if not of_card:
            continue
        sent = tuple(row[column] for column in BIODATA)
        if any(sent == _old(correction) for correction in of_card):
            latest = of_card[-1]
            row.update({column: getattr(latest, column) for column in BIODATA})
            kept += 1
    return kept


def _corrections_of(kpjs: list[str], lookup_batch: int) -> dict[str, list[CardCorrection]]:
    """The approved corrections of these cards, oldest first: one query per batch of KPJs."""
    found: dict[str, list[CardCorrection]] = {}
    for start in range(0, len(kpjs), lookup_batch):
        batch = kpjs[start : start + lookup_batch]
        for correction in db.session.scalars(
            sa.select(CardCorrection)
            .where(CardCorrection.kpj.in_(batch))
            .order_by(CardCorrection.approved_at, CardCorrection.id)
        ):
            found.setdefault(correction.kpj, []).append(correction)
    return found


def _old(correction: CardCorrection) -> tuple[str, str, date, str]:
    return (
        correction.old_nik,
        correction.old_full_name,
        correction.old_birth_date,
        correction.old_mother_name,
    )


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
