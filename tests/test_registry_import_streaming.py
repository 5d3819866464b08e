"""The registry import streams (issue 10): files are read a row at a time into staging
tables, checked there in SQL and merged with one statement per file, all or nothing.
Memory itself is measured by bench/import_bench.py, not here."""

from __future__ import annotations

import contextlib
import inspect
import random
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from bench import registry_gen
from tests import factories
from tests.querycount import count_queries
from tests.test_registry_import import (
    KPJ_1,
    KPJ_3,
    contribution_row,
    invoke_import,
    snapshot,
    valid_files,
    write_files,
)
from webapp.extensions import db
from webapp.models import Contribution, Membership, Person
from webapp.registry import reading, staging
from webapp.registry.formats import FILE_NAMES, POPULATION
from webapp.registry.reading import FileReading, ImportProblem, Problems, read_rows
from webapp.registry.services import import_directory


POOLED = 3


def population_file(path: Path, people: int) -> Path:
    rows = (
        f"{3171010101900000 + n},Nama {n},Jakarta,1990-01-01,L,Ibu {n}\n" for n in range(people)
    )
    path.write_text("nik,full_name,birth_place,birth_date,gender,mother_name\n" + "".join(rows))
    return path


def staging_tables() -> set[str]:
    """On PostgreSQL the unlogged tables the loading thread fills (temporary ones go with
    their transaction); on SQLite the temporary tables of every pooled connection, which
    outlive a transaction when created outside it."""
    if db.engine.dialect.name == "postgresql":
        query = "SELECT tablename FROM pg_tables WHERE tablename LIKE 'import%'"
        return set(db.session.scalars(sa.text(query)))
    query = sa.text("SELECT name FROM sqlite_temp_master WHERE name LIKE 'import%'")
    with contextlib.ExitStack() as stack:
        connections = [stack.enter_context(db.engine.connect()) for _ in range(POOLED)]
        return {name for connection in connections for name in connection.scalars(query)}


# --- reading --------------------------------------------------------------------------------


def test_the_reader_yields_rows_as_it_reads_them(tmp_path):
    path = population_file(tmp_path / "population.csv", 5_000)
    file_reading = FileReading(POPULATION)

    rows = read_rows(path, file_reading, Problems())

    assert inspect.isgenerator(rows)
    line, nik, *_ = next(rows)
    assert (line, nik, file_reading.rows) == (2, "3171010101900000", 1), "one row read, not 5,000"
    assert sum(1 for _ in rows) == 4_999 and file_reading.rows == 5_000


def test_a_row_with_errors_still_stages_the_cells_that_parsed(tmp_path):
    path = tmp_path / "population.csv"
    path.write_text("nik,full_name,birth_place,birth_date,gender,mother_name\n"
                    "3171010101900000,Budi,Jakarta,1990-02-30,X,Siti\n")
    problems = Problems()

    (row,) = read_rows(path, FileReading(POPULATION), problems)

    assert row == (2, "3171010101900000", "Budi", "Jakarta", None, None, "Siti")
    assert [p.column for p in problems.first()] == ["birth_date", "gender"]


def test_problems_keep_the_first_in_reading_order_and_count_them_all():
    found = [
        ImportProblem(name, line, "x", "reason") for name in FILE_NAMES for line in range(1, 800)
    ]
    shuffled = random.Random(4).sample(found, len(found))
    problems = Problems(keep=100)

    for problem in shuffled:
        problems.add(problem)

    assert len(problems._kept) < 2 * 100, "never more than twice what it keeps"
    assert problems.count == len(found)
    assert problems.first() == found[:100]


def test_a_wholly_wrong_file_reports_the_first_errors_and_counts_the_rest(runner, tmp_path):
    rates = "year,rate\n" + "".join(f"y{n},1.00\n" for n in range(2_500))
    (tmp_path / "jht_rates.csv").write_text(rates)

    result = import_directory(tmp_path)
    printed = invoke_import(runner, tmp_path).stderr.splitlines()

    assert (result.error_count, len(result.errors)) == (2_500, reading.KEPT_PROBLEMS)
    assert [p.line for p in result.errors] == list(range(2, reading.KEPT_PROBLEMS + 2))
    assert printed[-2:] == ["… and 2300 more", "2500 error(s): nothing was imported."]


# --- staging and merging ----------------------------------------------------------------------


def test_sqlite_stages_in_bounded_batches_and_postgresql_through_copy(app, tmp_path, monkeypatch):
    population_file(tmp_path / "population.csv", 450)
    monkeypatch.setattr(staging, "WRITE_BATCH", 100)
    batches: list[int] = []
    copies: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO import_"):
            batches.append(len(parameters) if executemany else 1)

    if db.engine.dialect.name == "postgresql":
        import psycopg

        real_copy = psycopg.Cursor.copy

        def copy(cursor, statement, *args, **kwargs):
            copies.append(str(statement))
            return real_copy(cursor, statement, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "copy", copy)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = import_directory(tmp_path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert result.ok and result.changes["population.csv"].inserted == 450
    if db.engine.dialect.name == "postgresql":
        assert len(copies) == 1 and re.fullmatch(
            r"COPY import_population_\d+_[0-9a-f]{8} \(line, nik, full_name, birth_place, "
            r"birth_date, gender, mother_name\) FROM STDIN",
            copies[0],
        ), copies
        assert batches == []
    else:
        assert batches == [100, 100, 100, 100, 50]


def test_each_file_merges_with_one_statement_whatever_its_size(app, tmp_path):
    def writes(people: int) -> list[str]:
        directory = tmp_path / str(people)
        directory.mkdir()
        population_file(directory / "population.csv", people)
        with count_queries() as queries:
            assert import_directory(directory).ok
        return [s for s in queries.statements if s.lstrip().startswith("INSERT INTO population")]

    assert len(writes(10)) == 1
    assert len(writes(1_000)) == 1


def test_a_failure_while_merging_the_last_file_undoes_the_earlier_ones(app, tmp_path, monkeypatch):
    factories.person(nik="3171012301900001", full_name="Nama Lama")
    db.session.commit()
    before = snapshot()
    real_merge = staging.merge

    def merge(spec, staged):
        if spec.name == "contributions.csv":
            raise sa.exc.OperationalError("INSERT", {}, Exception("the server went away"))
        real_merge(spec, staged)

    monkeypatch.setattr(staging, "merge", merge)
    directory = write_files(tmp_path, valid_files())

    with pytest.raises(sa.exc.OperationalError):
        import_directory(directory)

    assert snapshot() == before
    monkeypatch.setattr(staging, "merge", real_merge)
    assert import_directory(directory).ok, "nothing of the failed run is left in the way"
    assert db.session.get(Person, "3171012301900001").full_name == "Budi Santoso"


@pytest.mark.parametrize(
    ("last_file", "expected"),
    [
        ([contribution_row(KPJ_1, "2020-01"), contribution_row(KPJ_1, "2020-01")],
         "contributions.csv:3: kpj+period: duplicate key, first on line 2"),
        ([contribution_row("19999999999", "2020-01")], "contributions.csv:2: kpj: unknown KPJ"),
        ([contribution_row(KPJ_3, "2020-01", jkp="0")],
         "contributions.csv:2: jht: must be 0 for segment JAKON"),
    ],
)
def test_an_error_found_in_sql_in_the_last_file_writes_nothing(app, tmp_path, last_file, expected):
    files = valid_files()
    files["contributions.csv"] = last_file

    result = import_directory(write_files(tmp_path, files))

    assert str(result.errors[0]).startswith(expected), result.errors
    assert all(not rows for rows in snapshot().values())


def test_no_staging_table_outlives_an_import(app, tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    write_files(good, valid_files())
    files = valid_files()
    files["contributions.csv"][0]["wage"] = "x"
    write_files(bad, files)

    with contextlib.ExitStack() as stack:  # a pool of several connections, as in a server
        for _ in range(POOLED):
            stack.enter_context(db.engine.connect())
    for directory in (good, bad, good, bad):
        assert import_directory(directory).ok is (directory == good)
        db.session.remove()  # the next run may get another pooled connection

    assert staging_tables() == set()


@pytest.mark.postgres_only
def test_the_tables_of_an_import_killed_outright_go_with_the_next_import(app, tmp_path):
    """A killed import never reaches close(): its unlogged tables stay until the next import
    sees that their connection's server process is gone. A running import's tables stay."""
    live_pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    running = set(db.session.execute(sa.text("SELECT pid FROM pg_stat_activity")).scalars())
    dead_pid = next(pid for pid in range(4_000_000, 5_000_000) if pid not in running)
    dead, alive = f"import_contributions_{dead_pid}_0badc0de", f"import_memberships_{live_pid}_00c0ffee"
    for name in (dead, alive):
        db.session.execute(sa.text(f"CREATE UNLOGGED TABLE {name} (line integer)"))
    db.session.commit()
    write_files(tmp_path, valid_files())
    try:
        assert import_directory(tmp_path).ok
        assert staging_tables() == {alive}
    finally:
        db.session.execute(sa.text(f"DROP TABLE IF EXISTS {alive}, {dead}"))
        db.session.commit()


def test_the_cards_whose_contributions_changed_are_counted(app, runner, tmp_path):
    directory = write_files(tmp_path, valid_files())
    assert import_directory(directory).ok
    files = valid_files()
    files["contributions.csv"][1]["jht"] = "300000"  # KPJ_1, 2020-02
    files["contributions.csv"].append(contribution_row(KPJ_1, "2020-03"))

    result = invoke_import(runner, write_files(directory, files))

    assert "contributions: 1 cards with new or changed contributions" in result.stdout
    assert db.session.get(Contribution, (KPJ_1, date(2020, 2, 1))).jht == 300_000
    assert import_directory(directory).cards_with_new_contributions == 0


def test_a_closed_card_counts_as_unchanged_when_only_its_status_differs(app, tmp_path):
    files = valid_files()
    assert import_directory(write_files(tmp_path, files)).ok
    db.session.get(Membership, KPJ_1).status = "DIKLAIM"
    db.session.commit()

    again = import_directory(tmp_path)

    assert again.changes["memberships.csv"].updated == 0
    assert db.session.get(Membership, KPJ_1).status == "DIKLAIM"


# --- the synthetic registry of the benchmarks ---------------------------------------------------


def test_the_generated_registry_is_deterministic_imports_cleanly_and_person_finds_anyone(
    app, tmp_path
):
    first = registry_gen.generate(tmp_path / "a", 250, seed=7)
    registry_gen.generate(tmp_path / "b", 250, seed=7)
    other = registry_gen.generate(tmp_path / "c", 250, seed=8)

    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    population = [(tmp_path / run / "population.csv").read_bytes() for run in ("a", "c")]
    assert population[0] != population[1], "another seed, other people"
    assert first["population.csv"] == 250 and 400 <= first["memberships.csv"] <= 600
    assert other["population.csv"] == 250
    result = import_directory(tmp_path / "a")
    assert result.ok, result.errors[:5]
    assert result.counts == first
    someone = registry_gen.person(123, 250, seed=7)
    stored = db.session.get(Person, someone.nik)
    assert (stored.full_name, stored.birth_date, stored.mother_name) == (
        someone.full_name, someone.birth_date, someone.mother_name
    )
    cards = db.session.scalars(sa.select(Membership.kpj).where(Membership.nik == someone.nik))
    assert sorted(cards) == someone.kpjs
    sampled = registry_gen.person(registry_gen.CONTRIBUTION_SAMPLE, 250, seed=7)
    months = db.session.scalar(
        sa.select(sa.func.count()).where(Contribution.kpj == sampled.kpjs[-1])
    )
    assert months == 12
