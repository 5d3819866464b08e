"""The registry import (DESIGN §4): validation, all-or-nothing, idempotent upserts."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests import factories
from tests.querycount import count_queries
from webapp.extensions import db
from webapp.models import Contribution, Employer, JhtRate, Membership, Person
from webapp.registry.services import ImportProblem, import_directory

NIK_A = "3171012301900001"
NIK_B = "3171016502850002"
KPJ_1 = "10000000001"  # PU, AKTIF, NIK_A
KPJ_2 = "10000000002"  # BPU, NONAKTIF, NIK_A
KPJ_3 = "10000000003"  # JAKON, AKTIF, NIK_B

# File name → its rows as dicts (the first row's keys are the header), or raw text.
Files = dict[str, Any]
REGISTRY_MODELS = (Person, Employer, JhtRate, Membership, Contribution)


def membership_row(kpj: str, **values: str) -> dict[str, str]:
    row = {
        "kpj": kpj,
        "segment": "PU",
        "nik": NIK_A,
        "full_name": "Budi Santoso",
        "birth_date": "1990-01-23",
        "mother_name": "Siti Aminah",
        "employer_npp": "NPP00001",
        "status": "AKTIF",
        "registered_on": "2015-01-05",
        "ended_on": "",
    }
    row.update(values)
    return row


def contribution_row(kpj: str, period: str, **values: str) -> dict[str, str]:
    row = {
        "kpj": kpj,
        "period": period,
        "wage": "5000000",
        "jht": "285000",
        "jp": "150000",
        "jkk": "27000",
        "jkm": "15000",
        "jkp": "23000",
        "paid_on": f"{period}-10",
    }
    row.update(values)
    return row


def valid_files() -> Files:
    return {
        "population.csv": [
            {
                "nik": NIK_A,
                "full_name": "Budi Santoso",
                "birth_place": "Jakarta",
                "birth_date": "1990-01-23",
                "gender": "L",
                "mother_name": "Siti Aminah",
            },
            {
                "nik": NIK_B,
                "full_name": "Dewi Lestari",
                "birth_place": "Bandung",
                "birth_date": "1985-02-25",
                "gender": "P",
                "mother_name": "Sri Wahyuni",
            },
        ],
        "employers.csv": [{"npp": "NPP00001", "name": "PT Maju Bersama", "risk_class": "2"}],
        "jht_rates.csv": [{"year": "2018", "rate": "6.26"}, {"year": "2019", "rate": "6.08"}],
        "memberships.csv": [
            membership_row(KPJ_1),
            membership_row(
                KPJ_2,
                segment="BPU",
                employer_npp="",
                status="NONAKTIF",
                registered_on="2010-03-01",
                ended_on="2014-12-31",
            ),
            membership_row(
                KPJ_3,
                segment="JAKON",
                nik=NIK_B,
                full_name="Dewi Lestari",
                birth_date="1985-02-25",
                mother_name="Sri Wahyuni",
            ),
        ],
        "contributions.csv": [
            contribution_row(KPJ_1, "2020-01"),
            contribution_row(KPJ_1, "2020-02", paid_on="2020-03-15"),
            contribution_row(KPJ_2, "2014-12", wage="2000000", jp="0", jkp="0"),
        ],
    }


def write_files(directory: Path, files: Files) -> Path:
    for name, content in files.items():
        path = directory / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
            continue
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(content[0]))
            writer.writeheader()
            writer.writerows(content)
    return directory


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Every registry row, read past the session's identity map."""
    tables = (model.__table__ for model in REGISTRY_MODELS)
    return {
        table.name: [
            tuple(row)
            for row in db.session.execute(sa.select(table).order_by(*table.primary_key))
        ]
        for table in tables
    }


def invoke_import(runner, directory: Path):
    return runner.invoke(args=["registry", "import", str(directory)])


def error_lines(result) -> list[str]:
    return result.stderr.splitlines()


# --- success -------------------------------------------------------------------------------


def test_full_import_writes_every_file(app, tmp_path):
    result = import_directory(write_files(tmp_path, valid_files()))

    assert result.ok, result.errors
    assert result.counts == {
        "population.csv": 2,
        "employers.csv": 1,
        "jht_rates.csv": 2,
        "memberships.csv": 3,
        "contributions.csv": 3,
    }
    assert all(changes.inserted == result.counts[name] for name, changes in result.changes.items())
    person = db.session.get(Person, NIK_B)
    assert (person.full_name, person.birth_date, person.gender) == (
        "Dewi Lestari",
        date(1985, 2, 25),
        "P",
    )
    assert db.session.get(Employer, "NPP00001").risk_class == 2
    assert db.session.get(JhtRate, 2018).rate == Decimal("6.26")
    card = db.session.get(Membership, KPJ_2)
    assert (card.segment, card.status, card.employer_npp) == ("BPU", "NONAKTIF", None)
    assert (card.registered_on, card.ended_on) == (date(2010, 3, 1), date(2014, 12, 31))
    assert card.account_id is None
    paid = db.session.get(Contribution, (KPJ_1, date(2020, 2, 1)))
    assert (paid.wage, paid.jht, paid.paid_on) == (5_000_000, 285_000, date(2020, 3, 15))


def test_cli_prints_a_summary_per_file_and_exits_0(runner, tmp_path):
    result = invoke_import(runner, write_files(tmp_path, valid_files()))

    assert result.exit_code == 0, result.output
    assert "population.csv: 2 rows read, 2 inserted, 0 updated, 0 unchanged" in result.stdout
    assert "contributions.csv: 3 rows read, 3 inserted" in result.stdout
    assert result.stderr == ""


def test_only_the_files_present_are_imported(app, tmp_path):
    files = valid_files()
    result = import_directory(write_files(tmp_path, {"jht_rates.csv": files["jht_rates.csv"]}))

    assert result.ok
    assert result.counts == {"jht_rates.csv": 2}
    assert snapshot()["population"] == []


def test_bom_crlf_column_order_and_padding_are_accepted(app, tmp_path):
    content = "\ufeffrate , year\r\n 7.19,2016\r\n\r\n5.59 ,2020\r\n"
    (tmp_path / "jht_rates.csv").write_text(content, encoding="utf-8", newline="")

    result = import_directory(tmp_path)

    assert result.ok, result.errors
    assert db.session.get(JhtRate, 2016).rate == Decimal("7.19")
    assert db.session.get(JhtRate, 2020).rate == Decimal("5.59")


def test_references_may_point_at_rows_already_in_the_database(app, tmp_path):
    owner = factories.person(nik=NIK_A)
    card = factories.membership(owner, kpj=KPJ_1, employer_npp=factories.employer().npp)
    db.session.commit()
    files: Files = {
        "memberships.csv": [membership_row(KPJ_3, employer_npp=card.employer_npp)],
        "contributions.csv": [contribution_row(KPJ_1, "2021-05")],
    }

    result = import_directory(write_files(tmp_path, files))

    assert result.ok, result.errors
    assert db.session.get(Contribution, (KPJ_1, date(2021, 5, 1))) is not None


def test_other_csv_files_are_ignored_and_named(runner, tmp_path):
    write_files(tmp_path, {"jht_rates.csv": valid_files()["jht_rates.csv"]})
    (tmp_path / "contribution.csv").write_text("typo,in,name\n", encoding="utf-8")

    result = invoke_import(runner, tmp_path)

    assert result.exit_code == 0
    assert "contribution.csv: ignored, not a registry file" in result.stderr


def test_a_registry_file_named_in_another_case_is_reported_and_nothing_imports(runner, tmp_path):
    files = valid_files()
    files["Population.CSV"] = files.pop("population.csv")
    write_files(tmp_path, files)
    (tmp_path / "NOTES.CSV").write_text("other,file\n", encoding="utf-8")

    result = invoke_import(runner, tmp_path)

    assert result.exit_code != 0
    assert "Population.CSV:0: -: registry files are named in lower case: rename it to population.csv" in result.stderr
    assert "NOTES.CSV: ignored, not a registry file" in result.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


# --- idempotent upserts ----------------------------------------------------------------------


def test_reimport_changes_nothing(app, tmp_path):
    directory = write_files(tmp_path, valid_files())
    assert import_directory(directory).ok
    before = snapshot()

    result = import_directory(directory)

    assert result.ok
    assert snapshot() == before
    assert all(
        (changes.inserted, changes.updated, changes.unchanged) == (0, 0, result.counts[name])
        for name, changes in result.changes.items()
    )


def test_reimport_with_a_changed_value_updates_that_row(app, tmp_path):
    assert import_directory(write_files(tmp_path, valid_files())).ok
    files = valid_files()
    files["contributions.csv"][1]["wage"] = "5500000"
    files["employers.csv"][0]["risk_class"] = "4"
    files["jht_rates.csv"].append({"year": "2020", "rate": "5.59"})

    result = import_directory(write_files(tmp_path, files))

    assert result.ok
    contributions = result.changes["contributions.csv"]
    assert (contributions.updated, contributions.unchanged) == (1, 2)
    assert result.changes["jht_rates.csv"].inserted == 1
    assert db.session.get(Contribution, (KPJ_1, date(2020, 2, 1))).wage == 5_500_000
    assert db.session.get(Contribution, (KPJ_1, date(2020, 1, 1))).wage == 5_000_000
    assert db.session.get(Employer, "NPP00001").risk_class == 4


def test_nik_change_unlinks_the_card_from_its_account(app, tmp_path):
    owner = factories.person(nik=NIK_A)
    moved = factories.membership(owner, kpj=KPJ_1)
    kept = factories.membership(owner, kpj=KPJ_2, segment="BPU", employer_npp=None)
    factories.account(owner, moved, kept)
    linked_at = datetime(2024, 5, 1, 8, 30)
    moved.linked_at = kept.linked_at = linked_at
    db.session.commit()
    account_id, kept_ref = kept.account_id, kept.link_ref
    files: Files = {
        "employers.csv": [{"npp": moved.employer_npp, "name": "PT Baru", "risk_class": "1"}],
        "memberships.csv": [
            membership_row(KPJ_1, nik=NIK_B, employer_npp=moved.employer_npp),
            membership_row(KPJ_2, segment="BPU", employer_npp="", full_name="Budi Santosa"),
        ],
    }

    result = import_directory(write_files(tmp_path, files))

    assert result.ok, result.errors
    moved, kept = db.session.get(Membership, KPJ_1), db.session.get(Membership, KPJ_2)
    assert (moved.nik, moved.account_id, moved.linked_at, moved.link_ref) == (
        NIK_B, None, None, None
    )
    assert (kept.full_name, kept.account_id, kept.linked_at, kept.link_ref) == (
        "Budi Santosa",
        account_id,
        linked_at,
        kept_ref,
    )


@pytest.mark.parametrize("closed", ["DIKLAIM", "DIGABUNG"])
@pytest.mark.parametrize("imported", ["AKTIF", "NONAKTIF"])
def test_a_card_closed_by_the_portal_is_not_reopened(app, tmp_path, closed, imported):
    owner = factories.person(nik=NIK_A)
    factories.membership(owner, kpj=KPJ_2, segment="BPU", employer_npp=None, status=closed)
    db.session.commit()
    ended_on = "" if imported == "AKTIF" else "2020-06-30"
    row = membership_row(
        KPJ_2, segment="BPU", employer_npp="", status=imported, ended_on=ended_on,
        mother_name="Siti Aminah Binti Ahmad",
    )
    directory = write_files(tmp_path, {"memberships.csv": [row]})

    first = import_directory(directory)
    again = import_directory(directory)

    assert first.ok and first.changes["memberships.csv"].updated == 1
    card = db.session.get(Membership, KPJ_2)
    assert (card.status, card.mother_name) == (closed, "Siti Aminah Binti Ahmad")
    assert again.changes["memberships.csv"].unchanged == 1


# --- errors: reported as file:line: column:, nothing written ---------------------------------


def set_cell(name: str, index: int, **values: str) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        files[name][index].update(values)

    return mutate


def replace_file(name: str, content: str) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        files[name] = content

    return mutate


def add_column(files: Files) -> None:
    for row in files["employers.csv"]:
        row["extra"] = "x"


def drop_column(files: Files) -> None:
    for row in files["population.csv"]:
        del row["gender"]


def duplicate_membership(files: Files) -> None:
    files["memberships.csv"].append(dict(files["memberships.csv"][0]))


def duplicate_contribution(files: Files) -> None:
    files["contributions.csv"].insert(0, contribution_row(KPJ_2, "2014-12"))


def add_row(name: str, row: dict[str, str]) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        files[name].append(row)

    return mutate


def both(*mutations: Callable[[Files], None]) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        for mutation in mutations:
            mutation(files)

    return mutate


def jakon_month(**values: str) -> Callable[[Files], None]:
    """A project month of the JAKON card KPJ_3 (JKK and JKM only), as line 5."""
    amounts = {"jht": "0", "jp": "0", "jkp": "0"} | values
    return add_row("contributions.csv", contribution_row(KPJ_3, "2020-01", **amounts))


def case(name: str, mutate: Callable[[Files], None], expected: str):
    return pytest.param(mutate, expected, id=name)


ERROR_CASES = [
    case("nik 15 digits", set_cell("population.csv", 0, nik=NIK_A[:-1]), "population.csv:2: nik: "),
    case(
        "nik letters",
        set_cell("memberships.csv", 1, nik="31710123019000AB"),
        "memberships.csv:3: nik: must be exactly 16 digits",
    ),
    case(
        "kpj 10 digits",
        set_cell("memberships.csv", 0, kpj="1000000001"),
        "memberships.csv:2: kpj: must be exactly 11 digits",
    ),
    case(
        "contribution kpj letters",
        set_cell("contributions.csv", 1, kpj="1000000000A"),
        "contributions.csv:3: kpj: must be exactly 11 digits",
    ),
    case(
        "no such date",
        set_cell("population.csv", 1, birth_date="1985-02-30"),
        "population.csv:3: birth_date: no such date",
    ),
    case(
        "not iso date",
        set_cell("population.csv", 1, birth_date="25-02-1985"),
        "population.csv:3: birth_date: must be a date YYYY-MM-DD",
    ),
    case(
        "bad period",
        set_cell("contributions.csv", 0, period="2020-13"),
        "contributions.csv:2: period: ",
    ),
    case(
        "money decimal",
        set_cell("contributions.csv", 0, wage="1.5"),
        "contributions.csv:2: wage: ",
    ),
    case(
        "money separator",
        set_cell("contributions.csv", 0, jht="1,000"),
        "contributions.csv:2: jht: ",
    ),
    case("money negative", set_cell("contributions.csv", 1, jp="-3"), "contributions.csv:3: jp: "),
    case(
        "money exponent",
        set_cell("contributions.csv", 2, jkm="1e3"),
        "contributions.csv:4: jkm: ",
    ),
    case("money empty", set_cell("contributions.csv", 2, jkp=""), "contributions.csv:4: jkp: "),
    case("unknown column", add_column, "employers.csv:1: extra: unknown column"),
    case("missing column", drop_column, "population.csv:1: gender: missing column"),
    case(
        "duplicate column",
        replace_file("employers.csv", "npp,name,risk_class,name\nNPP00001,PT A,2,PT B\n"),
        "employers.csv:1: name: duplicate column",
    ),
    case("empty file", replace_file("jht_rates.csv", ""), "jht_rates.csv:1: -: header row missing"),
    case(
        "no header",
        replace_file("jht_rates.csv", "2018,6.26\n"),
        "jht_rates.csv:1: -: header row missing",
    ),
    case(
        "field count",
        replace_file("employers.csv", "npp,name,risk_class\nNPP00001,PT Maju,2,9\n"),
        "employers.csv:2: -: 4 fields but the header has 3",
    ),
    case(
        "duplicate kpj",
        duplicate_membership,
        "memberships.csv:5: kpj: duplicate key, first on line 2",
    ),
    case(
        "duplicate kpj+period",
        duplicate_contribution,
        "contributions.csv:5: kpj+period: duplicate key, first on line 2",
    ),
    case(
        "nonaktif without ended_on",
        set_cell("memberships.csv", 1, ended_on=""),
        "memberships.csv:3: ended_on: required when status is NONAKTIF",
    ),
    case(
        "aktif with ended_on",
        set_cell("memberships.csv", 0, ended_on="2021-01-01"),
        "memberships.csv:2: ended_on: must be empty when status is AKTIF",
    ),
    case(
        "ended before registered",
        set_cell("memberships.csv", 1, ended_on="2009-12-31"),
        "memberships.csv:3: ended_on: before registered_on",
    ),
    case(
        "status diklaim",
        set_cell("memberships.csv", 0, status="DIKLAIM"),
        "memberships.csv:2: status: ",
    ),
    case("segment", set_cell("memberships.csv", 0, segment="PNS"), "memberships.csv:2: segment: "),
    case(
        "pu without employer",
        set_cell("memberships.csv", 0, employer_npp=""),
        "memberships.csv:2: employer_npp: required for segment PU",
    ),
    case(
        "jakon without employer",
        set_cell("memberships.csv", 2, employer_npp=""),
        "memberships.csv:4: employer_npp: required for segment JAKON",
    ),
    case(
        "unknown employer",
        set_cell("memberships.csv", 0, employer_npp="NPP99999"),
        "memberships.csv:2: employer_npp: unknown employer",
    ),
    case(
        "bpu unknown employer",
        set_cell("memberships.csv", 1, employer_npp="NPP99999"),
        "memberships.csv:3: employer_npp: unknown employer",
    ),
    case(
        "npp too long",
        set_cell("memberships.csv", 0, employer_npp="N" * 21),
        "memberships.csv:2: employer_npp: longer than 20 characters",
    ),
    case(
        "contribution unknown kpj",
        set_cell("contributions.csv", 0, kpj="19999999999"),
        "contributions.csv:2: kpj: unknown KPJ",
    ),
    case(
        "gender X",
        set_cell("population.csv", 0, gender="X"),
        "population.csv:2: gender: must be L or P",
    ),
    case(
        "risk class 6",
        set_cell("employers.csv", 0, risk_class="6"),
        "employers.csv:2: risk_class: ",
    ),
    case("rate abc", set_cell("jht_rates.csv", 0, rate="abc"), "jht_rates.csv:2: rate: "),
    case("rate 3 decimals", set_cell("jht_rates.csv", 1, rate="6.085"), "jht_rates.csv:3: rate: "),
    case("rate 100", set_cell("jht_rates.csv", 1, rate="100"), "jht_rates.csv:3: rate: "),
    case("year 2 digits", set_cell("jht_rates.csv", 0, year="18"), "jht_rates.csv:2: year: "),
    case(
        "blank name",
        set_cell("population.csv", 0, full_name="   "),
        "population.csv:2: full_name: must not be empty",
    ),
    case(
        "long name",
        set_cell("memberships.csv", 0, mother_name="A" * 101),
        "memberships.csv:2: mother_name: longer than 100 characters",
    ),
    case(
        "jakon with jht",
        jakon_month(jht="285000"),
        "contributions.csv:5: jht: must be 0 for segment JAKON, which has no JHT",
    ),
    case(
        "jakon with jp",
        jakon_month(jp="150000"),
        "contributions.csv:5: jp: must be 0 for segment JAKON, which has no JP",
    ),
    case(
        "jakon with jkp",
        jakon_month(jkp="23000"),
        "contributions.csv:5: jkp: must be 0 for segment JAKON, which has no JKP",
    ),
    case(
        "bpu with jp",
        set_cell("contributions.csv", 2, jp="60000"),
        "contributions.csv:4: jp: must be 0 for segment BPU, which has no JP",
    ),
    case(
        "pmi with jp",
        both(
            set_cell("memberships.csv", 1, segment="PMI"), set_cell("contributions.csv", 2, jp="1")
        ),
        "contributions.csv:4: jp: must be 0 for segment PMI, which has no JP",
    ),
    case(
        "paid before period",
        set_cell("contributions.csv", 0, paid_on="2019-12-31"),
        "contributions.csv:2: paid_on: before the start of the period",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), ERROR_CASES)
def test_an_invalid_file_is_reported_and_nothing_changes(runner, tmp_path, mutate, expected):
    factories.employer(npp="NPP00777", name="PT Lama")
    db.session.commit()
    before = snapshot()
    files = valid_files()
    mutate(files)

    result = invoke_import(runner, write_files(tmp_path, files))

    assert result.exit_code == 1
    assert any(line.startswith(expected) for line in error_lines(result)), result.stderr
    assert "nothing was imported" in result.stderr
    assert result.stdout == ""
    assert snapshot() == before


def test_a_jakon_card_imports_its_project_months_of_jkk_and_jkm(app, tmp_path):
    files = valid_files()
    jakon_month()(files)

    result = import_directory(write_files(tmp_path, files))

    assert result.ok, result.errors
    paid = db.session.get(Contribution, (KPJ_3, date(2020, 1, 1)))
    assert (paid.jht, paid.jp, paid.jkk, paid.jkm, paid.jkp) == (0, 0, 27_000, 15_000, 0)


def stored_cards() -> dict[str, Membership]:
    """KPJ_1 (PU) and KPJ_3 (JAKON) in the database, with no file of this run naming them."""
    owner = factories.person(nik=NIK_A)
    cards = {
        segment: factories.membership(owner, kpj=kpj, segment=segment)
        for kpj, segment in ((KPJ_1, "PU"), (KPJ_3, "JAKON"))
    }
    db.session.commit()
    return cards


def test_a_stored_cards_segment_decides_its_programmes(app, tmp_path):
    stored_cards()
    before = snapshot()
    files: Files = {
        "contributions.csv": [
            contribution_row(KPJ_1, "2021-05"),
            contribution_row(KPJ_3, "2021-05", jkp="0"),
            contribution_row(KPJ_3, "2021-06", jht="0", jp="0", jkp="0"),
        ]
    }

    result = import_directory(write_files(tmp_path, files))

    assert [str(problem) for problem in result.errors] == [
        "contributions.csv:3: jht: must be 0 for segment JAKON, which has no JHT",
        "contributions.csv:3: jp: must be 0 for segment JAKON, which has no JP",
    ]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("stored", "imported", "ok"), [("PU", "JAKON", False), ("JAKON", "PU", True)]
)
def test_the_segment_in_the_same_import_wins_over_the_stored_one(
    app, tmp_path, stored, imported, ok
):
    card = stored_cards()[stored]
    files: Files = {
        "memberships.csv": [
            membership_row(card.kpj, segment=imported, employer_npp=card.employer_npp)
        ],
        "contributions.csv": [contribution_row(card.kpj, "2021-05")],
    }

    result = import_directory(write_files(tmp_path, files))

    assert result.ok is ok, result.errors
    assert db.session.get(Membership, card.kpj).segment == (imported if ok else stored)


def import_queries(tmp_path: Path, months: int) -> int:
    """Statements sent by an import of `months` contributions on each stored card."""
    jakon = {"jht": "0", "jp": "0", "jkp": "0"}
    rows = [
        contribution_row(kpj, f"2021-{month:02d}", **(jakon if kpj == KPJ_3 else {}))
        for kpj in (KPJ_1, KPJ_3)
        for month in range(1, months + 1)
    ]
    directory = tmp_path / str(months)
    directory.mkdir()
    write_files(directory, {"contributions.csv": rows})
    with count_queries() as queries:
        assert import_directory(directory).ok
    return queries.count


def test_the_programme_check_adds_no_query_per_row(app, tmp_path):
    stored_cards()

    # Both imports insert every row (different months), so only the row count differs.
    assert import_queries(tmp_path, 1) == import_queries(tmp_path, 12)


def test_an_error_in_the_last_file_means_nothing_from_earlier_files_is_written(app, tmp_path):
    owner = factories.person(nik=NIK_A, full_name="Nama Lama")
    db.session.commit()
    before = snapshot()
    files = valid_files()
    files["contributions.csv"][2]["wage"] = "1.5"

    result = import_directory(write_files(tmp_path, files))

    assert [str(problem) for problem in result.errors] == [
        "contributions.csv:4: wage: "
        "must be whole rupiah (digits only, no separators, decimals or sign)"
    ]
    assert result.changes == {}
    assert snapshot() == before
    assert db.session.get(Person, owner.nik).full_name == "Nama Lama"


def test_errors_in_several_files_are_all_reported(runner, tmp_path):
    files = valid_files()
    set_cell("population.csv", 0, nik="123")(files)
    set_cell("population.csv", 1, gender="W", birth_date="1985-13-01")(files)
    set_cell("employers.csv", 0, risk_class="0")(files)
    set_cell("memberships.csv", 2, employer_npp="NPP99999")(files)
    set_cell("contributions.csv", 2, jht="-1", kpj="19999999999")(files)

    result = invoke_import(runner, write_files(tmp_path, files))

    assert result.exit_code == 1
    located = [": ".join(line.split(": ")[:2]) for line in error_lines(result)[:-1]]
    assert located == [
        "population.csv:2: nik",
        "population.csv:3: birth_date",
        "population.csv:3: gender",
        "employers.csv:2: risk_class",
        "memberships.csv:4: employer_npp",
        "contributions.csv:4: jht",
        "contributions.csv:4: kpj",
    ]
    assert error_lines(result)[-1] == "7 error(s): nothing was imported."


def test_line_numbers_are_physical_lines(app, tmp_path):
    content = (
        "npp,name,risk_class\n"
        'NPP00001,"PT Maju\nBersama",2\n'  # a quoted cell spanning lines 2 and 3
        "\n"  # a blank line 4
        "NPP00002,PT Kelapa,9\n"
    )
    (tmp_path / "employers.csv").write_text(content, encoding="utf-8")

    result = import_directory(tmp_path)

    assert [str(problem) for problem in result.errors] == [
        "employers.csv:2: name: contains control characters",
        "employers.csv:5: risk_class: must be a whole number from 1 to 5",
    ]


def test_a_file_that_is_not_utf8_is_rejected(app, tmp_path):
    (tmp_path / "employers.csv").write_bytes(
        b"npp,name,risk_class\nNPP00001,PT Maju,2\nNPP00002,PT K\xe9lapa,1\n"
    )

    result = import_directory(tmp_path)

    assert [str(problem) for problem in result.errors] == ["employers.csv:3: -: not valid UTF-8"]


def test_a_directory_without_registry_files_is_an_error(runner, tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")

    result = invoke_import(runner, tmp_path)

    assert result.exit_code == 1
    assert f"{tmp_path}:0: -: no registry files" in result.stderr


def test_a_missing_directory_is_a_usage_error(runner, tmp_path):
    result = invoke_import(runner, tmp_path / "absent")

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_the_printed_list_is_capped(runner, tmp_path):
    rates = [{"year": str(1500 + n), "rate": "1.00"} for n in range(250)]

    result = invoke_import(runner, write_files(tmp_path, {"jht_rates.csv": rates}))

    lines = error_lines(result)
    assert result.exit_code == 1
    assert len(lines) == 202
    assert lines[199].startswith("jht_rates.csv:201: year: ")
    assert lines[200:] == ["… and 50 more", "250 error(s): nothing was imported."]


def test_values_are_not_echoed_in_reasons(app, tmp_path):
    files = valid_files()
    set_cell("population.csv", 0, nik="31710123019000X1", mother_name="\tRahasia\x07")(files)

    result = import_directory(write_files(tmp_path, files))

    assert len(result.errors) == 2
    assert not any("31710123019000X1" in str(p) or "Rahasia" in str(p) for p in result.errors)


def test_problem_reads_as_file_line_column_reason():
    problem = ImportProblem("population.csv", 7, "nik", "must be exactly 16 digits")

    assert str(problem) == "population.csv:7: nik: must be exactly 16 digits"


# --- statistics ------------------------------------------------------------------------------


def test_an_import_leaves_the_planner_statistics_of_what_it_changed(app, tmp_path):
    postgres = db.engine.dialect.name == "postgresql"
    # Statistics outlive the emptying of tables between tests: only fresh ones count.
    if postgres:
        started = db.session.scalar(sa.text("SELECT clock_timestamp()"))
    elif db.session.scalar(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        db.session.execute(sa.text("DELETE FROM sqlite_stat1"))
    db.session.commit()

    result = import_directory(write_files(tmp_path, valid_files()))

    assert result.ok, result.errors
    if postgres:
        analyzed = set(db.session.scalars(
            sa.text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze >= :started"),
            {"started": started},
        ))
    else:
        analyzed = set(db.session.scalars(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1")))
    assert {"population", "employers", "memberships", "contributions", "jht_rates"} <= analyzed
