"""Writes the demo dataset (webapp/demo/data/) from dataset.py: the five registry CSV files
of DESIGN §4 and a README that describes them. Deterministic: every card draws its raises
and payment days from its own seeded random.Random, so the output never changes between
runs and editing one card leaves the others' numbers alone.

Regenerate after changing dataset.py: `KPJKU_CONFIG=development flask --app wsgi demo generate`."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from webapp.demo import dataset
from webapp.demo.dataset import CardSpec
from webapp.demo.guide import readme_text
from webapp.models import Segment
from webapp.rules import Programme, bpu_contribution, has_programme, pu_contribution

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = "kpjku-demo-2026"
# About one payment in sixty is a month or two late.
LATE_SHARE = 1 / 60


@dataclass(frozen=True)
class ContributionRow:
    kpj: str
    period: date
    wage: int
    amounts: dict[str, int]
    paid_on: date


# --- money --------------------------------------------------------------------------------


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def contribution_amounts(card: CardSpec, period: date, wage: int) -> dict[str, int]:
    """JAKON pays like PU for each project month; PMI like BPU on the declared income.
    Either way a row pays only for the programmes the card's segment has (DESIGN §4):
    a JAKON card has no JHT, JP or JKP, a BPU or PMI card no JP."""
    if card.segment in (Segment.PU, Segment.JAKON):
        assert card.employer is not None
        amounts = pu_contribution(wage, period, card.employer.risk_class)
    else:
        amounts = bpu_contribution(wage)
    return {
        column: amount if has_programme(card.segment, Programme(column.upper())) else 0
        for column, amount in amounts.items()
    }


def monthly_wages(card: CardSpec, rng: random.Random) -> Iterator[tuple[date, int]]:
    """Every month of the membership with its wage, raised each January."""
    assert card.wage is not None
    path, wage = card.wage, card.wage.start
    period = card.registered_on.replace(day=1)
    last = dataset.LAST_PERIOD
    if card.ended_on:
        last = min(card.ended_on.replace(day=1), last)
    while period <= last:
        if period.month == 1 and period > card.registered_on:
            raised = wage * (100 + rng.randint(*path.raise_percent)) // 100
            wage = round(raised / path.step) * path.step
        yield period, wage
        period = add_months(period, 1)


def in_gap(card: CardSpec, period: date) -> bool:
    return any(first <= period <= last for first, last in card.gaps)


def paid_on(period: date, rng: random.Random) -> date:
    """A working day between the 10th and 15th of the next month, now and then later;
    nothing is paid after the month that follows LAST_PERIOD."""
    months_late = 1
    if rng.random() < LATE_SHARE and add_months(period, 3) <= dataset.LAST_PERIOD:
        months_late += rng.randint(1, 2)
    day = add_months(period, months_late).replace(day=rng.randint(10, 15))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def card_contributions(card: CardSpec) -> list[ContributionRow]:
    if card.wage is None:
        return []
    rng = random.Random(f"{SEED}:{card.kpj}")
    return [
        ContributionRow(
            card.kpj, period, wage, contribution_amounts(card, period, wage), paid_on(period, rng)
        )
        for period, wage in monthly_wages(card, rng)
        if not in_gap(card, period)
    ]


def all_contributions() -> list[ContributionRow]:
    return [row for card in dataset.CARDS for row in card_contributions(card)]


# --- files --------------------------------------------------------------------------------


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def population_csv() -> str:
    return _csv(
        ["nik", "full_name", "birth_place", "birth_date", "gender", "mother_name"],
        [
            [p.nik, p.full_name, p.birth_place, p.birth_date.isoformat(), p.gender, p.mother_name]
            for p in dataset.PEOPLE
        ],
    )


def employers_csv() -> str:
    return _csv(
        ["npp", "name", "risk_class"],
        [[e.npp, e.name, e.risk_class] for e in dataset.EMPLOYERS],
    )


def memberships_csv() -> str:
    header = [
        "kpj", "segment", "nik", "full_name", "birth_date", "mother_name",
        "employer_npp", "status", "registered_on", "ended_on",
    ]
    rows: list[list[object]] = [
        [
            c.kpj, c.segment.value, c.card_nik, c.card_full_name, c.owner.birth_date.isoformat(),
            c.card_mother_name, c.employer.npp if c.employer else "", c.registry_status.value,
            c.registered_on.isoformat(), c.ended_on.isoformat() if c.ended_on else "",
        ]
        for c in dataset.CARDS
    ]
    return _csv(header, rows)


def contributions_csv(rows: list[ContributionRow]) -> str:
    programmes = ["jht", "jp", "jkk", "jkm", "jkp"]
    return _csv(
        ["kpj", "period", "wage", *programmes, "paid_on"],
        [
            [r.kpj, r.period.strftime("%Y-%m"), r.wage, *(r.amounts[p] for p in programmes),
             r.paid_on.isoformat()]
            for r in rows
        ],
    )


def jht_rates_csv() -> str:
    return _csv(["year", "rate"], [[year, rate] for year, rate in dataset.jht_rates().items()])


def dataset_files() -> dict[str, str]:
    """File name → content: everything that is committed in webapp/demo/data/."""
    contributions = all_contributions()
    return {
        "population.csv": population_csv(),
        "employers.csv": employers_csv(),
        "memberships.csv": memberships_csv(),
        "contributions.csv": contributions_csv(contributions),
        "jht_rates.csv": jht_rates_csv(),
        "README.md": readme_text(contributions),
    }


def write_dataset(directory: Path = DATA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in dataset_files().items():
        path = directory / name
        path.write_text(content, encoding="utf-8", newline="\n")
        written.append(path)
    return written
