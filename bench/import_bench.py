"""Registry import benchmark: `.venv/bin/python bench/import_bench.py [--cards 500 --months 100]`.

Generates a realistic dataset (people, employers, cards, monthly contributions, JHT rates)
into a temporary directory, imports it twice into a fresh temporary SQLite database built
by the migrations, and prints the timings next to a same-run baseline: reading the same
CSV rows with the csv module alone. The import should stay a small multiple of that.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from webapp import create_app, migrations_cli  # noqa: E402
from webapp.registry.services import FILE_NAMES, ImportResult, import_directory  # noqa: E402

FIRST_NAMES = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Sri", "Andi", "Wati", "Eko"]
LAST_NAMES = ["Santoso", "Rahayu", "Wijaya", "Lestari", "Hidayat", "Pratama", "Saputra"]
PLACES = ["Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Denpasar"]
JKK_PERMILLE_BY_RISK = {1: 24, 2: 54, 3: 89, 4: 127, 5: 174}  # per 10,000 of the wage

T = TypeVar("T")


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def generate(directory: Path, cards: int, months: int, seed: int = 1) -> None:
    """cards memberships of people with one or two cards each, months contributions each."""
    rng = random.Random(seed)
    employers = [(f"NPP{n:05d}", f"PT Usaha {n}", rng.randint(1, 5)) for n in range(1, 51)]
    write_csv(directory / "employers.csv", ["npp", "name", "risk_class"], employers)
    write_csv(
        directory / "jht_rates.csv",
        ["year", "rate"],
        [(year, f"{rng.uniform(5, 7.5):.2f}") for year in range(2005, 2026)],
    )

    people = []
    for n in range(cards * 3 // 4):
        birth = date(1960 + n % 40, n % 12 + 1, n % 28 + 1)
        gender = "LP"[n % 2]
        day = birth.day + (40 if gender == "P" else 0)
        nik = f"3171{n % 100:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{n:04d}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        mother = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        people.append((nik, name, rng.choice(PLACES), birth.isoformat(), gender, mother))
    write_csv(
        directory / "population.csv",
        ["nik", "full_name", "birth_place", "birth_date", "gender", "mother_name"],
        people,
    )

    memberships, contributions = [], []
    for n in range(cards):
        nik, name, _, birth, _, mother = people[n % len(people)]
        npp, _, risk = rng.choice(employers)
        registered = date(2010 + n % 5, n % 12 + 1, 5)
        active = n < len(people)  # a second card of the same person has ended
        ended = "" if active else add_months(registered, months).isoformat()
        kpj = f"{20000000000 + n:011d}"
        memberships.append(
            (kpj, "PU", nik, name, birth, mother, npp,
             "AKTIF" if active else "NONAKTIF", registered.isoformat(), ended)
        )
        wage = rng.randrange(3_000_000, 15_000_000, 50_000)
        for m in range(months):
            period = add_months(registered, m + 1)
            contributions.append(
                (kpj, period.strftime("%Y-%m"), wage, wage * 57 // 1000, wage * 3 // 100,
                 wage * JKK_PERMILLE_BY_RISK[risk] // 10000, wage * 3 // 1000,
                 wage * 46 // 10000, period.replace(day=10).isoformat())
            )
    write_csv(
        directory / "memberships.csv",
        ["kpj", "segment", "nik", "full_name", "birth_date", "mother_name", "employer_npp",
         "status", "registered_on", "ended_on"],
        memberships,
    )
    write_csv(
        directory / "contributions.csv",
        ["kpj", "period", "wage", "jht", "jp", "jkk", "jkm", "jkp", "paid_on"],
        contributions,
    )


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def parse_only(directory: Path) -> int:
    """The baseline: every row of every file through the csv module, nothing else."""
    rows = 0
    for name in FILE_NAMES:
        with (directory / name).open(newline="", encoding="utf-8-sig") as file:
            rows += sum(1 for _ in csv.reader(file)) - 1
    return rows


def report(label: str, result: ImportResult, seconds: float, rows: int, baseline: float) -> None:
    if not result.ok:
        raise SystemExit(f"{label} failed:\n" + "\n".join(map(str, result.errors[:20])))
    changes = ", ".join(
        f"{name.removesuffix('.csv')} +{c.inserted}/~{c.updated}/={c.unchanged}"
        for name, c in result.changes.items()
    )
    print(
        f"{label:<22}{seconds:8.3f} s {rows / seconds:10,.0f} rows/s "
        f"{seconds / baseline:7.1f}× parse   ({changes})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--months", type=int, default=100)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kpjku-bench-") as temp:
        data, database = Path(temp) / "data", Path(temp) / "bench.sqlite"
        data.mkdir()
        generate(data, args.cards, args.months)
        app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
        migrations_cli.load(app)
        with app.app_context():
            upgrade()
            rows, baseline = timed(lambda: parse_only(data))
            print(f"dataset: {rows:,} rows ({args.cards * args.months:,} contributions)")
            print(f"{'csv module only':<22}{baseline:8.3f} s {rows / baseline:10,.0f} rows/s")
            first, seconds = timed(lambda: import_directory(data))
            report("first import", first, seconds, rows, baseline)
            second, seconds = timed(lambda: import_directory(data))
            report("second (idempotent)", second, seconds, rows, baseline)
            if any(c.inserted or c.updated for c in second.changes.values()):
                raise SystemExit("the second import changed rows: not idempotent")


if __name__ == "__main__":
    main()
