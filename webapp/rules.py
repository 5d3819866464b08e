"""Published contribution and benefit figures (DESIGN §5): the one place they live.
Figures that are derived rather than published say so, so pages can label them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

class Programme(enum.StrEnum):
    JHT = "JHT"  # Jaminan Hari Tua: old-age savings, paid out as a lump sum
    JP = "JP"  # Jaminan Pensiun
    JKK = "JKK"  # Jaminan Kecelakaan Kerja
    JKM = "JKM"  # Jaminan Kematian
    JKP = "JKP"  # Jaminan Kehilangan Pekerjaan

    @property
    def label(self) -> str:
        return PROGRAMME_LABELS[self]


PROGRAMME_LABELS = {
    Programme.JHT: "Jaminan Hari Tua",
    Programme.JP: "Jaminan Pensiun",
    Programme.JKK: "Jaminan Kecelakaan Kerja",
    Programme.JKM: "Jaminan Kematian",
    Programme.JKP: "Jaminan Kehilangan Pekerjaan",
}

# Which programmes a card of each segment has (DESIGN §2; JAKON: Permenaker 44/2015).
# BPU and PMI members may opt out of JHT; a card shows JHT when it has JHT contributions.
PROGRAMMES: dict[str, tuple[Programme, ...]] = {
    "PU": (Programme.JHT, Programme.JP, Programme.JKK, Programme.JKM, Programme.JKP),
    "BPU": (Programme.JKK, Programme.JKM, Programme.JHT),
    "PMI": (Programme.JKK, Programme.JKM, Programme.JHT),
    "JAKON": (Programme.JKK, Programme.JKM),
}


def programmes(segment: str) -> tuple[Programme, ...]:
    return PROGRAMMES[segment]


def has_programme(segment: str, programme: Programme) -> bool:
    return programme in PROGRAMMES[segment]


# PU contribution rates as fractions of the monthly wage.
PU_JHT = Fraction(57, 1000)  # 3.7% employer + 2% worker
PU_JP = Fraction(3, 100)  # 2% employer + 1% worker, of the wage up to the year's cap
PU_JKK_BY_RISK_CLASS = {
    1: Fraction(24, 10000),
    2: Fraction(54, 10000),
    3: Fraction(89, 10000),
    4: Fraction(127, 10000),
    5: Fraction(174, 10000),
}
PU_JKM = Fraction(3, 1000)
JKP_START = date(2021, 2, 1)
PU_JKP_BEFORE_2025_02 = Fraction(46, 10000)
PU_JKP_FROM_2025_02 = Fraction(36, 10000)

# BPU (mandiri): on declared income.
BPU_JKK = Fraction(1, 100)
BPU_JKM_FLAT = 6_800
BPU_JHT = Fraction(2, 100)

JP_START = date(2015, 7, 1)
JP_MIN_MONTHS_FOR_PENSION = 180

PUBLISHED_JP_WAGE_CAPS = {
    2015: 7_000_000,
    2016: 7_335_300,
    2017: 7_703_500,
    2018: 8_094_000,
    2019: 8_512_400,
    2020: 8_939_700,
    2023: 9_559_600,
    2024: 10_042_300,
}


@dataclass(frozen=True)
class Figure:
    """A rupiah figure for a year; estimated when it was derived, not published."""

    amount: int
    estimated: bool


def jp_wage_cap(year: int) -> Figure:
    """The JP wage cap for a year. Between two published years the cap grows
    geometrically; after the last one it keeps the last published growth rate."""
    return _yearly_figure(PUBLISHED_JP_WAGE_CAPS, year, _yearly_growth(PUBLISHED_JP_WAGE_CAPS))


def pu_contribution(wage: int, period: date, risk_class: int) -> dict[str, int]:
    """The monthly PU contributions for a wage, floored to whole rupiah."""
    jkp_rate = (
        Fraction(0)
        if period < JKP_START
        else PU_JKP_BEFORE_2025_02
        if period < date(2025, 2, 1)
        else PU_JKP_FROM_2025_02
    )
    jp_base = min(wage, jp_wage_cap(period.year).amount) if period >= JP_START else 0
    return {
        "jht": int(wage * PU_JHT),
        "jp": int(jp_base * PU_JP),
        "jkk": int(wage * PU_JKK_BY_RISK_CLASS[risk_class]),
        "jkm": int(wage * PU_JKM),
        "jkp": int(wage * jkp_rate),
    }


def bpu_contribution(declared_income: int, with_jht: bool = True) -> dict[str, int]:
    return {
        "jht": int(declared_income * BPU_JHT) if with_jht else 0,
        "jp": 0,
        "jkk": int(declared_income * BPU_JKK),
        "jkm": BPU_JKM_FLAT,
        "jkp": 0,
    }


# JP pension age (DESIGN §5): 56 until 2018, 57 from 2019, then one more year every
# three years (58 in 2022, 59 in 2025, ...) until it stays at 65.
JP_PENSION_AGE_BEFORE_2019 = 56
JP_PENSION_AGE_2019 = 57
JP_PENSION_AGE_STEP_YEARS = 3
JP_PENSION_AGE_MAX = 65
JP_PENSION_ACCRUAL_PER_YEAR = Fraction(1, 100)  # 1% of the average wage per year of months

# Monthly JP pension bounds. Both are indexed to inflation every year by the same rule,
# so a year without a published maximum grows with the published minimum.
PUBLISHED_JP_PENSION_MIN = {2023: 383_400, 2024: 393_500}
PUBLISHED_JP_PENSION_MAX = {2023: 4_598_100}


def jp_pension_age(year: int) -> int:
    """The age at which a JP pension starts for someone reaching it in `year`."""
    if year < 2019:
        return JP_PENSION_AGE_BEFORE_2019
    steps = (year - 2019) // JP_PENSION_AGE_STEP_YEARS
    return min(JP_PENSION_AGE_MAX, JP_PENSION_AGE_2019 + steps)


def jp_pension_min(year: int) -> Figure:
    """The minimum monthly JP pension for a year (derived like jp_wage_cap)."""
    return _yearly_figure(PUBLISHED_JP_PENSION_MIN, year, _yearly_growth(PUBLISHED_JP_PENSION_MIN))


def jp_pension_max(year: int) -> Figure:
    """The maximum monthly JP pension for a year; only 2023 is published, so other years
    move with the minimum's growth."""
    return _yearly_figure(PUBLISHED_JP_PENSION_MAX, year, _yearly_growth(PUBLISHED_JP_PENSION_MIN))


def _yearly_growth(published: dict[int, int]) -> float:
    """The yearly growth between the last two published years."""
    last, previous = sorted(published)[-1], sorted(published)[-2]
    return (published[last] / published[previous]) ** (1 / (last - previous))


def _yearly_figure(published: dict[int, int], year: int, growth: float) -> Figure:
    """A published figure, or a derived one: the first published value before the first
    year, geometric between published years, `growth` a year after the last."""
    if year in published:
        return Figure(published[year], estimated=False)
    years = sorted(published)
    if year < years[0]:
        return Figure(published[years[0]], estimated=True)
    before = max(y for y in years if y < year)
    after = [y for y in years if y > year]
    if after:
        start, end = published[before], published[after[0]]
        share = (year - before) / (after[0] - before)
        return Figure(round(start * (end / start) ** share), estimated=True)
    return Figure(round(published[years[-1]] * growth ** (year - years[-1])), estimated=True)
