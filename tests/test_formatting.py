"""Indonesian formats (webapp/formatting.py): whole numbers are grouped without a babel call
each, and must still read exactly as babel's Indonesian format would."""

from datetime import date, datetime

from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from webapp.formatting import number, periode, persen, rupiah, tanggal, waktu


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_numbers_read_as_babels_indonesian_format(value):
    assert number(value) == format_decimal(value, format="#,##0", locale="id_ID")


def test_rupiah():
    assert rupiah(0) == "Rp 0"
    assert rupiah(1_234_567) == "Rp 1.234.567"
    assert rupiah(-50_000) == "-Rp 50.000"


def test_dates_in_indonesian():
    assert tanggal(date(2026, 11, 23)) == "23 November 2026"
    assert waktu(datetime(2026, 11, 23, 12, 5)) == "23 November 2026 19.05 WIB"


@given(st.decimals(min_value=-10_000, max_value=10_000, places=3, allow_nan=False, allow_infinity=False))
def test_rates_read_as_babels_indonesian_format(rate):
    assert persen(rate) == f"{format_decimal(rate, format='#,##0.00', locale='id_ID')}%"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_dates_read_as_babels_indonesian_format(day):
    assert tanggal(day) == format_date(day, format="d MMMM y", locale="id_ID")
    assert periode(day) == format_date(day, format="MMMM y", locale="id_ID")


def test_a_rate_as_published():
    assert persen(Decimal("6.26")) == "6,26%"
    assert persen(Decimal("5.5")) == "5,50%"
