"""Daftar (with e-mail verification), masuk, keluar, lupa and ubah kata sandi, and
Keamanan akun."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from webapp import sessions
from webapp.auth import bp, devices, events, passwords, services, signin
from webapp.auth.accounts import email_key, parse_email
from webapp.errors import limit_wait_minutes, too_many_text
from webapp.extensions import limiter
from webapp.formatting import mask_email
from webapp.forms import missing
from webapp.security import safe_next
from webapp.toasts import toast

WRONG_LOGIN = "Email atau kata sandi salah."
LOGIN_LABELS = {"email": "Email", "password": "Kata sandi"}
# Logging out empties what this site keeps in the browser (the service worker's caches
# included) but not the cookies: the device cookie must outlive the session.
CLEAR_SITE_DATA = '"cache", "storage"'


def _refused(response) -> bool:
    """Only refused attempts count against the limits: a user who gets in pays nothing,
    and neither does a form sent with a field left empty."""
    return response.status_code != 303 and not g.get("form_incomplete", False)


def _identity_refused(response) -> bool:
    """Registration: only attempts that reached the identity check and were refused count
    against the per-address limit. Typos caught by the field checks cost nothing, so a
    shared address (a warnet, an office) is not locked out by them."""
    return g.get("identity_checked", False) and response.status_code != 303


def _reset_email_key() -> str:
    return "reset-email:" + email_key(request.form.get("email", ""))


def _login_refused(minutes: int):
    error = (
        f"Terlalu banyak percobaan masuk yang gagal. Demi keamanan, coba lagi dalam {minutes} "
        "menit, atau atur ulang kata sandi lewat Lupa kata sandi. Perangkat yang pernah Anda "
        "pakai untuk masuk tetap bisa masuk dengan kata sandi yang benar."
    )
    email = request.form.get("email", "")
    page = render_template("auth/login.html", email=email, error=error, errors={})
    return make_response(page, 429)


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT"],
    methods=["POST"],
    deduct_when=_refused,
    on_breach=lambda limit: _login_refused(limit_wait_minutes(limit.reset_at)),
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.beranda"))
    if request.method == "GET":
        return render_template("auth/login.html", email="", error=None, errors={})
    email = request.form.get("email", "")
    empty = missing(request.form, LOGIN_LABELS)
    if empty:
        g.form_incomplete = True
        return render_template("auth/login.html", email=email, error=None, errors=empty), 422
    result = signin.sign_in(email, request.form.get("password", ""), devices.presented())
    if isinstance(result, signin.Refused):
        if result.wait_minutes:
            return _login_refused(result.wait_minutes)
        return render_template("auth/login.html", email=email, error=WRONG_LOGIN, errors={}), 422
    toast("success", "Selamat datang", "Anda sudah masuk.")
    response = redirect(safe_next(request.args.get("next")) or url_for("main.beranda"), 303)
    devices.issue(response, result.id)
    return response


@bp.post("/keluar")
@login_required
def logout():
    signin.sign_out(current_user)
    return _signed_out("Anda sudah keluar", "Sampai jumpa lagi.")


def _signed_out(title: str, text: str) -> Response:
    toast("info", title, text)
    response = redirect(url_for("auth.login"), 303)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def _register_refused(minutes: int) -> Response:
    message = (
        f"Terlalu banyak percobaan pendaftaran dari jaringan ini. Demi keamanan, coba lagi "
        f"dalam {minutes} menit. Isian Anda tetap di sini; kata sandi perlu diisi lagi."
    )
    return make_response(_register_form({"limit": message}), 429)


def _register_form(errors: dict[str, str]) -> str:
    """The registration form as it was sent: every field kept but the passwords, which are
    never echoed back into the page."""
    form = {key: value for key, value in request.form.items() if not key.startswith("password")}
    return render_template("auth/register.html", form=form, errors=errors)


@bp.route("/daftar", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["REGISTER_LIMIT"],
    methods=["POST"],
    deduct_when=_identity_refused,
    on_breach=lambda limit: _register_refused(limit_wait_minutes(limit.reset_at)),
)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.beranda"))
    if request.method == "GET":
        return render_template("auth/register.html", form={}, errors={})
    parsed = services.parse_registration(request.form.to_dict())
    if isinstance(parsed, dict):
        return _register_form(parsed), 422
    g.identity_checked = True
    result = services.register(parsed)
    if isinstance(result, services.AlreadyRegistered):
        return render_template("auth/sudah_terdaftar.html", masked_email=result.masked_email)
    if isinstance(result, dict):
        return _register_form(result), 422
    session["registered_email"] = mask_email(result.email)
    return redirect(url_for("auth.periksa_email"), 303)


@bp.get("/daftar/periksa-email")
def periksa_email():
    masked = session.get("registered_email")
    if not masked:
        return redirect(url_for("auth.register"))
    return render_template("auth/periksa_email.html", masked_email=masked)


@bp.route("/daftar/aktifkan/<token>", methods=["GET", "POST"])
def verifikasi(token: str):
    if request.method == "GET":
        if services.pending_registration(token) is None:
            return render_template("auth/tautan.html", message=services.LINK_INVALID), 410
        return render_template("auth/aktifkan.html", token=token)
    result = services.verify(token)
    if isinstance(result, services.VerifyFailure):
        return render_template("auth/tautan.html", message=result), 410
    if isinstance(result, dict):
        return render_template("auth/tautan.html", message=result["kpj"]), 409
    session.pop("registered_email", None)
    toast("success", "Akun Anda aktif", "KPJ Anda sudah terhubung. Selamat datang di KPJku.")
    if result.nik_date_differs:
        toast(
            "info",
            "Tanggal lahir di NIK berbeda",
            "Tanggal lahir yang tersirat di NIK Anda berbeda dengan tanggal lahir di data "
            "kependudukan. Ini wajar terjadi dan tidak menghalangi apa pun.",
        )
    response = redirect(url_for("main.beranda"), 303)
    devices.issue(response, result.account.id)
    return response


def _reset_refused(limit) -> Response:
    """The form again, the address still in it, saying how long to wait."""
    errors = {"email": too_many_text(limit_wait_minutes(limit.reset_at))}
    email = request.form.get("email", "")
    return make_response(render_template("auth/lupa_sandi.html", email=email, errors=errors), 429)


@bp.route("/lupa-sandi", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"], on_breach=_reset_refused
)
@limiter.limit(
    lambda: current_app.config["RESET_LIMIT_PER_EMAIL"],
    key_func=_reset_email_key,
    methods=["POST"],
    on_breach=_reset_refused,
)
def lupa_sandi():
    if request.method == "GET":
        return render_template("auth/lupa_sandi.html", email="", errors={})
    email = parse_email(request.form.get("email"))
    if isinstance(email, dict):
        return render_template(
            "auth/lupa_sandi.html", email=request.form.get("email", ""), errors=email
        ), 422
    passwords.request_reset(email)
    return redirect(url_for("auth.lupa_sandi_terkirim"), 303)


@bp.get("/lupa-sandi/terkirim")
def lupa_sandi_terkirim():
    return render_template("auth/lupa_sandi_terkirim.html")


@bp.route("/atur-ulang-sandi/<token>", methods=["GET", "POST"])
def atur_ulang_sandi(token: str):
    if request.method == "GET":
        if passwords.live_reset(token) is None:
            return _reset_link_invalid()
        return render_template("auth/atur_ulang.html", token=token, errors={})
    result = passwords.reset_password(
        token, request.form.get("new_password", ""), request.form.get("new_password_confirm", "")
    )
    if result is None:
        return _reset_link_invalid()
    if result:
        return render_template("auth/atur_ulang.html", token=token, errors=result), 422
    return _signed_out(
        "Kata sandi sudah diganti", "Semua perangkat sudah dikeluarkan. Masuk dengan kata sandi baru."
    )


def _reset_link_invalid():
    message = (
        "Tautan atur ulang kata sandi ini tidak berlaku: sudah dipakai, sudah lewat 30 menit, "
        "atau tidak lengkap tersalin. Minta tautan baru lewat Lupa kata sandi."
    )
    return render_template("auth/tautan.html", message=message, retry="auth.lupa_sandi"), 410


@bp.route("/pengaturan/kata-sandi", methods=["GET", "POST"])
@login_required
def ubah_sandi():
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    errors = passwords.change_password(
        current_user,
        request.form.get("current_password", ""),
        request.form.get("new_password", ""),
        request.form.get("new_password_confirm", ""),
    )
    if errors:
        return render_template("auth/password.html", errors=errors), 422
    toast("success", "Kata sandi diubah", "Sesi di perangkat lain sudah diakhiri.")
    return redirect(url_for("main.pengaturan"), 303)


@bp.get("/pengaturan/keamanan")
@login_required
def keamanan():
    return render_template(
        "auth/keamanan.html",
        sessions=sessions.active(current_user.id),
        events=events.recent(current_user.id),
        labels=events.LABELS,
    )


@bp.post("/pengaturan/keamanan/keluar-semua")
@login_required
def keluar_semua():
    ended = signin.sign_out_everywhere(current_user)
    return _signed_out("Anda keluar dari semua perangkat", f"{ended} sesi sudah diakhiri.")


@bp.post("/pengaturan/keamanan/sesi/<int:session_id>/akhiri")
@login_required
def akhiri_sesi(session_id: int):
    if session_id == current_user.current_session_id:
        signin.sign_out(current_user)
        return _signed_out("Anda sudah keluar", "Sesi di perangkat ini sudah diakhiri.")
    if signin.end_session(current_user, session_id):
        toast("success", "Sesi diakhiri", "Perangkat itu harus masuk lagi untuk membuka akun Anda.")
    else:
        toast("info", "Sesi sudah berakhir", "Sesi itu sudah tidak aktif.")
    return redirect(url_for("auth.keamanan"), 303)
