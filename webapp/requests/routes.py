"""Pengaturan → Perbaikan data, Kartu ini milik saya, and the user's requests.

Both forms are multipart and work without JavaScript (Post/Redirect/Get); with htmx the
page's main swaps in place (form errors, 422) or the browser is sent to the request.
A card is addressed by the Tambah KPJ attempt that answered about it or by the reference
Temukan KPJ lama gave it: its number never travels in a URL."""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from webapp import htmx
from webapp.balances.services import today
from webapp.extensions import limiter
from webapp.identity import FIELD_LABELS
from webapp.kpj.services import decode_differences
from webapp.models import MemberRequest, RequestKind, RequestStatus
from webapp.requests import bp, messages, services
from webapp.requests.decisions import documents
from webapp.requests.services import Refusal, Refused
from webapp.toasts import toast


def _account_key() -> str:
    # The limit may be checked before login_required has turned a visitor away.
    return f"account:{getattr(current_user, 'id', None) or get_remote_address()}"


# Filing is cheap to try and costs an officer's time: a budget per account. Only filings
# count; a form sent back with errors does not.
filing_limited = limiter.shared_limit(
    lambda: current_app.config.get("REQUEST_FILING_LIMIT", services.FILING_LIMIT),
    scope="permintaan-account",
    key_func=_account_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code in (204, 303),
)


def _number(value: str | None) -> int | None:
    if value and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


# --- Perbaikan data -------------------------------------------------------------------------


def _correction_target(values) -> tuple[str, dict[str, str]]:
    """The card's KPJ and the handle the page addresses it by (never the KPJ); 404 when
    neither handle names a card of this account's."""
    transaction_id = _number(values.get("transaksi"))
    if transaction_id is not None:
        kpj = services.mismatch_kpj(current_user, transaction_id)
        handle = {"transaksi": str(transaction_id)}
    else:
        reference = values.get("kartu", "")
        kpj = services.found_kpj(current_app.config["SECRET_KEY"], current_user, reference)
        handle = {"kartu": reference}
    if kpj is None:
        abort(404)
    return kpj, handle


@bp.get("/pengaturan/perbaikan-data")
@login_required
def perbaikan():
    kpj, handle = _correction_target(request.args)
    return _correction_page(services.plan_correction(current_user, kpj), handle)


@bp.post("/pengaturan/perbaikan-data")
@login_required
@filing_limited
def ajukan_perbaikan():
    kpj, handle = _correction_target(request.form)
    result = services.file_correction(current_user, kpj, request.files)
    if isinstance(result, MemberRequest):
        return _filed(result, "Permintaan perbaikan data diterima", messages.RECEIVED[1])
    plan = services.plan_correction(current_user, kpj) if isinstance(result, dict) else result
    return _correction_page(plan, handle, errors=result if isinstance(result, dict) else {}), 422


def _correction_page(plan, handle: dict[str, str], errors: dict | None = None) -> str:
    refusal = plan if isinstance(plan, Refusal) else None
    return render_template(
        "requests/perbaikan.html",
        plan=None if refusal else plan,
        refusal=_refusal(refusal),
        handle=handle,
        labels=services.DOCUMENT_LABELS,
        field_name=services.field_name,
        errors=errors or {},
    )


# --- Kartu ini milik saya -------------------------------------------------------------------


@bp.get("/pengaturan/kartu-milik-saya")
@login_required
def milik_saya():
    kpj = services.not_found_kpj(current_user, _number(request.args.get("transaksi"))) or ""
    full = services.open_ownership_count(current_user) >= services.MAX_OPEN_OWNERSHIP
    refusal = _refusal(Refusal(Refused.TOO_MANY_OPEN)) if full else None
    return _ownership_page(form={"kpj": kpj}, refusal=refusal)


@bp.post("/pengaturan/kartu-milik-saya")
@login_required
@filing_limited
def ajukan_milik_saya():
    parsed = services.parse_ownership(request.form, request.files, today().year)
    if isinstance(parsed, dict):
        return _ownership_page(form=request.form, errors=parsed), 422
    result = services.file_ownership(current_user, parsed)
    if isinstance(result, Refusal):
        return _ownership_page(form=request.form, refusal=_refusal(result)), 422
    return _filed(result, *messages.RECEIVED)


def _ownership_page(form, errors: dict | None = None, refusal=None) -> str:
    return render_template(
        "requests/milik_saya.html",
        form=form,
        errors=errors or {},
        refusal=refusal,
        documents={kind: services.DOCUMENT_LABELS[kind] for kind in services.OWNERSHIP_DOCUMENTS},
        first_year=services.FIRST_YEAR,
        this_year=today().year,
    )


# --- The user's requests --------------------------------------------------------------------


@bp.get("/pengaturan/permintaan")
@login_required
def daftar():
    return render_template(
        "requests/daftar.html",
        requests=services.own_requests(current_user),
        kinds=messages.KIND_LABELS,
        statuses=messages.STATUS_LABELS,
    )


@bp.get("/pengaturan/permintaan/<public_id>")
@login_required
def show(public_id: str):
    filed = services.owned_request(current_user, public_id)
    if filed is None:
        abort(404)
    card = services.request_card(filed)
    approved = filed.status_enum is RequestStatus.DISETUJUI
    return render_template(
        "requests/permintaan.html",
        filed=filed,
        notice=messages.describe_request(filed),
        kinds=messages.KIND_LABELS,
        statuses=messages.STATUS_LABELS,
        fields=[FIELD_LABELS[d.field] for d in decode_differences(filed.differences)],
        documents=documents(filed),
        labels=services.DOCUMENT_LABELS,
        add_url=url_for("kpj.tambah", segmen=card.segment) if approved and card else None,
        ownership=filed.kind_enum is RequestKind.OWNERSHIP,
    )


# --- Shared -------------------------------------------------------------------------------


def _filed(filed: MemberRequest, title: str, text: str) -> Response:
    toast("success", title, text)
    target = url_for("requests.show", public_id=filed.public_id)
    if htmx.is_htmx():
        return htmx.redirect(Response(status=204), target)
    return redirect(target, 303)


def _refusal(refusal: Refusal | None) -> dict | None:
    """The refusal's notice and the link to its next step, for the page."""
    if refusal is None:
        return None
    link = None
    if refusal.open_request is not None:
        link = ("Lihat permintaan itu", url_for("requests.show", public_id=refusal.open_request.public_id))
    elif refusal.reason is Refused.NOTHING_DIFFERS and refusal.card is not None:
        link = ("Tambah KPJ sekarang", url_for("kpj.tambah", segmen=refusal.card.segment))
    elif refusal.reason is Refused.NOT_YOURS:
        link = ("Kartu ini milik saya", url_for("requests.milik_saya"))
    return {"notice": messages.refusal_notice(refusal), "link": link}
