"""Identity matching between a KPJ's biodata and the population record (DESIGN §2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from webapp.models import Membership, Person

# ASCII digits only, matched whole (use fullmatch): \d would accept other scripts' digits.
NIK_PATTERN = re.compile(r"[0-9]{16}")
KPJ_PATTERN = re.compile(r"[0-9]{11}")
_NOT_LETTER = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r"\s+")

FIELD_LABELS = {
    "full_name": "Nama Lengkap",
    "birth_date": "Tanggal Lahir",
    "mother_name": "Nama Ibu Kandung",
}


def normalise_name(name: str) -> str:
    """Upper case, letters and single spaces only."""
    upper = _SPACES.sub(" ", name.upper())
    return _SPACES.sub(" ", _NOT_LETTER.sub("", upper)).strip()


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class FieldDifference:
    field: str
    likely_typo: bool  # a near miss: probably a spelling difference

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


def biodata_differences(
    *, full_name: str, birth_date: date, mother_name: str, person: Person
) -> list[FieldDifference]:
    """The fields in which the given biodata differs from the population record.
    Names compare after normalising; no fuzzy acceptance, near misses are only labelled."""
    differences = []
    for field, given, recorded in (
        ("full_name", full_name, person.full_name),
        ("mother_name", mother_name, person.mother_name),
    ):
        a, b = normalise_name(given), normalise_name(recorded)
        if a != b:
            differences.append(FieldDifference(field, edit_distance(a, b) <= 2))
    if birth_date != person.birth_date:
        differences.append(FieldDifference("birth_date", False))
    order = list(FIELD_LABELS)
    return sorted(differences, key=lambda d: order.index(d.field))


def membership_differences(membership: Membership, person: Person) -> list[FieldDifference]:
    return biodata_differences(
        full_name=membership.full_name,
        birth_date=membership.birth_date,
        mother_name=membership.mother_name,
        person=person,
    )


def nik_birth_date(nik: str) -> date | None:
    """The birth date encoded in a NIK (DDMMYY; women +40 on the day), or None when the
    digits are not a date. The century is the one that puts the date in the past."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    for century in (2000, 1900):
        try:
            candidate = date(century + year, month, day)
        except ValueError:
            return None
        if candidate <= date.today():
            return candidate
    return None


def nik_gender(nik: str) -> str:
    return "P" if int(nik[6:8]) > 40 else "L"
