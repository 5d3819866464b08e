"""Klaim JHT: the checklist first, then the form (multipart, with or without htmx), the
claim's timeline and its documents (owner only)."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp import htmx, uploads
from webapp.balances.services import today
from webapp.claims import bp, services, terms
from webapp.claims.eligibility import eligibility
from webapp.models import ClaimKind, ClaimReason
from webapp.toasts import toast

PARTIAL_KINDS = (ClaimKind.PARTIAL_10, ClaimKind.PARTIAL_30)


@bp.get("/klaim")
@login_required
def klaim():
    reason = request.args.get("alasan")
    chosen = ClaimReason(reason) if reason in terms.REASON_LABELS else None
    return _form_page(ClaimKind.FULL, chosen)


@bp.get("/klaim/sebagian")
@login_required
def sebagian():
    return _form_page(_partial_kind(request.args.get("bagian")))


@bp.post("/klaim")
@login_required
def ajukan():
    return _submit(ClaimKind.FULL)


@bp.post("/klaim/sebagian")
@login_required
def ajukan_sebagian():
    return _submit(_partial_kind(request.form.get("bagian")))


def _partial_kind(value: str | None) -> ClaimKind:
    return ClaimKind.PARTIAL_30 if value == "30" else ClaimKind.PARTIAL_10


def _submit(kind: ClaimKind):
    as_of = today()
    parsed = services.parse(current_user, request.form, request.files, kind, as_of)
    result = parsed if isinstance(parsed, dict) else services.submit(current_user, parsed, as_of)
    if isinstance(result, dict):
        reason = request.form.get("alasan")
        chosen = ClaimReason(reason) if reason in terms.REASON_LABELS else None
        page = _form_page(kind, chosen, errors=result, form=request.form)
        return page, 422
    toast("success", "Klaim diajukan", "Klaim JHT Anda sudah kami terima dan sedang di tahap Agenda Klaim.")
    target = url_for("claims.status", public_id=result.public_id)
    if htmx.is_htmx():
        return htmx.redirect(Response(status=204), target)
    return redirect(target, 303)


def _form_page(kind: ClaimKind, reason: ClaimReason | None = None, errors=None, form=None) -> str:
    as_of = today()
    verdict = eligibility(current_user, as_of, reason, kind)
    gross = verdict.gross
    return render_template(
        "claims/klaim.html",
        kind=kind,
        partial=kind in PARTIAL_KINDS,
        verdict=verdict,
        reason=reason,
        reasons=terms.REASON_LABELS,
        banks=terms.BANKS,
        documents=terms.DOCUMENTS,
        with_npwp=services.amounts(gross, True),
        without_npwp=services.amounts(gross, False),
        needs_video=kind is ClaimKind.FULL and gross > terms.ONLINE_LIMIT,
        slots=services.video_slots(as_of),
        errors=errors or {},
        form=form or {},
    )


@bp.get("/klaim/<public_id>")
@login_required
def status(public_id: str):
    claim = _own(public_id)
    return render_template(
        "claims/status.html",
        claim=claim,
        events=services.timeline(claim),
        documents=services.documents(claim),
        stages=terms.STAGE_ORDER,
        labels=terms.STAGE_LABELS,
        reasons=terms.REASON_LABELS,
        document_labels=terms.DOCUMENTS,
        banks=terms.BANKS,
    )


@bp.get("/klaim/<public_id>/dokumen/<document_id>")
@login_required
def dokumen(public_id: str, document_id: str):
    claim = _own(public_id)
    document = next((d for d in services.documents(claim) if d.public_id == document_id), None)
    if document is None:
        abort(404)
    name = f"{document.kind.lower()}.{document.stored_name.rsplit('.', 1)[1]}"
    return uploads.send(document.stored_name, document.content_type, name)


def _own(public_id: str):
    claim = services.owned_claim(current_user, public_id)
    if claim is None:
        abort(404)
    return claim
