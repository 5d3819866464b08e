from datetime import date

import pytest

from tests import factories
from webapp.identity import (
    biodata_differences,
    edit_distance,
    nik_birth_date,
    nik_gender,
    normalise_name,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Budi Santoso", "BUDI SANTOSO"),
        ("  muh.  rizky   pratama ", "MUH RIZKY PRATAMA"),
        ("Siti Nur'aini", "SITI NURAINI"),
        ("I Gusti Ngurah-Rai", "I GUSTI NGURAHRAI"),
        ("ANDI 2", "ANDI"),
    ],
)
def test_names_compare_after_normalising(given, expected):
    assert normalise_name(given) == expected


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("NURHAYATI", "NURHAYTI", 1), ("SITI", "SITI", 0), ("BUDI", "BUDU", 1), ("ANI", "ANITA", 2)],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance


def test_near_miss_is_labelled_but_never_accepted(app):
    person = factories.person(mother_name="NURHAYATI")
    differences = biodata_differences(
        full_name="budi  santoso.",
        birth_date=person.birth_date,
        mother_name="Nurhayti",
        person=person,
    )
    assert [(d.field, d.likely_typo) for d in differences] == [("mother_name", True)]


def test_every_differing_field_is_named_in_form_order(app):
    person = factories.person()
    differences = biodata_differences(
        full_name="Joko Widodo",
        birth_date=date(1991, 1, 1),
        mother_name="Siti Aminah",
        person=person,
    )
    assert [(d.field, d.likely_typo) for d in differences] == [
        ("full_name", False),
        ("birth_date", False),
    ]


@pytest.mark.parametrize(
    ("nik", "birth", "gender"),
    [
        ("3171012303850001", date(1985, 3, 23), "L"),
        ("3273014507900002", date(1990, 7, 5), "P"),  # women: day + 40
        ("3171010101050003", date(2005, 1, 1), "L"),
    ],
)
def test_nik_carries_birth_date_and_gender(nik, birth, gender):
    assert nik_birth_date(nik) == birth
    assert nik_gender(nik) == gender


def test_nik_with_impossible_date_has_no_birth_date():
    assert nik_birth_date("3171013113850001") is None
