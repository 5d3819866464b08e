"""The words of a JHT claim (DESIGN §6): reasons, banks, documents, stages, the limits and
the calendar of video verifications. Shared by eligibility, submission and the pages."""

from __future__ import annotations

from datetime import date

from webapp.models import ClaimKind, ClaimReason, ClaimStage, DocumentKind

ONLINE_LIMIT = 15_000_000  # gross above this also needs a video verification
TAX_FREE = 50_000_000
TAX_RATE_PERCENT = 5
TAX_RATE_WITHOUT_NPWP_PERCENT = 6
PARTIAL_MIN_YEARS = 10
PARTIAL_SHARES = {ClaimKind.PARTIAL_10: 10, ClaimKind.PARTIAL_30: 30}

REASON_LABELS = {
    ClaimReason.MENGUNDURKAN_DIRI: "Mengundurkan diri",
    ClaimReason.PHK: "Pemutusan hubungan kerja (PHK)",
    ClaimReason.HABIS_KONTRAK: "Habis kontrak",
    ClaimReason.USIA_56: "Mencapai usia 56 tahun",
    ClaimReason.MENINGGALKAN_INDONESIA: "Meninggalkan Indonesia untuk selamanya",
    ClaimReason.CACAT_TOTAL_TETAP: "Cacat total tetap",
}
# These wait one month after the last membership ended (DESIGN §6).
WAITING_REASONS = (ClaimReason.MENGUNDURKAN_DIRI, ClaimReason.PHK, ClaimReason.HABIS_KONTRAK)

BANKS = {
    "BRI": "Bank Rakyat Indonesia (BRI)",
    "BNI": "Bank Negara Indonesia (BNI)",
    "MANDIRI": "Bank Mandiri",
    "BCA": "Bank Central Asia (BCA)",
    "BSI": "Bank Syariah Indonesia (BSI)",
    "BTN": "Bank Tabungan Negara (BTN)",
}

DOCUMENTS = {
    DocumentKind.KTP: "KTP",
    DocumentKind.BUKU_TABUNGAN: "Buku tabungan",
    DocumentKind.BUKTI_ALASAN: "Bukti alasan klaim",
}

STAGE_ORDER = (
    ClaimStage.AGENDA,
    ClaimStage.PENETAPAN,
    ClaimStage.PERSETUJUAN,
    ClaimStage.PEMBAYARAN,
    ClaimStage.SELESAI,
)
STAGE_LABELS = {
    ClaimStage.AGENDA: "Agenda Klaim",
    ClaimStage.PENETAPAN: "Penetapan",
    ClaimStage.PERSETUJUAN: "Persetujuan",
    ClaimStage.PEMBAYARAN: "Pembayaran",
    ClaimStage.SELESAI: "Selesai",
    ClaimStage.DITOLAK: "Ditolak",
}

# Video verification: working days only; national holidays kept here, a small list.
VIDEO_DAYS = 10
VIDEO_HOURS = (9, 10, 11, 13, 14, 15)
HOLIDAYS = frozenset(
    date.fromisoformat(day)
    for day in (
        "2026-01-01", "2026-01-16", "2026-02-17", "2026-03-19", "2026-03-20", "2026-03-21",
        "2026-04-03", "2026-05-01", "2026-05-14", "2026-05-27", "2026-05-31", "2026-06-01",
        "2026-06-16", "2026-08-17", "2026-08-25", "2026-12-25",
        "2027-01-01", "2027-02-06", "2027-03-09", "2027-03-10", "2027-03-26", "2027-05-01",
        "2027-05-06", "2027-05-16", "2027-05-20", "2027-06-01", "2027-08-17", "2027-12-25",
    )
)

