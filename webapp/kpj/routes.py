"""Pengaturan → Tambah KPJ (§3.6) and Temukan KPJ lama (§3.13).

With htmx the segment form is swapped in place and KIRIM answers with the form, a toast
and the card list out of band; without JavaScript the same forms do a full round trip."""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from webapp import htmx
from webapp.extensions import limiter
from webapp.kpj import bp
from webapp.kpj.messages import CLOSED_REASONS, describe
from webapp.kpj.services import (
    AddRequest,
    AddResult,
    add_kpj,
    found_reference,
    linked_cards,
    parse_add_request,
    referenced_card,
    unlinked_cards,
)
from webapp.models import Membership, Segment
from webapp.toasts import toast

SEGMENT_HELP = {
    Segment.PU: "Karyawan perusahaan swasta, BUMN, dan pegawai negeri yang didaftarkan oleh "
    "pemberi kerja.",
    Segment.BPU: "Pekerja mandiri atau informal (pedagang, ojek, petani, nelayan) yang membayar "
    "iuran sendiri.",
    Segment.JAKON: "Pekerja proyek jasa konstruksi yang didaftarkan oleh kontraktor.",
    Segment.PMI: "Pekerja Migran Indonesia, sebelum, selama, dan setelah bekerja di luar negeri.",
}


def _recorded(response: Response) -> bool:
    """Only attempts that reached the registry count against the limits, not typos."""
    return response.status_code in (200, 303)


def _account_key() -> str:
    return f"account:{getattr(current_user, 'id', None) or get_remote_address()}"


# One budget for every way of adding a KPJ, per account and per client address:
# guessing KPJ numbers must not pay.
_limits = [
    limiter.shared_limit(
        lambda: current_app.config["ADD_KPJ_LIMIT_PER_ACCOUNT"],
        scope="tambah-kpj-account",
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_recorded,
    ),
    limiter.shared_limit(
        lambda: current_app.config["ADD_KPJ_LIMIT_PER_IP"],
        scope="tambah-kpj-ip",
        methods=["POST"],
        deduct_when=_recorded,
    ),
]


def attempt_limited(view):
    for limit in _limits:
        view = limit(view)
    return view


def _chosen_segment(value: str | None) -> Segment | None:
    return Segment(value) if value in Segment.__members__ else None


def _announce(result: AddResult) -> None:
    notice = describe(result.transaction)
    link = None
    if notice.segment_to_choose:
        segment = notice.segment_to_choose.value
        link = (f"Pilih segmen {segment}", url_for("kpj.tambah", segmen=segment))
    toast(notice.level, notice.title, notice.text, steps=notice.steps, link=link)


@bp.get("/pengaturan/tambah-kpj")
@login_required
def tambah():
    segment = _chosen_segment(request.args.get("segmen"))
    if htmx.is_htmx() and htmx.target() == "segment-form":
        return htmx.vary(_form_fragment(segment))
    return htmx.vary(_page(segment))


@bp.post("/pengaturan/tambah-kpj")
@login_required
@attempt_limited
def kirim():
    parsed = parse_add_request(request.form.get("kpj"), request.form.get("segmen"))
    segment = _chosen_segment(request.form.get("segmen"))
    if isinstance(parsed, dict):
        kpj = request.form.get("kpj", "")
        if htmx.is_htmx():
            return _form_fragment(segment, kpj=kpj, errors=parsed), 422
        return _page(segment, kpj=kpj, errors=parsed), 422
    result = add_kpj(current_user, parsed)
    _announce(result)
    if not htmx.is_htmx():
        return redirect(url_for("kpj.tambah", segmen=segment.value), 303)
    # A failed attempt keeps the number so the user can correct it.
    kpj = "" if result.linked else parsed.kpj
    return (
        _form_fragment(segment, kpj=kpj)
        + render_template("_toast_oob.html")
        + render_template("_kpj_list.html", cards=linked_cards(current_user), oob=True)
    )


def _form_fragment(segment: Segment | None, kpj: str = "", errors: dict | None = None) -> str:
    return render_template(
        "kpj/_form.html", segment=segment, kpj=kpj, errors=errors or {}, help=SEGMENT_HELP
    )


def _page(segment: Segment | None, kpj: str = "", errors: dict | None = None) -> str:
    return render_template(
        "kpj/tambah.html",
        segment=segment,
        kpj=kpj,
        errors=errors or {},
        help=SEGMENT_HELP,
        cards=linked_cards(current_user),
    )


def card_reference(card: Membership) -> str:
    """An opaque handle for a found card: the page never carries its number."""
    return found_reference(current_app.config["SECRET_KEY"], current_user.id, card.kpj)


@bp.get("/pengaturan/temukan-kpj")
@login_required
def temukan():
    return render_template("kpj/temukan.html", **_found())


@bp.post("/pengaturan/temukan-kpj")
@login_required
@attempt_limited
def temukan_tambah():
    secret_key = current_app.config["SECRET_KEY"]
    card = referenced_card(secret_key, current_user, request.form.get("ref", ""))
    if card is None:
        abort(400)
    _announce(add_kpj(current_user, AddRequest(kpj=card.kpj, segment=Segment(card.segment))))
    if not htmx.is_htmx():
        return redirect(url_for("kpj.temukan"), 303)
    return render_template("kpj/_found.html", **_found()) + render_template("_toast_oob.html")


def _found() -> dict:
    return {
        "found": unlinked_cards(current_user),
        "reference": card_reference,
        "closed_reasons": CLOSED_REASONS,
    }
