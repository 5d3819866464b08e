"""Pengaturan → Tambah KPJ (§3.6) and Temukan KPJ lama (§3.13).

With htmx the segment form is swapped in place and KIRIM answers with the form, a toast
and the card list out of band; without JavaScript the same forms do a full round trip.
Choosing a segment posts the KPJ typed so far along with it, so the number survives the
switch either way and never appears in a URL."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from webapp import htmx
from webapp.errors import limit_wait_minutes, too_many_text
from webapp.extensions import limiter
from webapp.kpj import bp
from webapp.kpj.messages import CLOSED_REASONS, Notice, describe
from webapp.kpj.services import (
    AddRequest,
    AddResult,
    add_kpj,
    found_reference,
    linked_cards,
    parse_add_request,
    recent_link,
    referenced_card,
    unlinked_cards,
    wrong_segment_kpj,
)
from webapp.identity import membership_differences
from webapp.models import Membership, RequestKind, Segment, Transaction
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


def _second_tap() -> Transaction | None:
    """The link whose fresh form this is, sent before anything was typed in it: the second
    tap of a double tap on KIRIM. It is no attempt: not limited, not counted."""
    if request.form.get("kpj") or not current_user.is_authenticated:
        return None
    return recent_link(current_user, _number(request.form.get("setelah")))


def _refused(limit: RequestLimit) -> Response | None:
    """Without JavaScript the refusal is the page with the number still in the field; with
    htmx (and for Temukan KPJ lama) the toast of webapp.errors, the form left as it is."""
    if htmx.is_htmx() or request.endpoint != "kpj.kirim" or not current_user.is_authenticated:
        return None
    error = too_many_text(limit_wait_minutes(limit.reset_at))
    segment = _chosen_segment(request.form.get("segmen"))
    page = _page(segment, kpj=request.form.get("kpj", ""), errors={"kpj": error})
    return make_response(page, 429)


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
        exempt_when=lambda: _second_tap() is not None,
        on_breach=_refused,
    ),
    limiter.shared_limit(
        lambda: current_app.config["ADD_KPJ_LIMIT_PER_IP"],
        scope="tambah-kpj-ip",
        methods=["POST"],
        deduct_when=_recorded,
        exempt_when=lambda: _second_tap() is not None,
        on_breach=_refused,
    ),
]


def attempt_limited(view):
    for limit in _limits:
        view = limit(view)
    return view


def _chosen_segment(value: str | None) -> Segment | None:
    return Segment(value) if value in Segment.__members__ else None


def _number(value: str | None) -> int | None:
    """A row id from a form or query; anything else (or past BIGINT) is no row at all."""
    if value and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


REQUEST_LINKS = {
    RequestKind.CORRECTION: ("Ajukan perbaikan data", "requests.perbaikan"),
    RequestKind.OWNERSHIP: ("Kartu ini milik saya", "requests.milik_saya"),
}


@bp.app_template_global()
def next_step_link(transaction: Transaction, notice: Notice) -> tuple[str, str] | None:
    """Where an attempt's next step is, in its toast and in Riwayat: the segment to choose,
    or the request to file. The link names the attempt, not its number: the page fills
    the KPJ in from it."""
    if notice.request_to_file is not None:
        label, endpoint = REQUEST_LINKS[notice.request_to_file]
        return label, url_for(endpoint, transaksi=transaction.id)
    if notice.segment_to_choose is None:
        return None
    segment = notice.segment_to_choose.value
    url = url_for("kpj.tambah", segmen=segment, ulang=transaction.id)
    return f"Pilih segmen {segment}", url


def _announce(result: AddResult) -> None:
    notice = describe(result.transaction)
    link = next_step_link(result.transaction, notice)
    toast(notice.level, notice.title, notice.text, steps=notice.steps, link=link)


@bp.get("/pengaturan/tambah-kpj")
@login_required
def tambah():
    segment = _chosen_segment(request.args.get("segmen"))
    kpj = ""
    if segment is not None:
        kpj = wrong_segment_kpj(current_user, _number(request.args.get("ulang")), segment)
    if htmx.is_htmx() and htmx.target() == "segment-form":
        return htmx.vary(_form_fragment(segment, kpj=kpj))
    return htmx.vary(_page(segment, kpj=kpj))


@bp.post("/pengaturan/tambah-kpj/segmen")
@login_required
def ganti_segmen():
    """Another segment chosen: its form, with the KPJ typed so far still in the field."""
    segment = _chosen_segment(request.form.get("pilih"))
    kpj = request.form.get("kpj", "")
    address = url_for("kpj.tambah", segmen=segment.value if segment else None)
    if htmx.is_htmx():
        response = htmx.vary(_form_fragment(segment, kpj=kpj))
        response.headers["HX-Push-Url"] = address
        return response
    if not kpj:
        return redirect(address, 303)
    return _page(segment, kpj=kpj)


@bp.post("/pengaturan/tambah-kpj")
@login_required
@attempt_limited
def kirim():
    segment = _chosen_segment(request.form.get("segmen"))
    earlier = _second_tap()
    if earlier is not None:
        return _form_fragment(segment, linked=earlier)  # nothing changes on the screen
    parsed = parse_add_request(request.form.get("kpj"), request.form.get("segmen"))
    if isinstance(parsed, dict):
        kpj = request.form.get("kpj", "")
        if htmx.is_htmx():
            return _form_fragment(segment, kpj=kpj, errors=parsed), 422
        return _page(segment, kpj=kpj, errors=parsed), 422
    result = add_kpj(current_user, parsed)
    _announce(result)
    if not htmx.is_htmx():
        if not result.linked:
            # Kept on the page, not redirected: the number stays in the field to correct.
            return _page(segment, kpj=parsed.kpj)
        return redirect(url_for("kpj.tambah", segmen=segment.value), 303)
    # A failed attempt keeps the number so the user can correct it.
    if result.linked:
        fragment = _form_fragment(segment, linked=result.transaction)
    else:
        fragment = _form_fragment(segment, kpj=parsed.kpj)
    return (
        fragment
        + render_template("_toast_oob.html")
        + render_template("_kpj_list.html", cards=linked_cards(current_user), oob=True)
    )


def _form_fragment(
    segment: Segment | None,
    kpj: str = "",
    errors: dict | None = None,
    linked: Transaction | None = None,
) -> str:
    return render_template(
        "kpj/_form.html",
        segment=segment,
        kpj=kpj,
        errors=errors or {},
        help=SEGMENT_HELP,
        linked=linked,
    )


def _page(segment: Segment | None, kpj: str = "", errors: dict | None = None) -> str:
    return render_template(
        "kpj/tambah.html",
        segment=segment,
        kpj=kpj,
        errors=errors or {},
        help=SEGMENT_HELP,
        linked=None,
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
        "differences": lambda card: membership_differences(card, current_user.person),
    }
