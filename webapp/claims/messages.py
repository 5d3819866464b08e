"""What the user reads about a Klaim JHT transaction in Riwayat."""

from __future__ import annotations

from webapp.kpj.messages import Notice
from webapp.models import ClaimKind, Transaction, TxStatus

TEXTS = {
    TxStatus.DIPROSES: ("info", "Klaim sedang diproses", "Lihat tahapannya di halaman status klaim."),
    TxStatus.BERHASIL: ("success", "Klaim selesai", "Saldo JHT sudah dibayarkan ke rekening Anda."),
    TxStatus.GAGAL: ("error", "Klaim ditolak", "Alasan dan langkah berikutnya ada di halaman status klaim."),
}


def describe(transaction: Transaction) -> Notice:
    level, title, text = TEXTS[TxStatus(transaction.status)]
    if transaction.reason != ClaimKind.FULL:
        title = title.replace("Klaim", "Klaim sebagian", 1)
    return Notice(level, title, text)
