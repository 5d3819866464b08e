"""What the user reads about a Tambah KPJ transaction: the toast after KIRIM and the line in
Riwayat transaksi are both rendered from the stored transaction, here and only here."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.formatting import mask_kpj
from webapp.kpj.services import Outcome, decode_differences
from webapp.models import SEGMENT_LABELS, KpjStatus, RequestKind, Segment, Transaction

CORRECTION_STEPS = [
    "Pastikan data KTP Anda di Dukcapil sudah benar (perbarui di Dukcapil bila perlu).",
    "Ajukan perbaikan data secara online lewat \u201cAjukan perbaikan data\u201d: siapkan "
    "foto atau PDF KTP dan Kartu Keluarga (dan surat ganti nama bila nama Anda pernah "
    "diubah). Data kartu akan diperbaiki sesuai data kependudukan Anda.",
    "Setelah petugas menyetujuinya, Anda mendapat notifikasi dan KPJ ini bisa ditambahkan.",
]

OWNERSHIP_STEPS = [
    "Periksa lagi nomor KPJ pada kartu Anda.",
    "Bila kartu itu memang milik Anda tetapi didaftarkan perusahaan dengan NIK lain, ajukan "
    "\u201cKartu ini milik saya\u201d: isi nama perusahaan dan tahun bekerja, lalu unggah "
    "foto kartu atau surat dari perusahaan.",
    "Petugas akan memeriksa. Bila disetujui, kartu dicatat atas NIK Anda dan bisa "
    "ditambahkan. Anda juga bisa datang ke kantor cabang BPJS Ketenagakerjaan.",
]

CLOSED_REASONS = {
    KpjStatus.DIKLAIM: "Saldo JHT kartu ini sudah diklaim (dicairkan), sehingga kepesertaannya "
    "sudah ditutup dan tidak dapat ditambahkan.",
    KpjStatus.DIGABUNG: "Saldo kartu ini sudah digabungkan ke KPJ lain, sehingga kartu ini "
    "sudah ditutup dan tidak dapat ditambahkan. Saldonya terlihat pada KPJ tujuan penggabungan.",
}


@dataclass(frozen=True)
class Notice:
    level: str  # success, info, warning, error (the toast's colour)
    title: str
    text: str
    steps: list[str] = field(default_factory=list)
    segment_to_choose: Segment | None = None  # the next step, when it is another segment
    request_to_file: RequestKind | None = None  # the next step, when it is a request


def describe(transaction: Transaction) -> Notice:
    outcome = Outcome(transaction.reason)
    number = mask_kpj(transaction.kpj or "")
    match outcome:
        case Outcome.LINKED:
            return Notice(
                "success",
                "Transaksi berhasil",
                f"KPJ {number} sudah ditambahkan ke akun Anda. Saldo JHT dan JP-nya kini "
                "bisa dilihat di Beranda.",
            )
        case Outcome.ALREADY_LINKED:
            return Notice(
                "info",
                "KPJ sudah terhubung",
                f"KPJ {number} sudah ada di akun Anda. Tidak ada yang perlu dilakukan.",
            )
        case Outcome.NOT_FOUND:
            return Notice(
                "error",
                "KPJ tidak ditemukan atas NIK Anda",
                f"Periksa lagi nomor KPJ {number} pada kartu Anda. Jika kartu itu memang "
                "milik Anda tetapi tercatat dengan NIK lain, Anda bisa memintanya dicatat "
                "atas NIK Anda:",
                steps=OWNERSHIP_STEPS,
                request_to_file=RequestKind.OWNERSHIP,
            )
        case Outcome.WRONG_SEGMENT:
            card_segment = Segment(transaction.detail)
            return Notice(
                "warning",
                "Segmen tidak sesuai",
                f"KPJ {number} terdaftar di segmen {SEGMENT_LABELS[card_segment]}. "
                f"Pilih segmen {card_segment.value}, lalu kirim lagi.",
                segment_to_choose=card_segment,
            )
        case Outcome.CLOSED:
            status, _, target = (transaction.detail or "").partition(":")
            text = CLOSED_REASONS[KpjStatus(status)]
            if target:
                text += f" KPJ tujuannya: {mask_kpj(target)}."
            return Notice("warning", "KPJ sudah ditutup", text)
        case Outcome.BIODATA_MISMATCH:
            return Notice(
                "error",
                "Data KPJ berbeda dengan data kependudukan",
                f"KPJ {number} belum bisa ditambahkan karena berbeda pada: "
                f"{_differences_text(transaction.detail)}.",
                steps=CORRECTION_STEPS,
                request_to_file=RequestKind.CORRECTION,
            )
        case Outcome.BUSY:
            return Notice(
                "error",
                "Sistem sedang sibuk",
                "Permintaan Anda belum diproses. Coba kirim lagi sebentar lagi.",
            )


def _differences_text(detail: str | None) -> str:
    parts = []
    for difference in decode_differences(detail):
        hint = " (kemungkinan perbedaan ejaan)" if difference.likely_typo else ""
        parts.append(difference.label + hint)
    return ", ".join(parts)
