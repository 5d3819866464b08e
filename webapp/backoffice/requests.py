"""The request queues (reviewers, admins): Perbaikan data and Kartu milik saya, oldest
first; a request's page with the card's registered biodata beside the population record,
the documents, and the decision. The rules, the audit and the no-self-decision check are
webapp/requests/decisions.py's; this module only shows and forwards."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from webapp.backoffice import bp, needs, signed_in
from webapp.backoffice.queues import REQUEST_QUEUES
from webapp.extensions import db
from webapp.models import RequestKind
from webapp.permissions import Permission
from webapp.requests import decisions
from webapp.requests.services import DOCUMENT_LABELS
from webapp.toasts import toast




def _queue(kind: RequestKind):
    label, _ = REQUEST_QUEUES[kind]
    return render_template("petugas/antrean.html", label=label, kind=kind, requests=decisions.queue(kind))


@bp.get("/perbaikan-data")
@needs(Permission.DECIDE_REQUESTS)
def perbaikan_data():
    return _queue(RequestKind.CORRECTION)


@bp.get("/kartu-milik-saya")
@needs(Permission.DECIDE_REQUESTS)
def kartu_milik_saya():
    return _queue(RequestKind.OWNERSHIP)


def _page(public_id: str, errors: dict[str, str], error: str | None = None, reason: str = "", status: int = 200):
    review = decisions.review(public_id, signed_in())
    if review is None:
        abort(404)
    label, endpoint = REQUEST_QUEUES[review.request.kind_enum]
    return render_template(
        "petugas/permintaan.html",
        review=review,
        label=label,
        queue_endpoint=endpoint,
        errors=errors,
        error=error,
        reason=reason,
        document_labels=DOCUMENT_LABELS,
    ), status


@bp.get("/permintaan/<public_id>")
@needs(Permission.DECIDE_REQUESTS)
def permintaan(public_id: str):
    return _page(public_id, {})


@bp.post("/permintaan/<public_id>/setujui")
@needs(Permission.DECIDE_REQUESTS)
def setujui(public_id: str):
    return _decide(public_id, approve=True)


@bp.post("/permintaan/<public_id>/tolak")
@needs(Permission.DECIDE_REQUESTS)
def tolak(public_id: str):
    return _decide(public_id, approve=False)


def _decide(public_id: str, *, approve: bool):
    found = decisions.find(public_id)
    if found is None:
        abort(404)
    reason = request.form.get("alasan") or ""
    if not approve:
        try:
            reason = decisions.check_reason(reason)
        except decisions.DecisionError as problem:
            return _page(public_id, {"alasan": str(problem)}, reason=reason, status=422)
    try:
        decided = decisions.approve(public_id, signed_in()) if approve else decisions.reject(public_id, signed_in(), reason)
    except decisions.DecisionError as error:
        db.session.rollback()
        return _page(public_id, {}, error=str(error), reason=reason, status=409)
    _, endpoint = REQUEST_QUEUES[decided.kind_enum]
    if approve:
        toast("success", "Permintaan disetujui", "Peserta diberi tahu dan sekarang bisa menambahkan kartunya.")
    else:
        toast("success", "Permintaan ditolak", "Peserta diberi tahu beserta alasannya.")
    return redirect(url_for(endpoint), 303)
