"""What the user reads about a Gabung saldo transaction, in the toast and in Riwayat."""

from __future__ import annotations

from webapp.formatting import mask_kpj, rupiah
from webapp.kpj.messages import Notice
from webapp.models import Transaction

# Stated on the confirmation page: the one rule of webapp/ledger.py, in words.
AMOUNT_RULE = (
    "Yang dipindahkan dari setiap kartu adalah saldo JHT-nya ditambah pengembangan tahun "
    "ini yang sudah berjalan sampai akhir bulan lalu (bulan penuh). Pengembangan itu "
    "dikreditkan saat penggabungan, lalu saldonya ikut berkembang di kartu tujuan mulai "
    "akhir bulan ini."
)


def describe(transaction: Transaction) -> Notice:
    count, _, moved = (transaction.detail or "0:0").partition(":")
    return Notice(
        "success",
        "Saldo berhasil digabung",
        f"Saldo JHT {count} kartu ({rupiah(int(moved))}) sudah dipindahkan ke KPJ "
        f"{mask_kpj(transaction.kpj or '')}. Kartu asalnya kini berstatus DIGABUNG.",
    )
