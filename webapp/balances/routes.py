"""Saldo JHT dan JP per KPJ (DESIGN §3.8): the card page, its statement as CSV and a
printable statement. Only the card's owner sees any of them; to everyone else a card
does not exist."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import current_user, login_required

from webapp.balances import bp, export, services
from webapp.balances.services import CardStatement


@bp.get("/kartu/<kpj>")
@login_required
def kartu(kpj: str):
    return render_template("balances/kartu.html", statement=_own_statement(kpj))


@bp.get("/kartu/<kpj>/laporan.csv")
@login_required
def laporan_csv(kpj: str):
    statement = _own_statement(kpj)
    # The BOM makes Excel read the file as UTF-8.
    response = Response("\ufeff" + export.statement_csv(statement), mimetype="text/csv")
    filename = f"laporan-jht-{statement.card.kpj}-{statement.as_of.isoformat()}.csv"
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/kartu/<kpj>/cetak")
@login_required
def cetak(kpj: str):
    return render_template("balances/cetak.html", statement=_own_statement(kpj))


def _own_statement(kpj: str) -> CardStatement:
    # Unknown and someone else's card get the same 404, before any work is done on it,
    # so nothing is learnt by guessing.
    card = services.owned_card(current_user.id, kpj)
    if card is None:
        abort(404)
    return services.card_statement(kpj, services.today(), card=card)
