"""The JHT ledger of a card (DESIGN §5, §3.9, §6): the one place that turns money movements
into balances. No balance is ever stored (contribution_years keeps only contributions
summed by year, refolded with every write to them); every figure is derived from

- the registry's contributions (counted in the month of paid_on), and
- the portal's own entries (models.LedgerEntry): a merge moves money out of one card
  (MERGE_OUT, which empties it) into another (MERGE_IN); a claim pays a card out
  (PAYOUT, which empties it) or pays part of it (PARTIAL_PAYOUT).

Development, per calendar year with return rate r, over the first M months of the year:

    floor(r/12 · (opening·M + Σ money in · max(0, M − m) − Σ money out · max(0, M − m + 1)))

where m is the month the money moved. Money coming in (a contribution or a merge) starts
earning at the end of its month, as DESIGN §5 says for contributions; money going out
stops earning at the end of the month before, so what leaves is valued exactly as
`value_on` values it: the balance with development accrued over the full months elapsed.
M is 12 for a completed year, the number of full months elapsed in the current year (an
accrued estimate, not yet credited), and, in the year a card is emptied, the full months
before that: the development accrued to that day is credited and leaves with the rest.
So the amount a merge or a payout moves is `value_on(card, day)`, and a person's total
just before and just after a merge is the same to the rupiah."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger, CompoundSelect, Date, Integer, String, bindparam, cast, delete, event, extract, func,
    insert, inspect, literal, null, or_, select, union_all,
)
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.models import Contribution, ContributionYear, JhtRate, LedgerEntry, LedgerKind, Membership

MONTHS = 12
CONTRIBUTION = "CONTRIBUTION"

# Amounts keyed by (year, month).
ByMonth = Mapping[tuple[int, int], int]


@dataclass
class Movements:
    """One card's JHT money by (year, month)."""

    contributions: dict[tuple[int, int], int] = field(default_factory=dict)
    merged_in: dict[tuple[int, int], int] = field(default_factory=dict)
    paid_out: dict[tuple[int, int], int] = field(default_factory=dict)  # partial payouts
    closed_in: tuple[int, int] | None = None  # the month a closing entry emptied the card
    closed_amount: int = 0
    # Contributions of whole years, folded (models.ContributionYear): year -> (total,
    # Σ amount·month).
    # A whole year earns on them 12·total − Σ amount·month twelfths, all that the rule
    # needs of its months (see development()).
    whole_years: dict[int, tuple[int, int]] = field(default_factory=dict)

    def add(self, kind: str, year: int, month: int, amount: int) -> None:
        key = (year, month)
        if kind == CONTRIBUTION:
            self.contributions[key] = self.contributions.get(key, 0) + amount
        elif kind == LedgerKind.MERGE_IN:
            self.merged_in[key] = self.merged_in.get(key, 0) + amount
        elif kind == LedgerKind.PARTIAL_PAYOUT:
            self.paid_out[key] = self.paid_out.get(key, 0) + amount
        else:  # MERGE_OUT or PAYOUT: a card is emptied once
            self.closed_in = key
            self.closed_amount += amount

    def months(self) -> set[tuple[int, int]]:
        keys = set(self.contributions) | set(self.merged_in) | set(self.paid_out)
        keys |= {(year, MONTHS) for year in self.whole_years}
        return keys | ({self.closed_in} if self.closed_in else set())


@dataclass(frozen=True)
class YearRow:
    """One year of a statement. rate is the percentage applied (6.26 = 6.26%). A year
    without its own published rate borrows the latest earlier one (rate_fallback_from)
    or, with none earlier, earns 0% (rate_known False). transfers is what the portal
    moved: merged in, less partial payouts and, in the year the card was emptied, what
    left it. The as_of year is an estimate: its development is accrued to the end of the
    last full month, not credited."""

    year: int
    rate: Decimal
    rate_fallback_from: int | None
    rate_known: bool
    opening: int
    contributions: int
    transfers: int
    development: int
    closing: int
    is_estimate: bool


@dataclass(frozen=True)
class Ledger:
    years: tuple[YearRow, ...]
    closed: bool = False  # emptied by a merge or a payout

    @property
    def current(self) -> YearRow | None:
        return self.years[-1] if self.years else None

    @property
    def balance(self) -> int:
        """Credited balance: last completed year's closing plus this year's money in and
        out (an emptied card holds nothing)."""
        current = self.current
        if current is None or self.closed:
            return 0
        return current.opening + current.contributions + current.transfers

    @property
    def accrued_estimate(self) -> int:
        """This year's development so far: shown apart, it is not credited yet."""
        if self.current is None or self.closed:
            return 0
        return self.current.development

    @property
    def value(self) -> int:
        """What the card is worth today: the balance with development accrued to date.
        This is what a merge moves and a claim pays."""
        return self.balance + self.accrued_estimate

    @property
    def total_contributions(self) -> int:
        return sum(row.contributions for row in self.years)

    @property
    def total_development(self) -> int:
        """Credited development only (completed years)."""
        return sum(row.development for row in self.years if not row.is_estimate)

    # The statement's notes (balances/_statement.html), worked out here rather than with
    # Jinja's filters, which cost a card page more than its whole table of years.
    @property
    def years_without_rate(self) -> list[YearRow]:
        """Years earning 0%: no rate of their own and none earlier."""
        return [row for row in self.years if not row.rate_known]

    @property
    def borrowed_rates(self) -> list[tuple[int, list[YearRow]]]:
        """(year lent from, the years that borrowed its rate), by the year lent from."""
        borrowers: dict[int, list[YearRow]] = {}
        for row in self.years:
            if row.rate_fallback_from is not None:
                borrowers.setdefault(row.rate_fallback_from, []).append(row)
        return sorted(borrowers.items())

    @property
    def has_transfers(self) -> bool:
        return any(row.transfers for row in self.years)


def rate_for(year: int, rates: Mapping[int, Decimal]) -> tuple[Decimal, int | None, bool]:
    """(percent, fallback year, known) for a year, per DESIGN §5."""
    if year in rates:
        return rates[year], None, True
    earlier = [y for y in rates if y < year]
    if not earlier:
        return Decimal(0), None, False
    fallback = max(earlier)
    return rates[fallback], fallback, True


def development(
    opening: int, paid: ByMonth, rate: Decimal, months: int, paid_out: ByMonth | None = None,
    whole: tuple[int, int] | None = None,
) -> int:
    """Development earned by the end of month `months` of a year (see the module's
    docstring), `paid` mapping the month money came in to its amount and `paid_out` the
    month money left. With months = 12 and nothing out this is exactly DESIGN §5's
    full-year rule, floor(opening·r + Σ amount·r·(12 − m)/12). `whole` is more money in,
    given as (total, Σ amount·month) for a whole year (months = 12): since every m ≤ 12,
    its Σ amount·(12 − m) is 12·total − Σ amount·month."""
    weighted = opening * months + sum(
        amount * max(0, months - month) for month, amount in paid.items()
    )
    if whole is not None:
        if months != MONTHS:
            raise ValueError("a year's money folded by month weighs only over the whole year")
        total, by_month = whole
        weighted += MONTHS * total - by_month
    weighted -= sum(amount * max(0, months - month + 1) for month, amount in (paid_out or {}).items())
    # floor(rate/100 · weighted/12), in integers: exact, as a Fraction would be, and a
    # statement computes this for every year of every card.
    numerator, denominator = rate.as_integer_ratio()
    return numerator * weighted // (denominator * 100 * MONTHS)


def build(movements: Movements, rates: Mapping[int, Decimal], as_of: date) -> Ledger:
    """Years from the first with money to as_of's year (or to the year the card was
    emptied), including years without movements: the opening keeps earning. Movements
    after as_of's month are ignored (the query already leaves out those after as_of)."""
    keys = {key for key in movements.months() if key <= (as_of.year, as_of.month)}
    if not keys:
        return Ledger(())
    closed = movements.closed_in is not None and movements.closed_in <= (as_of.year, as_of.month)
    last_year = movements.closed_in[0] if closed else as_of.year
    rows, opening = [], 0
    by_year = _by_year(movements, (as_of.year, as_of.month))
    for year in range(min(keys)[0], last_year + 1):
        row = _year(year, opening, by_year.get(year, _NOTHING), movements, rates, as_of,
                    closes=closed and year == last_year)
        rows.append(row)
        opening = row.closing
    return Ledger(tuple(rows), closed=closed)


# A year's contributions, money merged in and partial payouts, each by month.
YearMonths = tuple[dict[int, int], dict[int, int], dict[int, int]]
_NOTHING: YearMonths = ({}, {}, {})


def _by_year(movements: Movements, until: tuple[int, int]) -> dict[int, YearMonths]:
    """The movements up to `until` (year, month) split by year, in one pass over them."""
    years: dict[int, YearMonths] = {}
    for slot, amounts in enumerate((movements.contributions, movements.merged_in, movements.paid_out)):
        for (year, month), amount in amounts.items():
            if (year, month) <= until:
                years.setdefault(year, ({}, {}, {}))[slot][month] = amount
    return years


def _year(
    year: int, opening: int, months_of_year: YearMonths, movements: Movements,
    rates: Mapping[int, Decimal], as_of: date, *, closes: bool,
) -> YearRow:
    contributions, merged_in, paid_out = months_of_year
    money_in = {m: contributions.get(m, 0) + merged_in.get(m, 0) for m in contributions | merged_in}
    if closes:
        assert movements.closed_in is not None
        months = movements.closed_in[1] - 1
    else:
        months = as_of.month - 1 if year == as_of.year else MONTHS
    rate, fallback_from, known = rate_for(year, rates)
    whole = movements.whole_years.get(year)
    earned = development(opening, money_in, rate, months, paid_out, whole)
    transfers = sum(merged_in.values()) - sum(paid_out.values())
    if closes:
        transfers -= movements.closed_amount
    total_contributions = sum(contributions.values()) + (whole[0] if whole else 0)
    closing = opening + total_contributions + transfers + earned
    is_estimate = year == as_of.year and not closes
    return YearRow(year, rate, fallback_from, known, opening, total_contributions, transfers,
                   earned, closing, is_estimate)


# --- Reading ------------------------------------------------------------------------------

# Every read of the ledger is one statement: the branches of a UNION ALL, each row shaped
# (tag, kpj, year, month, day, a, b, c, d, text, text2 ... text5), so that a page pays one round trip for
# all the money of its cards whatever their number, their years or the branches the page
# adds. Contributions of the years before as_of's come folded by year (one row a year
# instead of twelve: all that the development of a whole year needs of them, see
# development()), read from contribution_years, where refresh_years() keeps the fold; those
# of as_of's year by month; an emptied card's by month throughout, since the year it was
# emptied in is not whole.
TAG_RATE = "RATE"
TAG_WHOLE_YEAR = "YEAR"


@dataclass(frozen=True)
class Entry:
    """A portal ledger entry as a page shows it (the one that emptied a closed card)."""

    id: int
    kind: str
    amount: int
    booked_on: date
    counterpart_kpj: str | None


@dataclass
class Book:
    """What one statement read for a set of cards, up to as_of."""

    jht: dict[str, Movements] = field(default_factory=lambda: defaultdict(Movements))
    # JP contributions by (year, month) paid, and folded by whole year (see Movements).
    jp: dict[str, dict[tuple[int, int], int]] = field(default_factory=lambda: defaultdict(dict))
    jp_years: dict[str, dict[int, tuple[int, int]]] = field(default_factory=lambda: defaultdict(dict))
    closing: dict[str, Entry] = field(default_factory=dict)  # the latest emptying entry
    rates: dict[int, Decimal] = field(default_factory=dict)
    # Rows of the branches the caller added, by their tag.
    extra: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))

    def jp_movements(self, kpj: str) -> Movements:
        """A card's JP contributions as movements, to develop like JHT (a lump sum)."""
        return Movements(contributions=self.jp.get(kpj, {}), whole_years=self.jp_years.get(kpj, {}))


# The statement is built once per process and run with these two parameters: building
# and hashing a statement of this size costs more than running it.
KPJS = "kpjs"
AS_OF = "as_of"
YEAR_START = "year_start"  # 1 January of as_of's year
AS_OF_YEAR = "as_of_year"
ACCOUNT = "account_id"


def kpjs_param():
    """The cards a branch reads: `Contribution.kpj.in_(kpjs_param())`."""
    return bindparam(KPJS, expanding=True)


def as_of_param():
    return bindparam(AS_OF, type_=Date)


TEXTS = 5  # text columns of a row


def _row(tag, kpj, year, month, day=None, a=None, b=None, c=None, d=None, *texts) -> tuple:
    texts = texts + (None,) * (TEXTS - len(texts))
    return tuple(
        value if hasattr(value, "self_group") else null() if value is None else literal(value)
        for value in (tag, kpj, year, month, day, a, b, c, d, *texts)
    )


def row(tag, kpj, year, month, day=None, a=None, b=None, c=None, d=None, *texts) -> tuple:
    """The columns of an extra branch for read(): tag names its rows in Book.extra, as
    (kpj, year, month, day, a, b, c, d, text, ..., text5). A branch binds kpjs_param() (or,
    read by account, account_param()) and as_of_param() only."""
    return _row(literal(tag), kpj, year, month, day, a, b, c, d, *texts)


def account_param():
    return bindparam(ACCOUNT, type_=Integer)


def _cards(by_account: bool):
    """The cards a statement reads: the KPJs given, or the cards linked to an account."""
    if by_account:
        return select(Membership.kpj).where(Membership.account_id == account_param())
    return kpjs_param()


def _branches(by_account: bool = False) -> list:
    cards = _cards(by_account)
    paid_year, paid_month = extract("year", Contribution.paid_on), extract("month", Contribution.paid_on)
    emptied = select(LedgerEntry.kpj).where(
        LedgerEntry.kpj.in_(cards),
        LedgerEntry.kind.in_([kind.value for kind in LedgerKind if kind.closes_card]),
        LedgerEntry.booked_on <= as_of_param(),
    )
    year_start = bindparam(YEAR_START, type_=Date)
    first_year = bindparam(AS_OF_YEAR, type_=Integer)
    by_month = (
        select(*_row(literal(CONTRIBUTION), Contribution.kpj, paid_year, paid_month,
                     cast(None, Integer), func.sum(Contribution.jht), func.sum(Contribution.jp),
                     cast(None, BigInteger), cast(None, BigInteger), *[cast(None, String)] * TEXTS))
        .where(Contribution.kpj.in_(cards), Contribution.paid_on <= as_of_param(),
               or_(Contribution.paid_on >= year_start, Contribution.kpj.in_(emptied)))
        .group_by(Contribution.kpj, paid_year, paid_month)
    )
    # Years before as_of's, already folded (refresh_years()): every payment in them is
    # before as_of.
    years = ContributionYear
    by_year = (
        select(*_row(literal(TAG_WHOLE_YEAR), years.kpj, years.year, None, None,
                     years.jht, years.jht_by_month, years.jp, years.jp_by_month))
        .where(years.kpj.in_(cards), years.year < first_year, years.kpj.not_in(emptied))
    )
    booked = LedgerEntry.booked_on
    entries = select(
        *_row(LedgerEntry.kind, LedgerEntry.kpj, extract("year", booked), extract("month", booked),
              extract("day", booked), LedgerEntry.amount, LedgerEntry.id, None, None,
              LedgerEntry.counterpart_kpj)
    ).where(LedgerEntry.kpj.in_(cards), booked <= as_of_param())
    # Whole hundredths of a percent: exact on SQLite too, which keeps NUMERIC as a float.
    rates = select(*_row(literal(TAG_RATE), cast(None, String), JhtRate.year, cast(None, Integer),
                         cast(None, Integer), func.round(JhtRate.rate * 100)))
    return [by_month, by_year, entries, rates]


@functools.lru_cache(maxsize=16)
def _statement(extra: tuple, by_account: bool = False) -> CompoundSelect:
    return union_all(*_branches(by_account), *extra)


def read(kpjs: Sequence[str], as_of: date, extra: Sequence = (), *, account_id: int | None = None) -> Book:
    """Every card's JHT movements and JP contributions by month up to as_of, its portal
    entries, and the return rates, in one statement; with the rows of `extra` (branches
    built once, with row(), see there) kept by tag for the caller. With account_id, the
    cards are those linked to the account (kpjs is ignored), found in the same statement:
    an extra branch reads them with account_param()."""
    book = Book()
    parameters = {AS_OF: as_of, YEAR_START: date(as_of.year, 1, 1), AS_OF_YEAR: as_of.year}
    if account_id is None:
        parameters[KPJS] = list(kpjs)
    else:
        parameters[ACCOUNT] = account_id
    rows = db.session.execute(_statement(tuple(extra), account_id is not None), parameters)
    for tag, kpj, year, month, day, a, b, c, d, text, *texts in rows:
        # PostgreSQL returns numerics for EXTRACT and SUM: normalise to int.
        if tag == CONTRIBUTION:
            year, month = int(year), int(month)
            book.jht[kpj].add(CONTRIBUTION, year, month, int(a))
            book.jp[kpj][year, month] = int(b)
        elif tag == TAG_WHOLE_YEAR:
            book.jht[kpj].whole_years[int(year)] = (int(a), int(b))
            book.jp_years[kpj][int(year)] = (int(c), int(d))
        elif tag == TAG_RATE:
            book.rates[int(year)] = Decimal(int(a)).scaleb(-2)
        elif tag in LedgerKind.__members__:
            _add_entry(book, Entry(int(b), tag, int(a), date(int(year), int(month), int(day)), text), kpj)
        else:
            book.extra[tag].append((kpj, year, month, day, a, b, c, d, text, *texts))
    return book


def _add_entry(book: Book, entry: Entry, kpj: str) -> None:
    book.jht[kpj].add(entry.kind, entry.booked_on.year, entry.booked_on.month, entry.amount)
    if LedgerKind(entry.kind).closes_card:
        latest = book.closing.get(kpj)
        if latest is None or (entry.booked_on, entry.id) > (latest.booked_on, latest.id):
            book.closing[kpj] = entry


def ledgers(kpjs: Sequence[str], as_of: date) -> dict[str, Ledger]:
    """The JHT ledger of each card, in one statement."""
    kpjs = list(dict.fromkeys(kpjs))
    if not kpjs:
        return {}
    book = read(kpjs, as_of)
    return {kpj: build(book.jht.get(kpj, Movements()), book.rates, as_of) for kpj in kpjs}


def values_on(kpjs: Sequence[str], day: date) -> dict[str, int]:
    """Each card's value on `day`: its balance with development accrued to date."""
    return {kpj: book.value for kpj, book in ledgers(kpjs, day).items()}


# --- Writing ------------------------------------------------------------------------------


def refresh_years(cards, session: Session | None = None) -> None:
    """Fold again the contributions of `cards` (KPJs, or a SELECT of them) by the year they
    were paid in (models.ContributionYear), in the transaction that wrote them: whatever
    writes contributions calls this before it commits. One DELETE and one INSERT ... SELECT
    whatever the number of cards."""
    connection = (session or db.session).connection()
    connection.execute(delete(ContributionYear).where(ContributionYear.kpj.in_(cards)))
    connection.execute(insert(ContributionYear).from_select(_YEAR_COLUMNS, _fold(cards)))


_YEAR_COLUMNS = ["kpj", "year", "jht", "jht_by_month", "jp", "jp_by_month"]


def _fold(cards):
    paid_year, paid_month = extract("year", Contribution.paid_on), extract("month", Contribution.paid_on)
    year = cast(paid_year, Integer)
    return (
        select(Contribution.kpj, year,
               func.sum(Contribution.jht), func.sum(Contribution.jht * cast(paid_month, Integer)),
               func.sum(Contribution.jp), func.sum(Contribution.jp * cast(paid_month, Integer)))
        .where(Contribution.kpj.in_(cards))
        .group_by(Contribution.kpj, year)
    )


@event.listens_for(Session, "after_flush")
def _refresh_flushed_years(session: Session, _context) -> None:
    """Contributions written through the ORM (the tests' factories, a bench's long card) get
    their years folded in the same flush, so the table never disagrees with them."""
    cards: set[str] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Contribution):
            moved_from = inspect(instance).attrs.kpj.history.deleted  # a KPJ corrected
            cards.update(kpj for kpj in (instance.kpj, *moved_from) if kpj)
    if cards:
        refresh_years(sorted(cards), session)


def post(entries: Iterable[LedgerEntry]) -> None:
    """Add entries to the caller's transaction (the caller commits, with whatever else
    made them: a merge's status changes, a claim's stage)."""
    db.session.add_all(entries)
