"""Indonesian formats (webapp/formatting.py): whole numbers are grouped without a babel call
each, and must still read exactly as babel's Indonesian format would."""

from datetime import date, datetime

from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from webapp.formatting import number, rupiah, tanggal, waktu


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
