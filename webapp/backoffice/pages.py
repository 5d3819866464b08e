"""Dasbor, Cari peserta, Log audit and the documents, for signed-in officers."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select

from webapp import audit, uploads
from webapp.backoffice import auditlog, bp, members, needs, queues, signed_in
from webapp.extensions import db
from webapp.claims import services as claims_services
from webapp.models import Claim, ClaimDocument, Officer
from webapp.permissions import Permission, allowed



@bp.get("/")
def dasbor():
    return render_template("petugas/dasbor.html", queues=queues.for_officer(signed_in()))


@bp.route("/cari", methods=["GET", "POST"])
@needs(Permission.SEARCH_MEMBERS)
def cari():
    if request.method == "GET":
        return render_template("petugas/cari.html", errors={}, member=None, searched=False)
    number = members.parse_number(request.form.get("nomor"))
    if isinstance(number, str):
        return render_template("petugas/cari.html", errors={"nomor": number}, member=None, searched=False), 422
    member = members.search(signed_in(), number)
    return render_template("petugas/cari.html", errors={}, member=member, searched=True)


@bp.route("/audit", methods=["GET", "POST"])
@needs(Permission.VIEW_AUDIT)
def audit_log():
    form = request.form if request.method == "POST" else {}
    filters, errors = _filters(form)
    number = _int(form.get("halaman")) or 1
    page = auditlog.page(filters, number) if not errors else auditlog.Page([], 1, False)
    return render_template(
        "petugas/audit.html",
        page=page,
        form=form,
        errors=errors,
        actions=auditlog.actions(),
        officers=auditlog.officers(),
    ), (422 if errors else 200)


def _filters(form) -> tuple[auditlog.Filters, dict[str, str]]:
    errors: dict[str, str] = {}
    member_nik = None
    if (form.get("peserta") or "").strip():
        number = members.parse_number(form.get("peserta"))
        if isinstance(number, str):
            errors["peserta"] = number
        else:
            member_nik = members.nik_of(number) or number.value
    action = form.get("aksi") or None
    return auditlog.Filters(_int(form.get("petugas")), member_nik, action), errors


def _int(value: str | None) -> int | None:
    """ASCII digits only: '²' and '①' are digits to str.isdigit() but not to int()."""
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None


@bp.get("/dokumen/<public_id>")
def dokumen(public_id: str):
    """A request's or a claim's document, for the officers whose role works on it; every
    view is audited."""
    officer = signed_in()
    claim_document = db.session.scalar(select(ClaimDocument).where(ClaimDocument.public_id == public_id))
    if claim_document is not None:
        return _claim_document(officer, claim_document)
    return _request_document(officer, public_id)


def _claim_document(officer: Officer, document: ClaimDocument):
    if not allowed(officer, Permission.MOVE_CLAIMS):
        abort(403)
    audit.record(
        "document.view",
        officer=officer,
        member_nik=claims_services.claimant_nik(db.session.get_one(Claim, document.claim_id)),
        target=f"claim-document:{document.public_id}",
        after={"kind": document.kind},
    )
    db.session.commit()
    return _send(document)


def _request_document(officer: Officer, public_id: str):
    from webapp.requests import decisions

    if not allowed(officer, Permission.DECIDE_REQUESTS):
        abort(403)
    document = decisions.document(public_id, officer)
    if document is None:
        abort(404)
    return _send(document)


def _send(document):
    extension = document.stored_name.rsplit(".", 1)[1]
    return uploads.send(document.stored_name, document.content_type, f"{document.kind.lower()}.{extension}")


