"""Masuk petugas: e-mail and password, then the TOTP code (with the enrolment QR until
the first good code); keluar."""

from __future__ import annotations

from flask import current_app, g, make_response, redirect, render_template, request, url_for
from markupsafe import Markup

from webapp.auth.signin import Refused
from webapp.backoffice import bp
from webapp.errors import limit_wait_minutes
from webapp.extensions import db, limiter
from webapp.forms import missing
from webapp.models import Officer
from webapp.officers import services, totp
from webapp.officers import sessions as officer_sessions
from webapp.toasts import toast

WRONG_LOGIN = "Email atau kata sandi salah."
WRONG_CODE = "Kode salah atau sudah pernah dipakai. Tunggu kode berikutnya di aplikasi autentikator."
LOGIN_LABELS = {"email": "Email", "password": "Kata sandi"}
# Per client address, like the participants' LOGIN_LIMIT; each officer also has a
# failure budget of their own (webapp/officers/services.py).
SIGN_IN_LIMIT = "10 per 15 minutes"


def _too_many(minutes: int) -> str:
    return f"Terlalu banyak percobaan yang gagal. Demi keamanan, coba lagi dalam {minutes} menit."


def _refused_attempt(response) -> bool:
    return response.status_code != 303 and not g.get("form_incomplete", False)


def _limited(template: str, **context):
    def answer(limit):
        error = _too_many(limit_wait_minutes(limit.reset_at))
        return make_response(render_template(template, error=error, errors={}, **context), 429)

    return answer


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("OFFICER_SIGN_IN_LIMIT", SIGN_IN_LIMIT),
    methods=["POST"],
    deduct_when=_refused_attempt,
    on_breach=lambda limit: _limited("petugas/masuk.html", email=request.form.get("email", ""))(limit),
)
def masuk():
    if officer_sessions.current() is not None:
        return redirect(url_for("backoffice.dasbor"))
    if request.method == "GET":
        return render_template("petugas/masuk.html", email="", error=None, errors={})
    email = request.form.get("email", "")
    empty = missing(request.form, LOGIN_LABELS)
    if empty:
        g.form_incomplete = True
        return render_template("petugas/masuk.html", email=email, error=None, errors=empty), 422
    result = services.check_password(email, request.form.get("password", ""))
    if isinstance(result, Refused):
        error = _too_many(result.wait_minutes) if result.wait_minutes else WRONG_LOGIN
        status = 429 if result.wait_minutes else 422
        return render_template("petugas/masuk.html", email=email, error=error, errors={}), status
    officer_sessions.begin_pending(result)
    return redirect(url_for("backoffice.masuk_kode"), 303)


def _code_page(officer: Officer, error: str | None, status: int = 200):
    enrolling = officer.totp_enrolled_at is None
    return render_template(
        "petugas/kode.html",
        error=error,
        enrolling=enrolling,
        secret=officer.totp_secret if enrolling else None,
        qr=Markup(totp.qr_svg(officer)) if enrolling else None,
    ), status


@bp.route("/masuk/kode", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("OFFICER_SIGN_IN_LIMIT", SIGN_IN_LIMIT),
    methods=["POST"],
    deduct_when=_refused_attempt,
)
def masuk_kode():
    officer_id = officer_sessions.pending()
    officer = db.session.get(Officer, officer_id) if officer_id is not None else None
    if officer is None or not officer.active:
        toast("info", "Masuk lagi", "Langkah kode berlaku 5 menit. Isi email dan kata sandi lagi.")
        return redirect(url_for("backoffice.masuk"), 303 if request.method == "POST" else 302)
    if request.method == "GET":
        return _code_page(officer, None)
    code = request.form.get("kode", "")
    if not code.strip():
        g.form_incomplete = True
        return _code_page(officer, "Kode wajib diisi.", 422)
    result = services.check_code(officer.id, code)
    if isinstance(result, Refused):
        if result.wait_minutes:
            return _code_page(officer, _too_many(result.wait_minutes), 429)
        return _code_page(officer, WRONG_CODE, 422)
    toast("success", "Selamat datang", "Anda masuk sebagai petugas.")
    return redirect(url_for("backoffice.dasbor"), 303)


@bp.post("/keluar")
def keluar():
    officer = officer_sessions.current()
    assert officer is not None  # the blueprint's guard let only officers in
    services.sign_out(officer)
    toast("info", "Anda sudah keluar", "Sesi petugas sudah diakhiri.")
    return redirect(url_for("backoffice.masuk"), 303)
