"""Saldo JHT dan JP per KPJ (DESIGN §3.8): the card page, its statement as CSV and a
printable statement, each showing only the programmes of the card's segment (DESIGN §2).
Only the card's owner sees any of them; to everyone else a card does not exist. A card
is addressed by its link_ref, never by its KPJ: URLs end up in access logs and browser
history."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import current_user, login_required

from webapp.balances import bp, export, services
from webapp.balances.services import CardStatement
from webapp.rules import Programme, has_programme


@bp.get("/kartu/<ref>")
@login_required
def kartu(ref: str):
    return render_template("balances/kartu.html", statement=_own_statement(ref))


@bp.get("/kartu/<ref>/laporan.csv")
@login_required
def laporan_csv(ref: str):
    statement = _own_statement(ref, needs=Programme.JHT)
    # The BOM makes Excel read the file as UTF-8.
    response = Response("\ufeff" + export.statement_csv(statement), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={export.filename(statement)}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/kartu/<ref>/cetak")
@login_required
def cetak(ref: str):
    return render_template("balances/cetak.html", statement=_own_statement(ref))


def _own_statement(ref: str, needs: Programme | None = None) -> CardStatement:
    # Unknown and someone else's card get the same 404, before any work is done on it,
    # so nothing is learnt by guessing. A page of a programme the card's segment lacks
    # (the JHT statement of a JAKON card) does not exist either.
    card = services.owned_card(current_user.id, ref)
    if card is None or (needs is not None and not has_programme(card.segment, needs)):
        abort(404)
    return services.card_statement(card.kpj, services.today(), card=card)
