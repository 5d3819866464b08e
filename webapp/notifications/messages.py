"""The words of each notification, rendered from its codes (kind, the public id of the
request or claim, a stage): one place for the inbox, the push and the e-mail. No NIK, KPJ,
mother's name, balance or amount is ever part of them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from webapp.claims.terms import STAGE_LABELS
from webapp.models import ClaimStage, NotificationKind

EMAIL_SUBJECT = "Ada kabar baru di KPJku"
PUSH_TITLE = "KPJku"


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    url: str  # the page the notification is about (a path)
    link_label: str
    action: tuple[str, str] | None = None  # a second step: (label, path)


def describe(kind: str, subject: str | None, detail: str | None) -> Message:
    return _WRITERS[NotificationKind(kind)](subject or "", detail)


def _request_page(public_id: str) -> str:
    return site_url("requests.show", public_id=public_id)


def _claim_page(public_id: str) -> str:
    return site_url("claims.status", public_id=public_id)


def _add_kpj() -> tuple[str, str]:
    return ("Tambah KPJ", site_url("kpj.tambah"))


def _correction_approved(subject: str, detail: str | None) -> Message:
    return Message(
        "Perbaikan data disetujui",
        "Data kartu Anda sudah diperbaiki sesuai data kependudukan. Kartu itu sekarang bisa "
        "ditambahkan lewat Tambah KPJ.",
        _request_page(subject), "Lihat permintaan", _add_kpj(),
    )


def _correction_rejected(subject: str, detail: str | None) -> Message:
    return Message(
        "Perbaikan data ditolak",
        "Petugas menolak permintaan perbaikan data Anda. Buka permintaan untuk membaca alasannya "
        "dan langkah berikutnya.",
        _request_page(subject), "Lihat permintaan",
    )


def _ownership_approved(subject: str, detail: str | None) -> Message:
    return Message(
        "Kartu sudah tercatat atas NIK Anda",
        "Permintaan Anda disetujui: kartu yang Anda laporkan sekarang bisa ditambahkan lewat "
        "Tambah KPJ.",
        _request_page(subject), "Lihat permintaan", _add_kpj(),
    )


def _ownership_rejected(subject: str, detail: str | None) -> Message:
    return Message(
        "Permintaan kartu ditolak",
        "Petugas menolak permintaan \u201ckartu ini milik saya\u201d. Buka permintaan untuk membaca "
        "alasannya dan langkah berikutnya.",
        _request_page(subject), "Lihat permintaan",
    )


def _claim_stage(subject: str, detail: str | None) -> Message:
    stage = STAGE_LABELS[ClaimStage(detail)] if detail in ClaimStage.__members__ else "berikutnya"
    return Message(
        f"Klaim JHT: tahap {stage}",
        f"Klaim JHT Anda sudah sampai tahap {stage}.",
        _claim_page(subject), "Lihat status klaim",
    )


def _claim_paid(subject: str, detail: str | None) -> Message:
    return Message(
        "Klaim JHT dibayar",
        "Klaim JHT Anda selesai: dananya sudah dibayarkan ke rekening yang Anda daftarkan.",
        _claim_page(subject), "Lihat status klaim",
    )


def _claim_rejected(subject: str, detail: str | None) -> Message:
    return Message(
        "Klaim JHT ditolak",
        "Petugas menolak klaim JHT Anda. Buka status klaim untuk membaca alasannya; Anda bisa "
        "mengajukan klaim baru.",
        _claim_page(subject), "Lihat status klaim",
    )


_WRITERS = {
    NotificationKind.CORRECTION_APPROVED: _correction_approved,
    NotificationKind.CORRECTION_REJECTED: _correction_rejected,
    NotificationKind.OWNERSHIP_APPROVED: _ownership_approved,
    NotificationKind.OWNERSHIP_REJECTED: _ownership_rejected,
    NotificationKind.CLAIM_STAGE: _claim_stage,
    NotificationKind.CLAIM_PAID: _claim_paid,
    NotificationKind.CLAIM_REJECTED: _claim_rejected,
}


def email_body(inbox_url: str) -> str:
    return (
        "Halo,\n\n"
        "ada kabar baru tentang permintaan atau klaim Anda di KPJku. Buka kotak notifikasi "
        "untuk membacanya:\n\n"
        f"{inbox_url}\n\n"
        "Demi keamanan, email ini tidak memuat data pribadi Anda.\n\n"
        "Salam,\nKPJku\n"
    )


def site_url(endpoint: str, *, external: bool = False, **values: object) -> str:
    """url_for that also works outside a request (a notification from a CLI command): there
    the address is PUBLIC_URL's."""
    if has_request_context():
        return url_for(endpoint, _external=external, **values)
    if not current_app.config.get("PUBLIC_URL"):
        raise RuntimeError("PUBLIC_URL is not set: no link can be made outside a request")
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=external)
