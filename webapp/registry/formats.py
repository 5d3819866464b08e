"""The registry's CSV contract (DESIGN §4): one validator per column kind, and per file its
columns, natural key, rules across the columns of one row, and how a re-import updates a
stored row. Reading, checking across files and writing live in reading.py and staging.py.

Reasons never quote the offending value: stderr ends up in logs, and the values are NIKs,
names and birth dates (DESIGN §7). File, line and column are enough to find it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa

from webapp.models import (
    Contribution,
    Employer,
    JhtRate,
    KpjStatus,
    Membership,
    Person,
    Segment,
)
from webapp.rules import PROGRAMMES, Programme

# --- one validator per column kind -----------------------------------------------------------

Parse = Callable[[str], Any]
Row = dict[str, Any]


class Invalid(ValueError):
    """A cell breaks the contract; the message is the reason shown to the operator."""


# ASCII only: \d would also accept Arabic-Indic and other Unicode digits.
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_PERCENT = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# Each validator takes the common case, a valid value, in a few string methods: a registry
# of millions of rows runs through them cell by cell. isascii() keeps out Arabic-Indic and
# other Unicode digits, which isdigit() alone would accept.


def digits(count: int) -> Parse:
    def parse(value: str) -> str:
        if len(value) == count and value.isascii() and value.isdigit():
            return value
        raise Invalid(f"must be exactly {count} digits")

    return parse


def text(column: sa.Column[Any]) -> Parse:
    """Free text that fits its database column, e.g. a name."""
    max_length = cast(sa.String, column.type).length or 0

    def parse(value: str) -> str:
        # Control characters are never printable: the regex is only for the rare rest.
        if value and len(value) <= max_length and value.isprintable():
            return value
        if not value:
            raise Invalid("must not be empty")
        if _CONTROL.search(value):
            raise Invalid("contains control characters")
        if len(value) > max_length:
            raise Invalid(f"longer than {max_length} characters")
        return value

    return parse


def choice(*allowed: str) -> Parse:
    listed = f"{', '.join(allowed[:-1])} or {allowed[-1]}"
    accepted = frozenset(allowed)

    def parse(value: str) -> str:
        if value in accepted:
            return value
        raise Invalid(f"must be {listed}")

    return parse


def whole_number(low: int, high: int, reason: str) -> Parse:
    def parse(value: str) -> int:
        # 18 digits at most: no huge int() from a hostile file.
        if len(value) <= 18 and value.isascii() and value.isdigit():
            number = int(value)
            if low <= number <= high:
                return number
        raise Invalid(reason)

    return parse


# Cached: dates and periods repeat across thousands of rows. Every day of two centuries
# fits (about 10 MB), so birth dates do not evict each other.
@functools.lru_cache(maxsize=1 << 17)
def iso_date(value: str) -> date:
    match = _DATE.fullmatch(value)
    if not match:
        raise Invalid("must be a date YYYY-MM-DD")
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        raise Invalid("no such date") from None


@functools.lru_cache(maxsize=1 << 12)
def month(value: str) -> date:
    """A period YYYY-MM, kept as the first day of that month."""
    match = _MONTH.fullmatch(value)
    if not match:
        raise Invalid("must be a period YYYY-MM")
    year_number, month_number = map(int, match.groups())
    if not 1 <= month_number <= 12:
        raise Invalid("no such month")
    return date(year_number, month_number, 1)


def percentage(value: str) -> Decimal:
    if not _PERCENT.fullmatch(value):
        raise Invalid("must be a percentage like 6.26 (below 100, at most 2 decimals)")
    return Decimal(value)


def optional(parse: Parse) -> Parse:
    def parse_optional(value: str) -> Any:
        return parse(value) if value else None

    return parse_optional


money = whole_number(
    0, 10**15 - 1, "must be whole rupiah (digits only, no separators, decimals or sign)"
)
# ASTEK, the predecessor of Jamsostek, began in 1977: an earlier year is a typo.
calendar_year = whole_number(1977, 2100, "must be a year from 1977 to 2100")
risk_class = whole_number(1, 5, "must be a whole number from 1 to 5")
nik = digits(16)
kpj = digits(11)


# --- the files -------------------------------------------------------------------------------

RowCheck = Callable[[Row], Iterator[tuple[str, str]]]
# The SET of a re-import's update: stored is the table as it is, new the imported values
# (the upsert's `excluded`, or a staging table's columns) of every column not in the key.
UpdateSet = Callable[[sa.Table, Mapping[str, Any]], Mapping[str, Any]]


def _take_new(stored: sa.Table, new: Mapping[str, Any]) -> Mapping[str, Any]:
    return new


@dataclass(frozen=True)
class FileSpec:
    name: str
    table: sa.Table
    columns: Mapping[str, Parse]  # CSV column = table column of the same name
    key: tuple[str, ...]
    check: RowCheck | None = None  # rules across the columns of one row
    # What a re-import sets on a stored row. A row counts as unchanged exactly when every
    # value this sets equals the stored one, so the two can never disagree.
    update: UpdateSet = _take_new


def _table(model: type[Any]) -> sa.Table:
    return cast(sa.Table, model.__table__)


POPULATION_TABLE = _table(Person)
EMPLOYERS_TABLE = _table(Employer)
JHT_RATES_TABLE = _table(JhtRate)
MEMBERSHIPS_TABLE = _table(Membership)
CONTRIBUTIONS_TABLE = _table(Contribution)

# The portal closes a card itself (DIKLAIM after a paid claim, DIGABUNG after a merge);
# the core system only knows AKTIF and NONAKTIF.
IMPORTED_STATUSES = (KpjStatus.AKTIF.value, KpjStatus.NONAKTIF.value)
PORTAL_CLOSED = tuple(status.value for status in KpjStatus if status.is_closed)
NEEDS_EMPLOYER = (Segment.PU.value, Segment.JAKON.value)


def _check_membership(row: Row) -> Iterator[tuple[str, str]]:
    status, ended_on = row.get("status"), row.get("ended_on")
    if "ended_on" in row:
        if status == KpjStatus.AKTIF and ended_on is not None:
            yield "ended_on", "must be empty when status is AKTIF"
        if status == KpjStatus.NONAKTIF and ended_on is None:
            yield "ended_on", "required when status is NONAKTIF"
    registered_on = row.get("registered_on")
    if ended_on is not None and registered_on is not None and ended_on < registered_on:
        yield "ended_on", "before registered_on"
    segment = row.get("segment")
    if segment in NEEDS_EMPLOYER and "employer_npp" in row and row["employer_npp"] is None:
        yield "employer_npp", f"required for segment {segment}"


def _check_contribution(row: Row) -> Iterator[tuple[str, str]]:
    period, paid_on = row.get("period"), row.get("paid_on")
    if period is not None and paid_on is not None and paid_on < period:
        yield "paid_on", "before the start of the period"


def _membership_update(stored_table: sa.Table, new: Mapping[str, Any]) -> Mapping[str, Any]:
    """What re-importing an existing card may change.

    - A card the portal has closed (DIKLAIM: JHT paid out; DIGABUNG: balance merged into
      another card) stays closed. The core system reports such a card as NONAKTIF (or even
      AKTIF until it catches up); reopening it would let a paid-out balance be claimed twice.
    - The link to an account is kept only while the card's NIK stays the same. When the core
      system corrects the NIK, the card belongs to someone else as far as the portal knows,
      so it must never stay linked to (and show balances in) the old NIK's account.

    Every SET expression reads the row as it was before this update (standard SQL, on
    SQLite and PostgreSQL alike), so the NIK comparison sees the old NIK even though nik is
    being set too.
    """
    stored = stored_table.c
    same_nik = stored.nik == new["nik"]
    closed = stored.status.in_(PORTAL_CLOSED)
    return {
        **new,
        "status": sa.case((closed, stored.status), else_=new["status"]),
        "account_id": sa.case((same_nik, stored.account_id), else_=sa.null()),
        "linked_at": sa.case((same_nik, stored.linked_at), else_=sa.null()),
        # An unlinked card has no address: its old one must not lead anywhere again.
        "link_ref": sa.case((same_nik, stored.link_ref), else_=sa.null()),
    }


POPULATION = FileSpec(
    "population.csv",
    POPULATION_TABLE,
    {
        "nik": nik,
        "full_name": text(POPULATION_TABLE.c.full_name),
        "birth_place": text(POPULATION_TABLE.c.birth_place),
        "birth_date": iso_date,
        "gender": choice("L", "P"),
        "mother_name": text(POPULATION_TABLE.c.mother_name),
    },
    key=("nik",),
)
EMPLOYERS = FileSpec(
    "employers.csv",
    EMPLOYERS_TABLE,
    {
        "npp": text(EMPLOYERS_TABLE.c.npp),
        "name": text(EMPLOYERS_TABLE.c.name),
        "risk_class": risk_class,
    },
    key=("npp",),
)
JHT_RATES = FileSpec(
    "jht_rates.csv", JHT_RATES_TABLE, {"year": calendar_year, "rate": percentage}, key=("year",)
)
MEMBERSHIPS = FileSpec(
    "memberships.csv",
    MEMBERSHIPS_TABLE,
    {
        "kpj": kpj,
        "segment": choice(*(segment.value for segment in Segment)),
        "nik": nik,
        "full_name": text(MEMBERSHIPS_TABLE.c.full_name),
        "birth_date": iso_date,
        "mother_name": text(MEMBERSHIPS_TABLE.c.mother_name),
        "employer_npp": optional(text(MEMBERSHIPS_TABLE.c.employer_npp)),
        "status": choice(*IMPORTED_STATUSES),
        "registered_on": iso_date,
        "ended_on": optional(iso_date),
    },
    key=("kpj",),
    check=_check_membership,
    update=_membership_update,
)
CONTRIBUTIONS = FileSpec(
    "contributions.csv",
    CONTRIBUTIONS_TABLE,
    {
        "kpj": kpj,
        "period": month,
        "wage": money,
        "jht": money,
        "jp": money,
        "jkk": money,
        "jkm": money,
        "jkp": money,
        "paid_on": iso_date,
    },
    key=("kpj", "period"),
    check=_check_contribution,
)

# Foreign keys first: this is both the reading order and the writing order.
FILES: tuple[FileSpec, ...] = (POPULATION, EMPLOYERS, JHT_RATES, MEMBERSHIPS, CONTRIBUTIONS)
FILE_NAMES = tuple(spec.name for spec in FILES)


@dataclass(frozen=True)
class Reference:
    """A column that must name a row of another file of this run or of the database."""

    source: FileSpec
    column: str
    target: FileSpec
    reason: str


EMPLOYER_OF_CARD = Reference(
    MEMBERSHIPS,
    "employer_npp",
    EMPLOYERS,
    "unknown employer (not in employers.csv nor in the database)",
)
CARD_OF_CONTRIBUTION = Reference(
    CONTRIBUTIONS,
    "kpj",
    MEMBERSHIPS,
    "unknown KPJ (not in memberships.csv nor in the database)",
)
REFERENCES = (EMPLOYER_OF_CARD, CARD_OF_CONTRIBUTION)

# Contribution columns are named after the programme they pay for. Per segment, the
# columns that must be 0 because its cards lack that programme (DESIGN §4).
PROGRAMME_COLUMN = {programme: programme.value.lower() for programme in Programme}
NOT_COVERED = {
    segment: tuple(
        (column, programme)
        for programme, column in PROGRAMME_COLUMN.items()
        if programme not in covered
    )
    for segment, covered in PROGRAMMES.items()
}

