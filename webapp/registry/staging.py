"""The registry import's staging tables (DESIGN §4): each file streams into a table of its
own (PostgreSQL: COPY into an unlogged table, loading.py; SQLite: batched inserts into a
temporary one), where the checks across files and rows run as set-based SQL, and from which
each file is merged into its table with one INSERT ... SELECT ... ON CONFLICT DO UPDATE.
Python never holds a file's rows.

Staged columns are nullable: a row with errors still stages the cells that parsed, so a
duplicate key or an unknown reference is reported on it too. A file is only merged while
the run has found no error, so every staged row it merges is complete.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.registry.formats import (
    MEMBERSHIPS_TABLE,
    NOT_COVERED,
    FileSpec,
    Reference,
)
from webapp.registry.reading import ImportProblem, Problems, StagedRow

# Rows per insert on SQLite: bounded memory, well under its parameter limit per batch.
WRITE_BATCH = 2_000
# Problem rows fetched from the database at a time.
FETCH_BATCH = 1_000
LINE = "line"


@dataclass(frozen=True)
class FileChanges:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _execute(statement: Any, parameters: Any = None) -> sa.CursorResult[Any]:
    return db.session.execute(statement, parameters)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- the tables ------------------------------------------------------------------------------


def staging_table(spec: FileSpec, name: str | None = None, *, unlogged: bool = False) -> sa.Table:
    """A table for the rows of spec's file: its line, then its columns. Temporary (seen by
    the import's own connection only) unless unlogged: then another connection can fill it
    (loading.py), and whoever made it drops it."""
    columns = [sa.Column(LINE, sa.Integer, nullable=False)] + [
        sa.Column(column, spec.table.c[column].type, nullable=True) for column in spec.columns
    ]
    name = name or f"import_{spec.table.name}"
    if unlogged:
        return sa.Table(name, sa.MetaData(), *columns, prefixes=["UNLOGGED"])
    return _temporary(name, *columns)


def _temporary(name: str, *columns: sa.Column[Any]) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        *columns,
        prefixes=["TEMPORARY"],
        # Gone with the transaction on PostgreSQL whatever happens; drop() for SQLite.
        postgresql_on_commit="DROP",
    )


def create(connection: sa.Connection, table: sa.Table) -> None:
    # SQLite keeps a temporary table for the connection's life, and its pysqlite driver
    # does not undo DDL on rollback: one left by an interrupted run goes first.
    drop(connection, table)
    table.create(connection)


def drop(connection: sa.Connection, table: sa.Table) -> None:
    connection.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))


# The unlogged staging tables of PostgreSQL (loading.py): import_<table>_<pid>_<token>,
# pid being the server process of the connection that filled them.
ABANDONED_PREFIX = "import_"
_UNLOGGED_NAME = re.compile(r"^import_[a-z_]+?_(\d+)_[0-9a-f]{8}$")


def drop_abandoned(connection: sa.Connection) -> list[str]:
    """Drop the staging tables of imports that are no longer running (killed before
    close() could drop them: their connection's server process is gone), and return their
    names. A running import's tables stay."""
    names = connection.execute(sa.text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relpersistence = 'u' "
        "AND c.relname LIKE 'import\\_%'"
    )).scalars().all()
    running = set(connection.execute(sa.text("SELECT pid FROM pg_stat_activity")).scalars())
    abandoned = [name for name in names
                 if (match := _UNLOGGED_NAME.match(name)) and int(match.group(1)) not in running]
    for name in abandoned:
        connection.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    return abandoned


def load(connection: sa.Connection, table: sa.Table, rows: Iterable[StagedRow]) -> None:
    """Stream rows into a staging table: PostgreSQL's COPY, else inserts of WRITE_BATCH."""
    names = [column.name for column in table.columns]
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        # Autovacuum may not have analysed a fresh table yet (and never analyses a
        # temporary one): without statistics the checks would be planned for an empty one.
        connection.execute(sa.text(f"ANALYZE {table.name}"))
    else:
        insert = table.insert()
        for batch in _batched(rows, WRITE_BATCH):
            connection.execute(insert, [dict(zip(names, row, strict=True)) for row in batch])


def _batched(rows: Iterable[StagedRow], size: int) -> Iterator[list[StagedRow]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _stream(query: sa.Select[Any]) -> Iterator[sa.Row[Any]]:
    """The rows of a query, FETCH_BATCH at a time (a server-side cursor on PostgreSQL)."""
    result = db.session.execute(query.execution_options(yield_per=FETCH_BATCH))
    yield from result


# --- checks across rows and files --------------------------------------------------------


def report_duplicates(spec: FileSpec, staged: sa.Table, problems: Problems) -> bool:
    """Each row whose natural key an earlier line of the file already had. Returns whether
    there was any."""
    keys = [staged.c[name] for name in spec.key]
    firsts = (
        sa.select(*keys, sa.func.min(staged.c.line).label("first"))
        .where(*(key.is_not(None) for key in keys))
        .group_by(*keys)
        .having(sa.func.count() > 1)
        .subquery()
    )
    query = (
        sa.select(staged.c.line, firsts.c.first)
        .join(firsts, sa.and_(*(staged.c[name] == firsts.c[name] for name in spec.key)))
        .where(staged.c.line > firsts.c.first)
        .order_by(staged.c.line)
    )
    column = "+".join(spec.key)
    found = False
    for line, first in _stream(query):
        reason = f"duplicate key, first on line {first}"
        problems.add(ImportProblem(spec.name, line, column, reason))
        found = True
    return found


def report_unknown(
    reference: Reference, source: sa.Table, target: sa.Table | None, problems: Problems
) -> None:
    """Each value of reference.column that names no row of the target file of this run
    (staged in target, when the run has that file) nor of the database."""
    value = source.c[reference.column]
    stored = reference.target.table
    lead = reference.target.key[0]
    conditions = [value.is_not(None), ~sa.exists().where(stored.c[lead] == value)]
    if target is not None:
        conditions.append(~sa.exists().where(target.c[lead] == value))
    query = sa.select(source.c.line).where(*conditions).order_by(source.c.line)
    for (line,) in _stream(query):
        problems.add(ImportProblem(reference.source.name, line, reference.column, reference.reason))


def report_programmes(
    contributions: sa.Table,
    memberships: sa.Table | None,
    memberships_have_duplicates: bool,
    problems: Problems,
) -> None:
    """A contribution row pays only for its card's programmes (DESIGN §4). Its card is the
    row of this run's memberships.csv when there is one (the first, should the KPJ be
    there twice), else the stored card."""
    stored = MEMBERSHIPS_TABLE
    row = contributions.c
    joined = contributions.outerjoin(stored, stored.c.kpj == row.kpj)
    segment: Any = stored.c.segment
    if memberships is not None:
        cards = _first_of_each_card(memberships) if memberships_have_duplicates else memberships
        joined = joined.outerjoin(cards, cards.c.kpj == row.kpj)
        segment = sa.case((cards.c.kpj.is_not(None), cards.c.segment), else_=stored.c.segment)
    paying_for_missing = sa.or_(
        *(
            sa.and_(segment == name, sa.or_(*(row[column] > 0 for column, _ in missing)))
            for name, missing in NOT_COVERED.items()
            if missing
        )
    )
    columns = sorted({column for missing in NOT_COVERED.values() for column, _ in missing})
    query = (
        sa.select(row.line, segment.label("segment"), *(row[column] for column in columns))
        .select_from(joined)
        .where(paying_for_missing)
        .order_by(row.line)
    )
    for found in _stream(query):
        amounts = found._mapping
        segment_name = amounts["segment"]
        for column, programme in NOT_COVERED[segment_name]:
            if amounts[column]:
                reason = f"must be 0 for segment {segment_name}, which has no {programme.value}"
                problems.add(ImportProblem("contributions.csv", found.line, column, reason))


def _first_of_each_card(memberships: sa.Table) -> sa.Subquery:
    firsts = (
        sa.select(sa.func.min(memberships.c.line).label("line"))
        .where(memberships.c.kpj.is_not(None))
        .group_by(memberships.c.kpj)
        .subquery()
    )
    return (
        sa.select(memberships.c.kpj, memberships.c.segment)
        .join(firsts, firsts.c.line == memberships.c.line)
        .subquery()
    )


# --- merging ---------------------------------------------------------------------------------


def _changed(spec: FileSpec, new: Mapping[str, Any]) -> sa.ColumnElement[bool]:
    """Whether the update would change the stored row: some value it sets differs."""
    stored = spec.table
    values = spec.update(stored, new)
    return sa.or_(*(stored.c[name].is_distinct_from(value) for name, value in values.items()))


def _non_key(spec: FileSpec, columns: Any) -> dict[str, Any]:
    return {name: columns[name] for name in spec.columns if name not in spec.key}


def _matches_stored(spec: FileSpec, staged: sa.Table) -> sa.ColumnElement[bool]:
    return sa.and_(*(spec.table.c[name] == staged.c[name] for name in spec.key))


def count_changes(spec: FileSpec, staged: sa.Table) -> FileChanges:
    """What merging the staged rows will do, counted before it does it."""
    stored = spec.table
    absent = stored.c[spec.key[0]].is_(None)
    changed = sa.and_(~absent, _changed(spec, _non_key(spec, staged.c)))
    query = sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((absent, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((changed, 1), else_=0)), 0),
    ).select_from(staged.outerjoin(stored, _matches_stored(spec, staged)))
    rows, inserted, updated = _execute(query).one()
    return FileChanges(int(inserted), int(updated), int(rows - inserted - updated))


def changed_keys(spec: FileSpec, staged: sa.Table, column: str) -> sa.Select[Any]:
    """The distinct values of `column` among staged rows that are new or differ from the
    stored ones: meaningful until the merge."""
    stored = spec.table
    differs = sa.or_(stored.c[spec.key[0]].is_(None), _changed(spec, _non_key(spec, staged.c)))
    return (
        sa.select(staged.c[column])
        .select_from(staged.outerjoin(stored, _matches_stored(spec, staged)))
        .where(differs)
        .distinct()
    )


def merge(spec: FileSpec, staged: sa.Table) -> None:
    """One set-based upsert of the staged rows into spec's table; a row already right is
    left untouched (no new row version, no trigger, no WAL)."""
    insert: Any
    if _dialect() == "postgresql":
        insert = postgresql.insert(spec.table)
    else:
        insert = sqlite.insert(spec.table)
    names = list(spec.columns)
    # WHERE: SQLite needs one to tell the upsert's ON from a join's.
    rows = sa.select(*(staged.c[name] for name in names)).where(sa.true())
    insert = insert.from_select(names, rows)
    excluded = _non_key(spec, insert.excluded)
    statement = insert.on_conflict_do_update(
        index_elements=list(spec.key),
        set_=dict(spec.update(spec.table, excluded)),
        where=_changed(spec, excluded),
    )
    _execute(statement)


def temporary_keys(name: str, column: sa.Column[Any], rows: sa.Select[Any]) -> sa.Table:
    """A temporary table of one column filled from a query, e.g. the cards whose
    contributions an import changed."""
    table = _temporary(name, sa.Column(column.name, column.type, primary_key=True))
    create(db.session.connection(), table)
    _execute(table.insert().from_select([column.name], rows))
    return table
