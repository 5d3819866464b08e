"""The back office (DESIGN §3, back office) under /petugas: officers only. Every page but
the two sign-in steps needs a live officer session; a participant's session is nothing
here (it names no officer), and an officer's session is nothing to the participant pages
(it names no account)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, Response, abort, redirect, render_template, request, url_for

from webapp.models import Officer, OfficerRole
from webapp.officers import sessions as officer_sessions
from webapp.permissions import Permission, allowed

bp = Blueprint("backoffice", __name__, url_prefix="/petugas")

# Reached without an officer session.
OPEN_ENDPOINTS = {"backoffice.masuk", "backoffice.masuk_kode"}


@bp.before_request
def _officers_only():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if officer_sessions.current() is None:
        return redirect(url_for("backoffice.masuk"), 303 if request.method == "POST" else 302)
    return None


@bp.after_request
def _never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


ROLE_LABELS = {
    OfficerRole.REVIEWER: "peninjau permintaan",
    OfficerRole.CLAIMS: "petugas klaim",
    OfficerRole.ADMIN: "admin",
}


@bp.context_processor
def _officer_in_templates() -> dict[str, object]:
    officer = officer_sessions.current()
    return {
        "officer": officer,
        "role_labels": ROLE_LABELS,
        "may": lambda name: officer is not None and allowed(officer, Permission[name]),
    }


def signed_in() -> Officer:
    """The signed-in officer of a page behind the blueprint's guard."""
    current = officer_sessions.current()
    assert current is not None  # _officers_only let only officers in
    return current


def needs(permission: Permission) -> Callable:
    """The page is for roles with this permission; the others get a 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            officer = officer_sessions.current()
            if officer is None or not allowed(officer, permission):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


ERRORS = {
    403: ("Akses ditolak", "Peran Anda tidak memberi akses ke halaman ini."),
    404: ("Tidak ditemukan", "Yang Anda buka tidak ada atau sudah tidak tersedia."),
}


@bp.errorhandler(403)
@bp.errorhandler(404)
def _officer_error(error):
    title, text = ERRORS[error.code]
    return render_template("petugas/error.html", title=title, text=text), error.code


def init_app(app: Flask) -> None:
    from webapp.backoffice import claims, pages, requests, signin  # noqa: F401

    app.register_blueprint(bp)
