"""The ledger's one statement folds the contributions of whole years in the database
(webapp/ledger.py, read()). Whatever the cards hold (gaps, late payments, years without
a rate, merges in and out, partial and full payouts) and whatever day is asked, the
statements it gives must be exactly those computed month by month from the raw rows."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests import factories as f
from webapp import ledger
from webapp.balances import services
from webapp.extensions import db
from webapp.models import Contribution, JhtRate, LedgerEntry, LedgerKind


def full_computation(kpj: str, as_of: date) -> tuple[ledger.Ledger, ledger.Ledger]:
    """JHT and JP ledgers from every raw row, month by month, in Python."""
    jht, jp = ledger.Movements(), defaultdict(int)
    for row in db.session.scalars(select(Contribution).where(Contribution.kpj == kpj, Contribution.paid_on <= as_of)):
        jht.add(ledger.CONTRIBUTION, row.paid_on.year, row.paid_on.month, row.jht)
        jp[row.paid_on.year, row.paid_on.month] += row.jp
    for entry in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.kpj == kpj, LedgerEntry.booked_on <= as_of).order_by(LedgerEntry.id)
    ):
        jht.add(entry.kind, entry.booked_on.year, entry.booked_on.month, entry.amount)
    rates = {row.year: row.rate for row in db.session.scalars(select(JhtRate))}
    return (ledger.build(jht, rates, as_of),
            ledger.build(ledger.Movements(contributions=dict(jp)), rates, as_of))


def random_card(rng: random.Random, person) -> str:
    card = f.membership(person)
    first = rng.randint(2008, 2024)
    for year in range(first, 2027):
        for month in range(1, 13):
            if rng.random() < 0.25:
                continue  # a gap
            period = date(year, month, 1)
            late = timedelta(days=rng.choice([9, 9, 9, 40, 75, 400]))
            wage = rng.randrange(2_000_000, 15_000_000, 50_000)
            f.contribution(card, period, wage=wage, paid_on=period + late,
                           jp=0 if rng.random() < 0.2 else wage * 3 // 100)
    return card.kpj


def random_entries(rng: random.Random, kpjs: list[str]) -> None:
    source, target, other = kpjs
    day = date(rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28))
    amount = rng.randrange(1_000_000, 90_000_000)
    if rng.random() < 0.7:  # a merge: money out of one card, into another
        db.session.add_all([
            LedgerEntry(kpj=source, kind=LedgerKind.MERGE_OUT, amount=amount, booked_on=day, counterpart_kpj=target),
            LedgerEntry(kpj=target, kind=LedgerKind.MERGE_IN, amount=amount, booked_on=day, counterpart_kpj=source),
        ])
    if rng.random() < 0.5:  # a partial payout, maybe followed by a full one
        paid = date(rng.randint(2016, 2026), rng.randint(1, 12), rng.randint(1, 28))
        db.session.add(LedgerEntry(kpj=other, kind=LedgerKind.PARTIAL_PAYOUT, amount=amount // 10, booked_on=paid))
        if rng.random() < 0.5:
            db.session.add(LedgerEntry(kpj=other, kind=LedgerKind.PAYOUT, amount=amount,
                                       booked_on=paid + timedelta(days=rng.randint(1, 500))))


@pytest.mark.parametrize("seed", range(12))
def test_folded_years_give_the_month_by_month_statement(app, seed):
    rng = random.Random(seed)
    for year in range(2008, 2027):
        if rng.random() < 0.75:  # some years without a rate: they borrow or earn 0%
            f.jht_rate(year, f"{rng.randint(300, 800) / 100:.2f}")
    person = f.person()
    kpjs = [random_card(rng, person) for _ in range(3)]
    random_entries(rng, kpjs)
    db.session.commit()
    days = [date(2026, 1, 1), date(2026, 12, 31), date(2028, 6, 30)]
    days += [date(rng.randint(2009, 2026), rng.randint(1, 12), rng.randint(1, 28)) for _ in range(3)]
    for as_of in days:
        book = ledger.read(kpjs, as_of)
        summaries = services.jht_summaries(kpjs, as_of)
        for kpj in kpjs:
            jht, jp = full_computation(kpj, as_of)
            assert ledger.build(book.jht.get(kpj, ledger.Movements()), book.rates, as_of) == jht, (kpj, as_of)
            assert ledger.build(book.jp_movements(kpj), book.rates, as_of) == jp, (kpj, as_of)
            assert summaries[kpj].balance == jht.balance
            assert services.card_statement(kpj, as_of).jht == jht


def test_a_folded_year_outside_a_whole_year_is_refused():
    with pytest.raises(ValueError):
        ledger.development(0, {}, ledger.Decimal("5"), 6, whole=(100, 300))


@given(
    opening=st.integers(min_value=-(10**12), max_value=10**12),
    paid=st.dictionaries(st.integers(1, 12), st.integers(0, 10**9), max_size=12),
    paid_out=st.dictionaries(st.integers(1, 12), st.integers(0, 10**9), max_size=3),
    rate=st.decimals(min_value=0, max_value=20, places=2, allow_nan=False, allow_infinity=False),
    months=st.integers(0, 12),
)
def test_development_in_integers_is_the_exact_floor(opening, paid, paid_out, rate, months):
    weighted = opening * months + sum(a * max(0, months - m) for m, a in paid.items())
    weighted -= sum(a * max(0, months - m + 1) for m, a in paid_out.items())
    expected = math.floor(Fraction(rate) / 100 * weighted / 12)
    assert ledger.development(opening, paid, rate, months, paid_out) == expected
