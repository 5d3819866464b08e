"""Pengaturan → Gabung saldo: the plan, then one confirmation. Without JavaScript a plain
POST answers 303; with htmx the same POST answers HX-Redirect, a full page load."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp import htmx
from webapp.balances.services import today
from webapp.merge import bp, messages, services
from webapp.toasts import toast

CHANGED = (
    "Data kartu Anda berubah sejak halaman dibuka, atau saldonya sudah digabung. Tidak ada "
    "yang dipindahkan; periksa rencana yang baru."
)


@bp.get("/pengaturan/gabung-saldo")
@login_required
def gabung():
    return _page(services.plan(current_user, today()))


@bp.post("/pengaturan/gabung-saldo")
@login_required
def konfirmasi():
    result = services.merge(current_user, request.form.getlist("sumber"), today())
    if isinstance(result, services.Changed):
        if htmx.is_htmx():
            toast("warning", "Periksa lagi", CHANGED)
            return htmx.redirect(Response(status=204), url_for("merge.gabung"))
        return _page(result.plan, changed=True), 409
    notice = messages.describe(result.transaction)
    toast(notice.level, notice.title, notice.text)
    target = url_for("balances.kartu", ref=result.target.link_ref)
    if htmx.is_htmx():
        return htmx.redirect(Response(status=204), target)
    return redirect(target, 303)


def _page(plan, changed: bool = False):
    return render_template(
        "merge/gabung.html", plan=plan, changed=CHANGED if changed else None, rule=messages.AMOUNT_RULE
    )
