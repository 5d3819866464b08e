"""A synthetic registry of N participants, written straight to CSV files (DESIGN §4 format).

    .venv/bin/python bench/registry_gen.py --participants 1000000 OUTDIR [--seed 1]

Or as a module: `generate(directory, participants, seed=1)` writes population.csv,
employers.csv, jht_rates.csv, memberships.csv and contributions.csv and returns the row
count of each; `person(i, participants, seed)` gives the i-th participant (biodata, cards
and whether they have contributions) without generating anything else.

Every participant is derived from (seed, i) alone, never from a running random state, so
the files stream row by row in flat memory and any one participant can be looked up.
About 2 cards each (1 to 3); the last card is AKTIF, earlier ones NONAKTIF. One
participant in CONTRIBUTION_SAMPLE has 12 months of contributions on each card, one in
LONG_SAMPLE 120 months: a 1,000,000-participant registry is about 3.3 million rows.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

FIRST_NAMES = (
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Sri", "Andi", "Wati", "Eko", "Putri",
    "Hendra", "Yuni", "Rudi", "Ayu", "Bambang", "Fitri", "Dedi", "Lina", "Wahyu",
)
LAST_NAMES = (
    "Santoso", "Rahayu", "Wijaya", "Lestari", "Hidayat", "Pratama", "Saputra", "Kusuma",
    "Nugroho", "Siregar", "Harahap", "Simanjuntak", "Wibowo", "Setiawan", "Susanti",
)
PLACES = ("Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Denpasar")
# Of 20: 14 PU, 3 BPU, 2 JAKON, 1 PMI.
SEGMENTS = ("PU",) * 14 + ("BPU",) * 3 + ("JAKON",) * 2 + ("PMI",)
JKK_PER_10000_BY_RISK = {1: 24, 2: 54, 3: 89, 4: 127, 5: 174}
PARTICIPANTS_PER_EMPLOYER = 100
CONTRIBUTION_SAMPLE = 100  # one participant in this many has contributions...
LONG_SAMPLE = 10_000  # ...and one in this many ten years of them
LAST_PERIOD = date(2025, 12, 1)
RATE_YEARS = range(2000, 2026)

HEADERS = {
    "population.csv": ["nik", "full_name", "birth_place", "birth_date", "gender", "mother_name"],
    "employers.csv": ["npp", "name", "risk_class"],
    "jht_rates.csv": ["year", "rate"],
    "memberships.csv": [
        "kpj", "segment", "nik", "full_name", "birth_date", "mother_name", "employer_npp",
        "status", "registered_on", "ended_on",
    ],
    "contributions.csv": ["kpj", "period", "wage", "jht", "jp", "jkk", "jkm", "jkp", "paid_on"],
}


def _mix(seed: int, value: int) -> int:
    """splitmix64: a well-spread 64-bit number for (seed, value)."""
    z = (value + seed * 0x9E3779B97F4A7C15 + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


@dataclass(frozen=True)
class Card:
    kpj: str
    segment: str
    employer_npp: str  # "" for BPU and PMI
    status: str
    registered_on: date
    ended_on: date | None
    wage: int
    months: int  # of contributions, ending at the card's end (or LAST_PERIOD)


@dataclass(frozen=True)
class Participant:
    index: int
    nik: str
    full_name: str
    birth_place: str
    birth_date: date
    gender: str
    mother_name: str
    cards: tuple[Card, ...]

    @property
    def kpjs(self) -> list[str]:
        return [card.kpj for card in self.cards]


def employer_count(participants: int) -> int:
    return max(10, participants // PARTICIPANTS_PER_EMPLOYER)


def npp(number: int) -> str:
    return f"NPP{number:08d}"


def kpj(index: int, card: int) -> str:
    """Unique for up to 2.2 billion participants of 4 cards at most."""
    return f"{10_000_000_000 + index * 4 + card:011d}"


def person(index: int, participants: int, seed: int = 1) -> Participant:
    """The index-th participant (0-based) of a registry of `participants`."""
    h = _mix(seed, index)
    gender = "LP"[h & 1]
    birth = date(1960 + (h >> 1) % 40, (h >> 8) % 12 + 1, (h >> 12) % 28 + 1)
    day = birth.day + (40 if gender == "P" else 0)
    # Region code and serial come from the index alone: unique, whatever the birth date.
    region, serial = divmod(index, 10_000)
    nik = f"{110000 + region:06d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
    full_name = f"{FIRST_NAMES[(h >> 16) % 20]} {LAST_NAMES[(h >> 21) % 15]}"
    mother_name = f"{FIRST_NAMES[(h >> 26) % 20]} {LAST_NAMES[(h >> 31) % 15]}"
    sampled = index % CONTRIBUTION_SAMPLE == 0
    months = (120 if index % LONG_SAMPLE == 0 else 12) if sampled else 0
    card_count = 1 + (h >> 36) % 3
    employers = employer_count(participants)
    cards = []
    start_year = max(birth.year + 18, 2000 + (h >> 40) % 10)
    for number in range(card_count):
        g = _mix(seed, index * 4 + number + (1 << 40))
        segment = SEGMENTS[g % 20]
        last = number == card_count - 1
        registered = date(start_year + 4 * number, (g >> 5) % 12 + 1, (g >> 9) % 28 + 1)
        ended = None if last else date(registered.year + 3, registered.month, 1)
        has_employer = segment in ("PU", "JAKON")
        cards.append(
            Card(
                kpj=kpj(index, number),
                segment=segment,
                employer_npp=npp(1 + (g >> 14) % employers) if has_employer else "",
                status="AKTIF" if last else "NONAKTIF",
                registered_on=registered,
                ended_on=ended,
                wage=3_000_000 + (g >> 30) % 240 * 50_000,
                months=months,
            )
        )
    return Participant(
        index, nik, full_name, PLACES[(h >> 45) % 7], birth, gender, mother_name, tuple(cards)
    )


def _months_back(end: date, count: int) -> Iterator[date]:
    position = end.year * 12 + end.month - 1
    for back in range(count - 1, -1, -1):
        year, month = divmod(position - back, 12)
        yield date(year, month + 1, 1)


def contributions(card: Card, risk_class: int) -> Iterator[list[object]]:
    end = card.ended_on or LAST_PERIOD
    end = date(end.year, end.month, 1)
    first = date(card.registered_on.year, card.registered_on.month, 1)
    wage = card.wage
    jkk = wage * JKK_PER_10000_BY_RISK[risk_class] // 10_000
    jkm = wage * 3 // 1000
    jht = 0 if card.segment == "JAKON" else wage * 57 // 1000
    jp = wage * 3 // 100 if card.segment == "PU" else 0
    jkp = wage * 46 // 10_000 if card.segment == "PU" else 0
    for period in _months_back(end, card.months):
        if period >= first:
            yield [card.kpj, f"{period:%Y-%m}", wage, jht, jp, jkk, jkm, jkp,
                   period.replace(day=10).isoformat()]


def risk_of(employer_npp: str, seed: int) -> int:
    return 1 + _mix(seed, int(employer_npp[3:]) + (1 << 50)) % 5


def generate(directory: Path, participants: int, seed: int = 1) -> dict[str, int]:
    """Write the five registry files of `participants` people into directory; returns the
    data rows of each file."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(HEADERS, 0)
    files = {name: (directory / name).open("w", newline="", encoding="utf-8") for name in HEADERS}
    try:
        writers = {name: csv.writer(file, lineterminator="\n") for name, file in files.items()}
        for name, header in HEADERS.items():
            writers[name].writerow(header)

        def write(name: str, row: list[object]) -> None:
            writers[name].writerow(row)
            counts[name] += 1

        for year in RATE_YEARS:
            write("jht_rates.csv", [year, f"{5 + _mix(seed, year) % 250 / 100:.2f}"])
        for number in range(1, employer_count(participants) + 1):
            write("employers.csv", [npp(number), f"PT Usaha {number}", risk_of(npp(number), seed)])
        for index in range(participants):
            p = person(index, participants, seed)
            write("population.csv", [p.nik, p.full_name, p.birth_place, p.birth_date.isoformat(),
                                     p.gender, p.mother_name])
            for card in p.cards:
                ended = card.ended_on.isoformat() if card.ended_on else ""
                write("memberships.csv", [card.kpj, card.segment, p.nik, p.full_name,
                                          p.birth_date.isoformat(), p.mother_name,
                                          card.employer_npp, card.status,
                                          card.registered_on.isoformat(), ended])
                if card.months:
                    risk = risk_of(card.employer_npp, seed) if card.employer_npp else 1
                    for row in contributions(card, risk):
                        write("contributions.csv", row)
    finally:
        for file in files.values():
            file.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    counts = generate(args.directory, args.participants, args.seed)
    seconds = time.perf_counter() - start
    for name, rows in counts.items():
        print(f"{name}: {rows:,} rows")
    print(f"{sum(counts.values()):,} rows in {seconds:.1f} s")


if __name__ == "__main__":
    main()
