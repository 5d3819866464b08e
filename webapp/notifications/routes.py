"""Notifikasi: the inbox (GET /notifikasi), marking read (plain forms with PRG, or htmx
swapping the entry and the tab bar's count), opening an entry, and the browser's Web Push
subscription (JSON, as push.js sends it)."""

from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp import htmx
from webapp.errors import render_error
from webapp.models import Account
from webapp.notifications import bp, inbox as listing, push, services

MAX_PAGE = 10_000
INVALID_PAGE = (
    "Nomor halaman tidak valid",
    "Nomor halaman notifikasi berupa angka 1 sampai 10.000. Buka Notifikasi lewat menu di bawah.",
)
PAGE_PAST_THE_END = (
    "Halaman notifikasi tidak ada",
    "Notifikasi Anda belum sampai halaman ini. Buka Notifikasi lewat menu di bawah.",
)


def _account_id() -> int:
    """Only a participant has an inbox."""
    user = current_user._get_current_object()
    if not isinstance(user, Account):
        abort(404)
    return user.id


def _page(text: str | None) -> int | None:
    if text is None or text == "":
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE))):
        return None
    page = int(text)
    return page if 1 <= page <= MAX_PAGE else None


@bp.get("/notifikasi")
@login_required
def inbox():
    account_id = _account_id()
    page = _page(request.args.get("halaman"))
    if page is None:
        return render_error(400, *INVALID_PAGE)
    shown = listing.inbox(account_id, page)
    if not shown.entries and page > 1:
        return render_error(404, *PAGE_PAST_THE_END)
    return render_template(
        "notifikasi/inbox.html", listing=shown, push_key=push.public_key(), newest=services.newest_id(account_id)
    )


def _form_number(name: str) -> int | None:
    text = request.form.get(name, "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _notification_number() -> int:
    """The entry the form names, by its number in the form body (never in the URL)."""
    number = _form_number("notifikasi")
    if number is None:
        abort(404)
    return number


def _seen_up_to() -> int | None:
    """The newest entry the page showing "tandai semua dibaca" knew of (its `sampai`);
    without it (a form from before this field), every entry."""
    return _form_number("sampai")


@bp.post("/notifikasi/baca")
@login_required
def read():
    account_id = _account_id()
    notification = services.mark_read(account_id, _notification_number())
    if notification is None:
        abort(404)
    if not htmx.is_htmx():
        return redirect(_back_to_inbox(), 303)
    return htmx.vary(render_template(
        "notifikasi/_read.html",
        entry=listing.entry(notification),
        unread=services.unread_count(account_id),
        page=_page(request.form.get("halaman")) or 1,
        newest=services.newest_id(account_id),
    ))


@bp.post("/notifikasi/baca-semua")
@login_required
def read_all():
    account_id = _account_id()
    services.mark_all_read(account_id, _seen_up_to())
    page = _page(request.form.get("halaman")) or 1
    if not htmx.is_htmx():
        return redirect(_back_to_inbox(), 303)
    return htmx.vary(render_template(
        "notifikasi/_read_all.html",
        listing=listing.inbox(account_id, page),
        unread=services.unread_count(account_id),
        newest=services.newest_id(account_id),
    ))


@bp.post("/notifikasi/buka")
@login_required
def open_():
    account_id = _account_id()
    notification = services.mark_read(account_id, _notification_number())
    if notification is None:
        abort(404)
    return redirect(listing.entry(notification).message.url, 303)


def _back_to_inbox() -> str:
    page = _page(request.form.get("halaman")) or 1
    return url_for("notifications.inbox", halaman=page if page > 1 else None)


@bp.post("/notifikasi/push")
@login_required
def push_subscribe():
    account_id = _account_id()
    if not push.enabled():
        return _json_error("Notifikasi di perangkat tidak tersedia di server ini.", 404)
    try:
        push.subscribe(account_id, request.get_json(silent=True))
    except push.SubscriptionError as error:
        return _json_error(str(error), 400)
    return jsonify(status="aktif"), 201


@bp.post("/notifikasi/push/hapus")
@login_required
def push_unsubscribe():
    account_id = _account_id()
    try:
        push.unsubscribe(account_id, request.get_json(silent=True))
    except push.SubscriptionError as error:
        return _json_error(str(error), 400)
    return jsonify(status="mati")


def _json_error(message: str, status: int):
    return jsonify(error=message), status
