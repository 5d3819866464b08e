"""What the participant reads about their requests: the status on the request's page, the
line in Riwayat transaksi, a notification's wording (describe_request, for the inbox and
e-mail) and why a request could not be filed. Here and only here."""

from __future__ import annotations

from webapp.formatting import mask_kpj
from webapp.kpj.messages import CLOSED_REASONS, Notice
from webapp.models import (
    KpjStatus,
    MemberRequest,
    RequestKind,
    RequestStatus,
    Transaction,
    TxKind,
    TxStatus,
)
from webapp.requests.services import MAX_OPEN_OWNERSHIP, Refusal, Refused

KIND_LABELS = {
    RequestKind.CORRECTION: "Perbaikan data",
    RequestKind.OWNERSHIP: "Kartu ini milik saya",
}
STATUS_LABELS = {
    RequestStatus.DIPROSES: "Diproses",
    RequestStatus.DISETUJUI: "Disetujui",
    RequestStatus.DITOLAK: "Ditolak",
}
RECEIVED = ("Permintaan diterima", "Permintaan diterima, petugas akan memeriksa.")

_TEXTS = {
    (RequestKind.CORRECTION, RequestStatus.DIPROSES): (
        "info",
        "Perbaikan data sedang diproses",
        "Petugas BPJS Ketenagakerjaan sedang memeriksa permintaan dan dokumen Anda. Anda "
        "akan mendapat notifikasi saat sudah diputuskan.",
    ),
    (RequestKind.CORRECTION, RequestStatus.DISETUJUI): (
        "success",
        "Perbaikan data disetujui",
        "Data kartu sudah diperbaiki sesuai data kependudukan Anda. KPJ ini sekarang bisa "
        "ditambahkan ke akun Anda.",
    ),
    (RequestKind.CORRECTION, RequestStatus.DITOLAK): (
        "error",
        "Perbaikan data ditolak",
        "Lihat alasannya dan langkah berikutnya di halaman permintaan.",
    ),
    (RequestKind.OWNERSHIP, RequestStatus.DIPROSES): (
        "info",
        RECEIVED[0],
        "Petugas akan memeriksa kartu dan dokumen Anda. Anda akan mendapat notifikasi saat "
        "sudah diputuskan.",
    ),
    (RequestKind.OWNERSHIP, RequestStatus.DISETUJUI): (
        "success",
        "Kartu sudah dipindahkan ke NIK Anda",
        "Petugas menyetujui permintaan Anda dan mencatat kartu itu atas NIK Anda. KPJ ini "
        "sekarang bisa ditambahkan ke akun Anda.",
    ),
    (RequestKind.OWNERSHIP, RequestStatus.DITOLAK): (
        "error",
        "Permintaan kartu ditolak",
        "Lihat alasannya dan langkah berikutnya di halaman permintaan.",
    ),
}

NEXT_STEP_AFTER_REJECTION = {
    RequestKind.CORRECTION: [
        "Perbaiki hal yang disebut pada alasan di atas (misalnya unggah dokumen yang "
        "terbaca jelas, atau perbarui data KTP Anda di Dukcapil terlebih dahulu).",
        "Ajukan perbaikan data lagi dari Riwayat transaksi atau Temukan KPJ lama.",
        "Bila masih ditolak, datangi kantor cabang BPJS Ketenagakerjaan dengan membawa KTP, "
        "Kartu Keluarga, dan kartu KPJ.",
    ],
    RequestKind.OWNERSHIP: [
        "Periksa lagi nomor KPJ pada kartu Anda.",
        "Bila kartu itu memang milik Anda, ajukan lagi dengan dokumen yang lebih jelas, "
        "misalnya surat keterangan dari perusahaan yang mendaftarkan kartu itu.",
        "Bila masih ditolak, datangi kantor cabang BPJS Ketenagakerjaan dengan membawa KTP, "
        "kartu KPJ, dan surat dari perusahaan.",
    ],
}


def describe_request(request: MemberRequest) -> Notice:
    """The request's state in a few words: its page, and the notification of a decision."""
    level, title, text = _TEXTS[request.kind_enum, request.status_enum]
    if request.status_enum is RequestStatus.DITOLAK and request.decision_reason:
        text = f"Alasan: {request.decision_reason}"
    steps = NEXT_STEP_AFTER_REJECTION[request.kind_enum] if request.status == "DITOLAK" else []
    return Notice(level, title, text, steps=steps)


_BY_TRANSACTION = {
    TxStatus.DIPROSES: RequestStatus.DIPROSES,
    TxStatus.BERHASIL: RequestStatus.DISETUJUI,
    TxStatus.GAGAL: RequestStatus.DITOLAK,
}


def describe(transaction: Transaction) -> Notice:
    """A request's line in Riwayat transaksi (the reason is only on the request's page)."""
    kind = RequestKind.CORRECTION if transaction.kind == TxKind.PERBAIKAN_DATA else RequestKind.OWNERSHIP
    level, title, text = _TEXTS[kind, _BY_TRANSACTION[TxStatus(transaction.status)]]
    return Notice(level, title, text)


def refusal_notice(refusal: Refusal) -> Notice:
    """Why nothing was filed, as the form's notice. Its link (to the open request, to
    Tambah KPJ) is the page's to add."""
    card = refusal.card
    number = mask_kpj(card.kpj) if card is not None else ""
    match refusal.reason:
        case Refused.NOT_YOURS:
            return Notice(
                "error",
                "Kartu tidak ditemukan atas NIK Anda",
                "Kartu itu tidak (lagi) tercatat atas NIK Anda, sehingga perbaikan datanya "
                "tidak bisa diajukan dari akun ini. Bila kartu itu milik Anda, ajukan "
                "\u201cKartu ini milik saya\u201d.",
            )
        case Refused.ALREADY_LINKED:
            return Notice(
                "info",
                "KPJ sudah terhubung",
                f"KPJ {number} sudah ada di akun Anda. Tidak ada yang perlu diperbaiki.",
            )
        case Refused.NOTHING_DIFFERS:
            return Notice(
                "success",
                "Data kartu sudah sesuai",
                f"Data KPJ {number} sekarang sama dengan data kependudukan Anda, jadi tidak "
                "perlu diperbaiki. Tambahkan KPJ ini sekarang.",
            )
        case Refused.CLOSED:
            assert card is not None
            return Notice("warning", "KPJ sudah ditutup", CLOSED_REASONS[KpjStatus(card.status)])
        case Refused.ALREADY_OPEN:
            return Notice(
                "info",
                "Permintaan sudah diajukan",
                "Permintaan untuk kartu ini sudah Anda ajukan dan sedang diproses. Tunggu "
                "keputusannya; tidak perlu mengajukan lagi.",
            )
        case Refused.TOO_MANY_OPEN:
            return Notice(
                "warning",
                "Terlalu banyak permintaan yang sedang diproses",
                f"Anda sudah punya {MAX_OPEN_OWNERSHIP} permintaan \u201cKartu ini milik "
                "saya\u201d yang sedang diproses. Tunggu sampai salah satunya diputuskan, "
                "lalu ajukan lagi.",
            )
        case Refused.BUSY:
            return Notice(
                "error",
                "Sistem sedang sibuk",
                "Permintaan Anda belum tersimpan. Coba kirim lagi sebentar lagi.",
            )
