"""Antrean klaim (claims officers, admins): open claims oldest first; a claim's page with
its amounts, bank account, documents and timeline; moving it one stage or rejecting it
through claims.services.advance, the service `flask claims advance` calls."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select

from webapp import audit
from webapp.backoffice import bp, needs, queues, signed_in
from webapp.balances.services import today
from webapp.claims import services as claims_services
from webapp.claims import terms
from webapp.extensions import db
from webapp.models import Account, Claim
from webapp.permissions import Permission
from webapp.toasts import toast



def _claim(public_id: str) -> Claim:
    claim = db.session.scalar(select(Claim).where(Claim.public_id == public_id))
    if claim is None:
        abort(404)
    return claim


@bp.get("/klaim")
@needs(Permission.MOVE_CLAIMS)
def klaim():
    return render_template("petugas/klaim_antrean.html", claims=queues.open_claims(), terms=terms)


def _page(claim: Claim, errors: dict[str, str], status: int = 200):
    officer = signed_in()
    claimant = db.session.get_one(Account, claim.account_id)
    stages = terms.STAGE_ORDER
    following = (
        stages[stages.index(claim.stage_enum) + 1] if claim.stage_enum.is_open else None
    )
    return render_template(
        "petugas/klaim.html",
        claim=claim,
        claimant=claimant,
        following=following,
        refusal=claims_services.may_move(officer, claim),
        timeline=claims_services.timeline(claim),
        documents=claims_services.documents(claim),
        terms=terms,
        errors=errors,
    ), status


@bp.get("/klaim/<public_id>")
@needs(Permission.MOVE_CLAIMS)
def klaim_detail(public_id: str):
    claim = _claim(public_id)
    audit.record(
        "claim.view",
        officer=signed_in(),
        member_nik=claims_services.claimant_nik(claim),
        target=f"claim:{claim.public_id}",
    )
    db.session.commit()
    return _page(claim, {})


@bp.post("/klaim/<public_id>")
@needs(Permission.MOVE_CLAIMS)
def klaim_proses(public_id: str):
    claim = _claim(public_id)
    reason = request.form.get("alasan", "") if request.form.get("aksi") == "tolak" else None
    try:
        moved = claims_services.advance(
            claim.id, today(), reject=reason, officer=signed_in(), expected=request.form.get("tahap") or ""
        )
    except claims_services.ReasonMissing as error:
        return _page(claim, {"alasan": str(error)}, 422)
    except claims_services.StageError as error:
        toast("warning", "Klaim tidak dipindahkan", str(error))
        return redirect(url_for("backoffice.klaim_detail", public_id=public_id), 303)
    stage = terms.STAGE_LABELS[moved.stage_enum]
    toast("success", "Klaim diproses", f"Klaim sekarang di tahap {stage}.")
    return redirect(url_for("backoffice.klaim"), 303)
