"""The JHT statement as a CSV file for spreadsheets."""

from __future__ import annotations

import csv
import io

from webapp.balances.services import CardStatement, YearRow
from webapp.formatting import persen, tanggal

CSV_HEADER = [
    "Tahun",
    "Tingkat pengembangan",
    "Saldo awal (Rp)",
    "Iuran (Rp)",
    "Mutasi (Rp)",
    "Pengembangan (Rp)",
    "Saldo akhir (Rp)",
    "Keterangan",
]


def statement_csv(statement: CardStatement) -> str:
    """One row per year, money as whole rupiah so a spreadsheet can add it up."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in statement.jht.years:
        writer.writerow([
            row.year, persen(row.rate), row.opening, row.contributions, row.transfers, row.development,
            row.closing, note(row, statement),
        ])
    return out.getvalue()


def filename(statement: CardStatement) -> str:
    """Downloaded files are kept and shared: the name tells cards apart by the last four
    digits only, as a masked KPJ does."""
    return f"laporan-jht-{statement.card.kpj[-4:]}-{statement.as_of.isoformat()}.csv"


def note(row: YearRow, statement: CardStatement) -> str:
    notes = []
    if row.is_estimate:
        notes.append(f"estimasi, belum dikreditkan (per {tanggal(statement.as_of)})")
    if not row.rate_known:
        notes.append("tidak ada tingkat pengembangan tahun ini atau sebelumnya: 0%")
    elif row.rate_fallback_from is not None:
        notes.append(f"memakai tingkat tahun {row.rate_fallback_from}")
    return "; ".join(notes)
