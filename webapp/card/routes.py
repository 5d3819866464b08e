"""Kartu digital (DESIGN §3.11): the participant's card with its QR code, a version to
print at card size, and the public verification page the QR opens.

The card page is addressed without any number (it is always the account's own newest
active card); the verification page by a signed token that tells nothing by itself."""

from __future__ import annotations

from flask import Response, current_app, jsonify, make_response, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.card import bp, services
from webapp.extensions import limiter


@bp.get("/kartu-digital")
@login_required
def kartu():
    return _card_page("card/kartu.html")


@bp.get("/kartu-digital/cetak")
@login_required
def cetak():
    return _card_page("card/cetak.html")


# "Simpan di perangkat" (static/js/kartu-offline.js) fetches the copy a phone keeps, with a
# token of its own, and the cookie that lets the offline page show it. Read by script only;
# nothing of it is cached on the way.
@bp.get("/kartu-digital/salinan")
@login_required
def salinan():
    digital = services.digital_card(current_user)
    if isinstance(digital, services.NoCard):
        return jsonify(error="Tidak ada kartu aktif untuk disimpan."), 404
    verify_url = url_for("card.verifikasi", token=digital.token, _external=True)
    copy = services.device_copy(digital, verify_url)
    response = jsonify(copy)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        services.DEVICE_COPY_COOKIE,
        copy["mark"],
        max_age=services.DEVICE_COPY_MAX_AGE,
        path="/",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=False,  # the offline page's script compares it with the saved card
        samesite="Strict",
    )
    return response


# Whatever ends the sign-in here also clears the site's storage (webapp/auth/routes.py): the
# cookie goes with it, so a browser that kept the storage anyway has a card its offline page
# refuses. So does a card left by another account (its owner's session ran out, someone
# else signed in): the first page of the new sign-in takes its cookie.
@bp.after_app_request
def _forget_device_copy(response: Response) -> Response:
    # Even if this request came without the cookie. (Not `in response.headers`: that raises
    # and catches an exception for every answer without the header, nearly all of them.)
    if "clear-site-data" in response.headers.keys(lower=True):
        response.delete_cookie(services.DEVICE_COPY_COOKIE)
        return response
    mark = request.cookies.get(services.DEVICE_COPY_COOKIE)
    if mark is None or request.path.startswith("/static/") or request.endpoint == "card.salinan":
        return response
    if current_user.is_authenticated and not services.is_device_mark_of(mark, current_user.id):
        response.delete_cookie(services.DEVICE_COPY_COOKIE)
    return response


def _card_page(template: str):
    digital = services.digital_card(current_user)
    if isinstance(digital, services.NoCard):
        return render_template("card/tanpa_kartu.html", reason=digital)
    verify_url = url_for("card.verifikasi", token=digital.token, _external=True)
    return render_template(
        template, digital=digital, verify_url=verify_url, qr=services.qr_svg(verify_url)
    )


# Public: opened by whoever scans a card (a hospital desk), signed in or not. Its pages are
# standalone (no session, CSRF token, toasts or menu), so every refusal is the same bytes.
@bp.get("/v/<token>")
@limiter.limit(lambda: current_app.config["VERIFY_LIMIT"])
def verifikasi(token: str):
    verification = services.verify(token)
    if verification is None:
        return _public(render_template("card/tidak_terverifikasi.html"), 404)
    return _public(render_template("card/verifikasi.html", verification=verification), 200)


def _public(html: str, status: int) -> Response:
    response = make_response(html, status)
    # The status is read live: no copy may be kept; the page stays out of search engines;
    # and the token in its URL is never sent on to another site.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
