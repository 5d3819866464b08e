"""The registry import (DESIGN §4): CSV files from the core membership system.

Every file present is read and every row validated before anything is written; any error
means nothing changes. Valid data is then upserted on its natural key in one transaction,
so importing the same files twice changes nothing.

Reasons never quote the offending value: stderr ends up in logs, and the values are NIKs,
names and birth dates (DESIGN §7). File, line and column are enough to find it.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import (
    Contribution,
    Employer,
    JhtRate,
    KpjStatus,
    Membership,
    Person,
    Segment,
)
from webapp.registry.corrections import keep_corrected
from webapp.rules import PROGRAMMES, Programme

# Rows per executemany / values per IN (...): well under every driver's parameter limit.
WRITE_BATCH = 5_000
LOOKUP_BATCH = 500
# Not about one line or column (a missing file, a whole row).
WHOLE = "-"


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int  # physical line in the file, the header is line 1; 0: the file as a whole
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


@dataclass(frozen=True)
class FileChanges:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    errors: list[ImportProblem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # file name → data rows read
    changes: dict[str, FileChanges] = field(default_factory=dict)  # only after a write
    ignored: list[str] = field(default_factory=list)  # CSV files in DIR that are not ours
    # memberships.csv rows that sent a corrected card's old biodata: kept corrected (§4).
    kept_corrected: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- one validator per column kind -----------------------------------------------------------

Parse = Callable[[str], Any]
Row = dict[str, Any]


class Invalid(ValueError):
    """A cell breaks the contract; the message is the reason shown to the operator."""


# ASCII only: \d would also accept Arabic-Indic and other Unicode digits.
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_UNSIGNED = re.compile(r"[0-9]{1,18}")  # 18 digits: no huge int() from a hostile file
_PERCENT = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def digits(count: int) -> Parse:
    pattern = re.compile(rf"[0-9]{{{count}}}")

    def parse(value: str) -> str:
        if not pattern.fullmatch(value):
            raise Invalid(f"must be exactly {count} digits")
        return value

    return parse


def text(column: sa.Column[Any]) -> Parse:
    """Free text that fits its database column, e.g. a name."""
    max_length = cast(sa.String, column.type).length or 0

    def parse(value: str) -> str:
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

    def parse(value: str) -> str:
        if value not in allowed:
            raise Invalid(f"must be {listed}")
        return value

    return parse


def whole_number(low: int, high: int, reason: str) -> Parse:
    def parse(value: str) -> int:
        if not _UNSIGNED.fullmatch(value) or not low <= int(value) <= high:
            raise Invalid(reason)
        return int(value)

    return parse


# Cached: dates and periods repeat across thousands of contribution rows.
@functools.lru_cache(maxsize=4096)
def iso_date(value: str) -> date:
    match = _DATE.fullmatch(value)
    if not match:
        raise Invalid("must be a date YYYY-MM-DD")
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        raise Invalid("no such date") from None


@functools.lru_cache(maxsize=4096)
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
SameRow = Callable[[Mapping[str, Any], Row], bool]
UpdateSet = Callable[[sa.Table, dict[str, Any]], dict[str, Any]]


def _same_values(current: Mapping[str, Any], row: Row) -> bool:
    return all(current[column] == value for column, value in row.items())


@dataclass(frozen=True)
class FileSpec:
    name: str
    table: sa.Table
    columns: Mapping[str, Parse]  # CSV column = table column of the same name
    key: tuple[str, ...]
    check: RowCheck | None = None  # rules across the columns of one row
    same: SameRow = _same_values  # does the database already hold this row's effect?
    # Adjusts the upsert's SET, given the default: every imported column from the new row.
    adjust_update: UpdateSet | None = None

    def key_of(self, row: Row) -> tuple[Any, ...] | None:
        if not all(column in row for column in self.key):
            return None
        return tuple(row[column] for column in self.key)


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


def _same_membership(current: Mapping[str, Any], row: Row) -> bool:
    """Mirrors _membership_update: a status the portal closed counts as already right."""
    status_kept = current["status"] in PORTAL_CLOSED
    return all(
        current[column] == value
        for column, value in row.items()
        if column != "status" or not status_kept
    )


def _membership_update(table: sa.Table, new: dict[str, Any]) -> dict[str, Any]:
    """What re-importing an existing card may change.

    - A card the portal has closed (DIKLAIM: JHT paid out; DIGABUNG: balance merged into
      another card) stays closed. The core system reports such a card as NONAKTIF (or even
      AKTIF until it catches up); reopening it would let a paid-out balance be claimed twice.
    - The link to an account is kept only while the card's NIK stays the same. When the core
      system corrects the NIK, the card belongs to someone else as far as the portal knows,
      so it must never stay linked to (and show balances in) the old NIK's account.

    table.c is the stored row, new the imported one. Every SET expression reads the row
    as it was before this update (standard SQL, on SQLite and PostgreSQL alike), so the
    NIK comparison sees the old NIK even though nik is being set too.
    """
    stored = table.c
    same_nik = stored.nik == new["nik"]
    # Plain comparisons, not IN (...): an expanding IN cannot be used with executemany.
    closed = sa.or_(*(stored.status == status for status in PORTAL_CLOSED))
    return new | {
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
    same=_same_membership,
    adjust_update=_membership_update,
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


# eq=False: hashed by identity, to key _check_references' answer (a FileSpec holds dicts).
@dataclass(frozen=True, eq=False)
class Reference:
    """A column that must name a row of another file of this run or of the database."""

    source: FileSpec
    column: str
    target: FileSpec
    reason: str
    # A column of the named row that a later check reads; fetched with the lookup that
    # finds the row, so that check costs no query of its own.
    carry: str | None = None


CARD_OF_CONTRIBUTION = Reference(
    CONTRIBUTIONS,
    "kpj",
    MEMBERSHIPS,
    "unknown KPJ (not in memberships.csv nor in the database)",
    carry="segment",
)
REFERENCES = (
    Reference(
        MEMBERSHIPS,
        "employer_npp",
        EMPLOYERS,
        "unknown employer (not in employers.csv nor in the database)",
    ),
    CARD_OF_CONTRIBUTION,
)

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


# --- reading ---------------------------------------------------------------------------------


@dataclass
class ParsedFile:
    spec: FileSpec
    readable: bool = False  # the header was right, so its rows mean something
    # Every data row with the cells that parsed; a row with errors lacks some columns.
    rows: list[tuple[int, Row]] = field(default_factory=list)
    keys: dict[tuple[Any, ...], int] = field(default_factory=dict)  # key → first line


def _read_file(path: Path, spec: FileSpec, problems: list[ImportProblem]) -> ParsedFile:
    parsed = ParsedFile(spec)

    def problem(line: int, column: str, reason: str) -> None:
        problems.append(ImportProblem(spec.name, line, column, reason))

    try:
        raw = path.read_bytes()
    except OSError as error:
        problem(0, WHOLE, f"cannot be read: {error.strerror}")
        return parsed
    try:
        content = raw.decode("utf-8-sig")  # a BOM, as spreadsheet programs write, is fine
    except UnicodeDecodeError as error:
        problem(raw.count(b"\n", 0, error.start) + 1, WHOLE, "not valid UTF-8")
        return parsed

    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    try:
        records = _numbered(reader)
        header = next(records, None)
        index = _header_index(spec, header[1] if header else [], problem)
        if index is None:
            return parsed
        parsed.readable = True
        for line, record in records:
            if record:  # a blank line carries nothing
                _parse_row(parsed, index, line, record, problem)
    except csv.Error as error:
        problem(reader.line_num, WHOLE, f"malformed CSV: {error}")
    return parsed


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Records with the physical line they start on (a quoted cell may span lines)."""
    line = 1
    for record in reader:
        yield line, record
        line = reader.line_num + 1


def _header_index(
    spec: FileSpec, header: Sequence[str], problem: Callable[[int, str, str], None]
) -> dict[str, int] | None:
    """Column name → position, or None when the header is wrong (each fault reported)."""
    names = [name.strip() for name in header]
    expected = list(spec.columns)
    if not set(names) & set(expected):
        problem(1, WHOLE, f"header row missing; expected the columns {', '.join(expected)}")
        return None
    index: dict[str, int] = {}
    faults = 0
    for position, name in enumerate(names):
        label = name[:40] or f"column {position + 1}"
        if name in index:
            problem(1, label, "duplicate column")
        elif name not in spec.columns:
            problem(1, label, "unknown column")
        else:
            index[name] = position
            continue
        faults += 1
    for name in expected:
        if name not in index:
            problem(1, name, "missing column")
            faults += 1
    return None if faults else index


def _parse_row(
    parsed: ParsedFile,
    index: Mapping[str, int],
    line: int,
    record: Sequence[str],
    problem: Callable[[int, str, str], None],
) -> None:
    spec = parsed.spec
    if len(record) != len(index):
        problem(line, WHOLE, f"{len(record)} fields but the header has {len(index)}")
        parsed.rows.append((line, {}))  # still a row read
        return
    row: Row = {}
    for column, parse in spec.columns.items():
        try:
            row[column] = parse(record[index[column]].strip())
        except Invalid as error:
            problem(line, column, str(error))
    if spec.check:
        for column, reason in spec.check(row):
            problem(line, column, reason)
    key = spec.key_of(row)
    if key is not None:
        first = parsed.keys.setdefault(key, line)
        if first != line:
            problem(line, "+".join(spec.key), f"duplicate key, first on line {first}")
    parsed.rows.append((line, row))


# A referenced key → its reference's carried column (None when not carried or invalid).
Found = dict[Any, Any]


def _check_references(
    parsed: Mapping[str, ParsedFile], problems: list[ImportProblem]
) -> dict[Reference, Found]:
    """Report each value that names no row of this run nor of the database; return,
    per reference checked, the rows it found."""
    found_by_reference: dict[Reference, Found] = {}
    for reference in REFERENCES:
        source = parsed.get(reference.source.name)
        target = parsed.get(reference.target.name)
        if source is None or (target is not None and not target.readable):
            continue  # an unreadable target already has its error; don't repeat it per row
        named = {row.get(reference.column) for _, row in source.rows} - {None}
        found = _found_in_file(reference, target, named) if target is not None else {}
        found |= _found_stored(reference, named - found.keys())
        for line, row in source.rows:
            value = row.get(reference.column)
            if value is not None and value not in found:
                problems.append(
                    ImportProblem(source.spec.name, line, reference.column, reference.reason)
                )
        found_by_reference[reference] = found
    return found_by_reference


def _found_in_file(reference: Reference, target: ParsedFile, named: set[Any]) -> Found:
    """The named rows of this run; a row of this run wins over the stored one it updates.
    Every row whose key parsed counts, even one with errors in other columns."""
    lead = reference.target.key[0]
    found: Found = {}
    for _, row in target.rows:
        key = row.get(lead)
        if key in named and key not in found:
            found[key] = row.get(reference.carry) if reference.carry else None
    return found


def _found_stored(reference: Reference, values: Iterable[Any]) -> Found:
    """The named rows of the database, in one query per LOOKUP_BATCH values."""
    table = reference.target.table
    key = table.c[reference.target.key[0]]
    carried = table.c[reference.carry] if reference.carry else sa.null()
    found: Found = {}
    for batch in _batches(sorted(values), LOOKUP_BATCH):
        rows = db.session.execute(sa.select(key, carried).where(key.in_(batch)))
        found.update(rows.tuples().all())
    return found


def _check_programmes(
    contributions: ParsedFile, segments: Mapping[Any, str | None], problems: list[ImportProblem]
) -> None:
    """A contribution row pays only for its card's programmes (DESIGN §4). segments: the
    card of each KPJ found, from this run's memberships.csv or the database."""
    for line, row in contributions.rows:
        segment = segments.get(row.get("kpj"))
        if segment is None:
            continue  # an unknown card or an invalid segment already has its error
        for column, programme in NOT_COVERED[segment]:
            if row.get(column):
                reason = f"must be 0 for segment {segment}, which has no {programme.value}"
                problems.append(ImportProblem(contributions.spec.name, line, column, reason))


T = TypeVar("T")


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- writing ---------------------------------------------------------------------------------


def _write(spec: FileSpec, rows: list[Row]) -> FileChanges:
    """Upsert the rows that are new or differ; rows already right are not sent at all,
    which keeps a repeated import fast and counts what changed."""
    current = _current_rows(spec, rows)
    pending: list[Row] = []
    inserted = 0
    for row in rows:
        existing = current.get(cast(tuple[Any, ...], spec.key_of(row)))
        if existing is None:
            inserted += 1
        elif spec.same(existing, row):
            continue
        pending.append(row)
    statement = _upsert_statement(spec)
    for batch in _batches(pending, WRITE_BATCH):
        db.session.execute(statement, list(batch))
    updated = len(pending) - inserted
    return FileChanges(inserted, updated, len(rows) - len(pending))


def _current_rows(
    spec: FileSpec, rows: list[Row]
) -> dict[tuple[Any, ...], Mapping[str, Any]]:
    """The stored rows these rows would upsert, by natural key (looked up on the key's
    first column, e.g. every contribution of the KPJs present)."""
    table = spec.table
    lead = table.c[spec.key[0]]
    found: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    wanted = sorted({row[spec.key[0]] for row in rows})
    select = sa.select(*(table.c[name] for name in spec.columns))
    for batch in _batches(wanted, LOOKUP_BATCH):
        for stored in db.session.execute(select.where(lead.in_(batch))).mappings():
            found[tuple(stored[name] for name in spec.key)] = stored
    return found


def _upsert_statement(spec: FileSpec) -> Any:
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        insert = sqlite.insert(spec.table)
    elif dialect == "postgresql":
        insert = postgresql.insert(spec.table)
    else:
        raise RuntimeError(f"the registry import does not support {dialect}")
    values = {name: insert.excluded[name] for name in spec.columns if name not in spec.key}
    if spec.adjust_update:
        values = spec.adjust_update(spec.table, values)
    return insert.on_conflict_do_update(index_elements=list(spec.key), set_=values)


# --- the import ------------------------------------------------------------------------------


def import_directory(directory: Path) -> ImportResult:
    """Import the registry CSV files present in directory, all or nothing.

    Commits on success. On any error nothing is written and the session is rolled back,
    so the caller's session should hold no pending changes of its own.
    """
    result = ImportResult()
    try:
        parsed = _read_directory(directory, result)
        found = _check_references(parsed, result.errors)
        if CARD_OF_CONTRIBUTION in found:
            segments = found[CARD_OF_CONTRIBUTION]
            _check_programmes(parsed[CONTRIBUTIONS.name], segments, result.errors)
        result.errors.sort(key=_reading_order)
        if result.ok:
            for spec in FILES:
                if spec.name in parsed:
                    rows = [row for _, row in parsed[spec.name].rows]
                    if spec is MEMBERSHIPS:
                        result.kept_corrected = keep_corrected(rows, LOOKUP_BATCH)
                    result.changes[spec.name] = _write(spec, rows)
            db.session.commit()
            _analyze(spec.table for spec in FILES if _changed(result.changes.get(spec.name)))
        else:
            db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    return result


def _changed(changes: FileChanges | None) -> bool:
    return changes is not None and (changes.inserted or changes.updated) > 0


def _analyze(tables: Iterable[sa.Table]) -> None:
    """Refresh the planner's statistics of the tables the import changed, at once: until
    autovacuum gets to them, a table that grew from nothing to millions of rows is planned
    as if it were empty (Temukan KPJ lama was ten times slower right after a big import)."""
    for table in tables:
        db.session.execute(sa.text(f"ANALYZE {table.name}"))
    db.session.commit()


def _reading_order(problem: ImportProblem) -> tuple[int, int]:
    """File by file, line by line; sorting is stable, so a line keeps its column order."""
    position = FILE_NAMES.index(problem.file) if problem.file in FILE_NAMES else -1
    return position, problem.line


def _read_directory(directory: Path, result: ImportResult) -> dict[str, ParsedFile]:
    csv_files = sorted(
        path.name for path in directory.iterdir()
        if path.suffix.lower() == ".csv" and path.name not in FILE_NAMES
    )
    # Population.CSV is surely meant as population.csv: an error that says so, rather than a
    # file skipped (a case-insensitive disk would have read it; this one must not differ).
    for name in csv_files:
        meant = name.lower()
        if meant in FILE_NAMES:
            reason = f"registry files are named in lower case: rename it to {meant}"
            result.errors.append(ImportProblem(name, 0, WHOLE, reason))
    result.ignored = [name for name in csv_files if name.lower() not in FILE_NAMES]
    parsed: dict[str, ParsedFile] = {}
    for spec in FILES:
        path = directory / spec.name
        if path.is_file():
            parsed[spec.name] = _read_file(path, spec, result.errors)
            result.counts[spec.name] = len(parsed[spec.name].rows)
    if not parsed:
        expected = ", ".join(FILE_NAMES)
        reason = f"no registry files; expected any of {expected}"
        result.errors.append(ImportProblem(str(directory), 0, WHOLE, reason))
    return parsed
