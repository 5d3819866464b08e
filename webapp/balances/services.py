"""JHT statements and JP positions of a KPJ (DESIGN §5). No HTTP here.

The JHT figures come from webapp/ledger.py, the one place that turns contributions,
merges and payouts into balances. Each public function runs a fixed number of SQL
queries however many cards or contributions there are."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import and_, bindparam, extract, func, select
from sqlalchemy.orm import joinedload

from webapp import ledger, rules
from webapp.extensions import db
from webapp.formatting import WIB
from webapp.ledger import MONTHS, Ledger, Movements, YearRow, development, rate_for  # noqa: F401
from webapp.kpj.services import in_list_order
from webapp.models import Contribution, Employer, KpjStatus, Membership, Segment


def today() -> date:
    """The ledger's day is Jakarta's: a year is credited when it ends there."""
    return datetime.now(WIB).date()


# --- JHT summaries for many cards (Beranda) --------------------------------------------


@dataclass(frozen=True)
class JhtSummary:
    """What Beranda shows of a card: its credited balance (and this year's estimate)."""

    balance: int
    accrued_estimate: int

    @classmethod
    def of(cls, jht: Ledger) -> JhtSummary:
        return cls(jht.balance, jht.accrued_estimate)


def jht_summaries(kpjs: Sequence[str], as_of: date) -> dict[str, JhtSummary]:
    """The JHT balance and accrued estimate of each card, in one statement. A card without
    contributions gets a zero summary. (The last contribution is the card page's: Beranda
    does not show it, and finding it cost a third of the statement on PostgreSQL.)"""
    kpjs = list(dict.fromkeys(kpjs))
    if not kpjs:
        return {}
    book = ledger.read(kpjs, as_of)
    return {kpj: JhtSummary.of(ledger.build(book.jht.get(kpj, Movements()), book.rates, as_of)) for kpj in kpjs}


@dataclass(frozen=True)
class LinkedCard:
    """A linked card as Beranda lists it (templates/_kpj_list.html), read with the ledger."""

    kpj: str
    status: str
    segment: str
    link_ref: str
    registered_on: date
    ended_on: date | None
    merged_into: str | None
    employer_name: str | None

    @property
    def segment_enum(self) -> Segment:
        return Segment(self.segment)


@dataclass(frozen=True)
class Beranda:
    cards: list[LinkedCard]
    summaries: dict[str, JhtSummary]

    @property
    def total(self) -> int:
        return sum(summary.balance for summary in self.summaries.values())


def beranda_of(account_id: int, as_of: date) -> Beranda:
    """The account's linked cards, in list order, and each one's JHT summary, in one
    statement: the ledger's, reading the cards linked to the account with their money."""
    book = ledger.read((), as_of, [_LINKED_CARDS], account_id=account_id)
    cards = in_list_order(_linked_card(row) for row in book.extra[TAG_CARD])
    return Beranda(cards, {
        card.kpj: JhtSummary.of(ledger.build(book.jht.get(card.kpj, Movements()), book.rates, as_of))
        for card in cards
    })


@dataclass(frozen=True)
class LastContribution:
    period: date
    paid_on: date
    wage: int


# --- JP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PensionEstimate:
    """A monthly pension estimate: the formula's amount, clamped to the bounds of
    bound_year (in today's rupiah, since wages are not projected)."""

    amount: int
    formula_amount: int
    minimum: rules.Figure
    maximum: rules.Figure
    bound_year: int

    @property
    def clamped_to(self) -> str | None:
        if self.amount != self.formula_amount:
            return "minimum" if self.amount == self.minimum.amount else "maksimum"
        return None


@dataclass(frozen=True)
class JpPosition:
    """Where a card stands for JP. When `continues` (an AKTIF card already paying JP)
    contributions are assumed to go on monthly at the same average wage until the pension
    date; otherwise the months stay as they are."""

    months: int
    contributions: int
    average_wage: int
    wage_caps_estimated: bool
    pension_date: date
    pension_age: int
    continues: bool
    months_at_pension: int
    pension: PensionEstimate | None
    lump_sum: int | None

    @property
    def has_jp(self) -> bool:
        return self.months > 0

    @property
    def reaches_minimum_months(self) -> bool:
        return self.months_at_pension >= rules.JP_MIN_MONTHS_FOR_PENSION


def pension_start(birth_date: date) -> tuple[date, int]:
    """The pension date and age: the birthday in the first year Y in which the
    participant's age reaches rules.jp_pension_age(Y)."""
    year = birth_date.year + rules.JP_PENSION_AGE_BEFORE_2019
    while year - birth_date.year < rules.jp_pension_age(year):
        year += 1
    return anniversary(birth_date, year), year - birth_date.year


def anniversary(day: date, year: int) -> date:
    """The same day in another year; 29 February falls on 28 February in a common year."""
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * MONTHS + end.month - start.month


def _next_month(day: date) -> date:
    return date(day.year + day.month // MONTHS, day.month % MONTHS + 1, 1)


@dataclass(frozen=True)
class JpWages:
    """JP months grouped by (period year, wage), as counted in the database."""

    counts: Mapping[tuple[int, int], int]
    last_period: date | None

    @property
    def months(self) -> int:
        return sum(self.counts.values())

    def capped_total(self) -> tuple[int, bool]:
        """Σ monthly wage capped at its year's JP wage cap, and whether a cap was derived."""
        total, estimated = 0, False
        for (year, wage), count in self.counts.items():
            cap = rules.jp_wage_cap(year)
            total += min(wage, cap.amount) * count
            estimated = estimated or (cap.estimated and wage > cap.amount)
        return total, estimated


def jp_position(card: Membership, wages: JpWages, jp_ledger: Ledger, as_of: date) -> JpPosition:
    """DESIGN §5: a monthly pension from 180 months at the pension date, else a lump sum
    of the JP contributions with returns (developed like JHT, accrued to as_of). The
    pension is clamped to the bounds of the pension year, or of as_of's year when that
    is earlier, since wages are not projected either: the estimate is in today's rupiah."""
    pension_date, pension_age = pension_start(card.birth_date)
    months = wages.months
    capped_total, caps_estimated = wages.capped_total()
    average = Fraction(capped_total, months) if months else Fraction(0)
    continues = card.status == KpjStatus.AKTIF and months > 0
    months_at_pension = months
    if continues and wages.last_period is not None:
        months_at_pension += _future_months(wages.last_period, pension_date, as_of)
    pension = lump_sum = None
    if months_at_pension >= rules.JP_MIN_MONTHS_FOR_PENSION:
        pension = _monthly_pension(months_at_pension, average, min(pension_date.year, as_of.year))
    else:
        lump_sum = jp_ledger.balance + jp_ledger.accrued_estimate
    return JpPosition(
        months=months,
        contributions=jp_ledger.total_contributions,
        average_wage=math.floor(average),
        wage_caps_estimated=caps_estimated,
        pension_date=pension_date,
        pension_age=pension_age,
        continues=continues,
        months_at_pension=months_at_pension,
        pension=pension,
        lump_sum=lump_sum,
    )


def _future_months(last_period: date, pension_date: date, as_of: date) -> int:
    """Months still to be paid from the month after the last paid one (not before the
    current month: a gap already past stays unpaid) up to the month before the pension."""
    start = max(_next_month(last_period), as_of.replace(day=1))
    return max(0, _months_between(start, pension_date))


def _monthly_pension(months: int, average_wage: Fraction, bound_year: int) -> PensionEstimate:
    formula = math.floor(
        rules.JP_PENSION_ACCRUAL_PER_YEAR * Fraction(months, MONTHS) * average_wage
    )
    minimum, maximum = rules.jp_pension_min(bound_year), rules.jp_pension_max(bound_year)
    amount = min(max(formula, minimum.amount), maximum.amount)
    return PensionEstimate(amount, formula, minimum, maximum, bound_year)


# --- The statement of one card -----------------------------------------------------------


@dataclass(frozen=True)
class CardStatement:
    card: Membership
    as_of: date
    jht: Ledger
    last: LastContribution | None  # the contribution of the latest period paid
    jp: JpPosition
    emptied_by: ledger.Entry | None = None  # the merge or payout that emptied a closed card

    @property
    def summary(self) -> JhtSummary:
        return JhtSummary.of(self.jht)

    @property
    def last_period(self) -> date | None:
        return self.last.period if self.last else None

    @property
    def last_paid_on(self) -> date | None:
        return self.last.paid_on if self.last else None

    @property
    def last_wage(self) -> int | None:
        return self.last.wage if self.last else None

    @property
    def accrued_through(self) -> date | None:
        """The last full month of this year the estimate covers (None in January)."""
        months = self.as_of.month - 1
        return date(self.as_of.year, months, 1) if months else None


def owned_card(account_id: int, link_ref: str) -> Membership | None:
    """The card linked to this account under link_ref (its address in URLs), with its
    employer loaded; None when there is no such card or it is someone else's (callers
    must not tell the two apart)."""
    return db.session.scalar(_OWNED_CARD, {"link_ref": link_ref, "account_id": account_id})


# Built once: every card page runs it.
_OWNED_CARD = (
    select(Membership)
    .options(joinedload(Membership.employer))
    .where(Membership.link_ref == bindparam("link_ref"), Membership.account_id == bindparam("account_id"))
    # The card may already sit in the session without its employer: load it anyway.
    .execution_options(populate_existing=True)
)


def card_statement(kpj: str, as_of: date, *, card: Membership | None = None) -> CardStatement:
    """The yearly JHT statement, last contribution and JP position of one card, in one
    statement; two when the caller does not pass the card row it already holds (as from
    owned_card). Raises LookupError for an unknown KPJ."""
    if card is None:
        card = db.session.get(Membership, kpj)
        if card is None:
            raise LookupError(kpj)
    elif card.kpj != kpj:
        raise ValueError(f"card {card.kpj} is not KPJ {kpj}")
    book = ledger.read([kpj], as_of, [_LAST_CONTRIBUTIONS, _JP_WAGES])
    jht = ledger.build(book.jht.get(kpj, Movements()), book.rates, as_of)
    jp_ledger = ledger.build(book.jp_movements(kpj), book.rates, as_of)
    return CardStatement(
        card=card,
        as_of=as_of,
        jht=jht,
        last=_last_of(book).get(kpj),
        jp=jp_position(card, _wages_of(book), jp_ledger, as_of),
        emptied_by=book.closing.get(kpj) if card.status_enum.is_closed else None,
    )


# --- Branches of the ledger's one statement (ledger.read) ---------------------------------

TAG_LAST = "LAST"
TAG_WAGES = "WAGES"
TAG_CARD = "CARD"


def _as_number(day):
    """A date as yyyymmdd, a number every database returns alike."""
    return extract("year", day) * 10000 + extract("month", day) * 100 + extract("day", day)


def _linked_cards():
    card = Membership
    return (
        select(*ledger.row(TAG_CARD, card.kpj, None, None, None, _as_number(card.registered_on),
                           _as_number(card.ended_on), None, None, card.status, card.segment,
                           card.link_ref, card.merged_into, Employer.name))
        .outerjoin(Employer, Employer.npp == card.employer_npp)
        .where(card.account_id == ledger.account_param())
    )


_LINKED_CARDS = _linked_cards()


def _linked_card(row: tuple) -> LinkedCard:
    kpj, _, _, _, registered_on, ended_on, _, _, status, segment, link_ref, merged_into, employer = row
    return LinkedCard(kpj, status, segment, link_ref, _from_number(registered_on),
                      _from_number(ended_on) if ended_on is not None else None, merged_into, employer)


def _from_number(day) -> date:
    day = int(day)
    return date(day // 10000, day // 100 % 100, day % 100)


def _last_contributions():
    """The contribution of the latest period of each card: its period, wage and the day
    it was paid (as yyyymmdd)."""
    latest = (
        select(Contribution.kpj, func.max(Contribution.period).label("period"))
        .where(Contribution.kpj.in_(ledger.kpjs_param()), Contribution.paid_on <= ledger.as_of_param())
        .group_by(Contribution.kpj)
        .subquery()
    )
    paid_on = _as_number(Contribution.paid_on)
    return select(
        *ledger.row(TAG_LAST, Contribution.kpj, extract("year", Contribution.period),
                    extract("month", Contribution.period), None, Contribution.wage, paid_on)
    ).join(latest, and_(Contribution.kpj == latest.c.kpj, Contribution.period == latest.c.period))


_LAST_CONTRIBUTIONS = _last_contributions()


def _last_of(book: ledger.Book) -> dict[str, LastContribution]:
    last = {}
    for kpj, year, month, _, wage, paid_on, *_ in book.extra[TAG_LAST]:
        last[kpj] = LastContribution(date(int(year), int(month), 1), _from_number(paid_on), int(wage))
    return last


def _jp_wages():
    """Months with a JP contribution, grouped by period year and wage: the wage cap applies
    per year, and a card has few distinct wages per year. Each group's latest month rides
    along, for the last period paid."""
    year = extract("year", Contribution.period)
    return (
        select(*ledger.row(TAG_WAGES, Contribution.kpj, year,
                           extract("month", func.max(Contribution.period)), None,
                           Contribution.wage, func.count()))
        .where(Contribution.kpj.in_(ledger.kpjs_param()), Contribution.jp > 0,
               Contribution.paid_on <= ledger.as_of_param())
        .group_by(Contribution.kpj, year, Contribution.wage)
    )


_JP_WAGES = _jp_wages()


def _wages_of(book: ledger.Book) -> JpWages:
    rows = book.extra[TAG_WAGES]
    counts = {(int(year), int(wage)): int(count) for _, year, _, _, wage, count, *_ in rows}
    last = max((date(int(year), int(month), 1) for _, year, month, *_ in rows), default=None)
    return JpWages(counts, last)
