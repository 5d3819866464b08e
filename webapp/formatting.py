"""Indonesian formats for money, dates and masked identifiers: one set of template filters."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from flask import Flask

from webapp import rules

# Parsed once: babel looks a locale given by name up again on every call, and a card page
# formats a hundred amounts.
LOCALE = Locale.parse("id_ID")
WIB = ZoneInfo("Asia/Jakarta")
# Whole numbers need only the locale's grouping symbol (Indonesian: 1.234.567), taken from
# babel's data once; Python's own grouping by thousands does the rest, some 30 times faster
# than formatting each through babel (tests/test_formatting.py holds them equal).
_GROUP = LOCALE.number_symbols["latn"]["group"]
_DECIMAL = LOCALE.number_symbols["latn"]["decimal"]
# Dates likewise need only the month's name ("d MMMM y"): tests/test_formatting.py holds
# them equal to babel's format too.
_MONTHS = LOCALE.months["format"]["wide"]
_HUNDREDTH = Decimal("0.01")


def rupiah(amount: int) -> str:
    """Rp 1.234.567 (whole rupiah; negative amounts keep their sign)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {number(abs(int(amount)))}"


def number(value: int) -> str:
    return f"{int(value):,}".replace(",", _GROUP)


def persen(rate: Decimal) -> str:
    """6,26% (a JHT rate as published, with the Indonesian decimal comma)."""
    # Decimal's format rounds half to even, as babel does.
    grouped = f"{Decimal(rate).quantize(_HUNDREDTH):,.2f}"
    return grouped.replace(",", "\0").replace(".", _DECIMAL).replace("\0", _GROUP) + "%"


def tanggal(value: date | None) -> str:
    """23 November 2026."""
    if value is None:
        return "–"
    return f"{value.day} {_MONTHS[value.month]} {value.year}"


def periode(value: date | None) -> str:
    """November 2026, for a contribution period."""
    if value is None:
        return "–"
    return f"{_MONTHS[value.month]} {value.year}"


def waktu(value: datetime | None) -> str:
    """A stored naive-UTC timestamp shown in WIB: 23 November 2026 19.05 WIB."""
    if value is None:
        return "–"
    local = value.replace(tzinfo=timezone.utc).astimezone(WIB)
    return f"{format_datetime(local, format='d MMMM y HH.mm', locale=LOCALE, tzinfo=WIB)} WIB"


def wait_minutes(seconds: float) -> int:
    """Whole minutes to tell someone to wait: rounded up, never 0."""
    return max(1, math.ceil(seconds / 60))


def lalu(value: datetime, now: datetime | None = None) -> str:
    """How long ago a stored naive-UTC moment was, roughly: 5 menit lalu."""
    elapsed = (now or datetime.now(timezone.utc).replace(tzinfo=None)) - value
    if elapsed.total_seconds() < 60:
        return "baru saja"
    return f"{format_timedelta(elapsed, locale=LOCALE)} lalu"


def mask_nik(nik: str) -> str:
    """Only the last four digits of a NIK are shown."""
    return "•" * (len(nik) - 4) + nik[-4:]


def mask_kpj(kpj: str) -> str:
    """Enough of a KPJ to recognise it, not enough to use it: 12•••••8901."""
    return kpj[:2] + "•" * (len(kpj) - 6) + kpj[-4:]


def mask_name(name: str) -> str:
    """Initials only: PT Maju Bersama → P•• M•• B••."""
    return " ".join(word[0] + "••" for word in name.split())


def mask_email(email: str) -> str:
    """b•••@contoh.id: enough for its owner to recognise, nothing more."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def init_app(app: Flask) -> None:
    for name, func in {
        "rupiah": rupiah,
        "angka": number,
        "persen": persen,
        "tanggal": tanggal,
        "periode": periode,
        "waktu": waktu,
        "lalu": lalu,
        "mask_nik": mask_nik,
        "mask_kpj": mask_kpj,
        "mask_name": mask_name,
        "mask_email": mask_email,
    }.items():
        app.add_template_filter(func, name)
    # A card shows only its segment's programmes (DESIGN §2): templates ask rules, the one
    # place that knows which those are, instead of testing segment names themselves.
    app.add_template_global(rules.Programme, "Programme")
    app.add_template_global(rules.programmes, "programmes")
    app.add_template_global(rules.has_programme, "has_programme")
