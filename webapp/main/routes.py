"""Beranda, Profil, Pengaturan, Riwayat transaksi, and the files a PWA needs at the root."""

from __future__ import annotations

from flask import Response, current_app, render_template, request, send_from_directory
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp import assets
from webapp.balances.services import beranda_of, today
from webapp.errors import render_error
from webapp.extensions import db
from webapp.formatting import number
from webapp.kpj import messages as kpj_messages
from webapp.kpj.services import linked_cards
from webapp.main import bp
from webapp.claims import messages as claim_messages
from webapp.merge import messages as merge_messages
from webapp.models import Transaction, TxKind
from webapp.requests import messages as request_messages

HISTORY_PAGE_SIZE = 20
# Each feature words its own transactions.
DESCRIBE = {
    TxKind.TAMBAH_KPJ: kpj_messages.describe,
    TxKind.GABUNG_SALDO: merge_messages.describe,
    TxKind.KLAIM_JHT: claim_messages.describe,
    TxKind.PERBAIKAN_DATA: request_messages.describe,
    TxKind.KARTU_MILIK_SAYA: request_messages.describe,
}
TX_LABELS = {
    TxKind.TAMBAH_KPJ: "Tambah KPJ",
    TxKind.GABUNG_SALDO: "Gabung saldo ke KPJ",
    TxKind.KLAIM_JHT: "Klaim JHT",
    TxKind.PERBAIKAN_DATA: "Perbaikan data KPJ",
    TxKind.KARTU_MILIK_SAYA: "Kartu ini milik saya, KPJ",
}
MAX_HISTORY_PAGE = 10_000
INVALID_PAGE = (
    "Nomor halaman tidak valid",
    f"Nomor halaman riwayat berupa angka 1 sampai {number(MAX_HISTORY_PAGE)}. Buka Riwayat "
    "lewat menu di bawah.",
)
PAGE_PAST_THE_END = (
    "Halaman riwayat tidak ada",
    "Riwayat transaksi Anda belum sampai halaman ini. Buka Riwayat lewat menu di bawah.",
)


@bp.get("/")
def beranda():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    home = beranda_of(current_user.id, today())
    return render_template("main/beranda.html", cards=home.cards, summaries=home.summaries, total=home.total)


@bp.get("/profil")
@login_required
def profil():
    return render_template("main/profil.html", cards=linked_cards(current_user))


@bp.get("/pengaturan")
@login_required
def pengaturan():
    return render_template("main/pengaturan.html")


@bp.get("/riwayat")
@login_required
def riwayat():
    page = _page_number(request.args.get("halaman"))
    if page is None:
        return render_error(400, *INVALID_PAGE)
    rows = db.session.scalars(
        select(Transaction)
        .where(Transaction.account_id == current_user.id)
        .order_by(Transaction.created_at.desc(), Transaction.id.desc())
        .limit(HISTORY_PAGE_SIZE + 1)
        .offset((page - 1) * HISTORY_PAGE_SIZE)
    ).all()
    if not rows and page > 1:
        return render_error(404, *PAGE_PAST_THE_END)
    entries = [(row, DESCRIBE[TxKind(row.kind)](row)) for row in rows[:HISTORY_PAGE_SIZE]]
    return render_template(
        "main/riwayat.html", entries=entries, labels=TX_LABELS, page=page, has_more=len(rows) > HISTORY_PAGE_SIZE
    )


def _page_number(text: str | None) -> int | None:
    """halaman: missing is the first page; anything but 1 to MAX_HISTORY_PAGE is no page."""
    if text is None:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_HISTORY_PAGE))):
        return None
    page = int(text)
    return page if 1 <= page <= MAX_HISTORY_PAGE else None


@bp.get("/sehat")
def sehat():
    """Health check, and the bare baseline route of the benchmarks."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/manifest.webmanifest")
def manifest():
    return send_from_directory(
        current_app.static_folder, "manifest.webmanifest", mimetype="application/manifest+json"
    )


@bp.get("/sw.js")
def service_worker():
    # Served from the root so that it may control every page; asked again on every visit,
    # so that a new release reaches the phone.
    response = Response(assets.service_worker(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    return render_template("main/offline.html")
