"""Daftar, masuk, keluar, ubah kata sandi."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth import bp, services
from webapp.extensions import limiter
from webapp.security import safe_next
from webapp.toasts import toast


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _refused(response) -> bool:
    """Only refused attempts count against the limits: a user who gets in pays nothing."""
    return response.status_code != 303


def _login_email_key() -> str:
    return "login-email:" + services.normalise_email(request.form.get("email", ""))


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_refused)
@limiter.limit(_login_limit, key_func=_login_email_key, methods=["POST"], deduct_when=_refused)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.beranda"))
    if request.method == "GET":
        return render_template("auth/login.html", email="", error=None)
    email = request.form.get("email", "")
    account = services.authenticate(email, request.form.get("password", ""))
    if account is None:
        return render_template(
            "auth/login.html", email=email, error="Email atau kata sandi salah."
        ), 422
    login_user(account)
    toast("success", "Selamat datang", "Anda sudah masuk.")
    return redirect(safe_next(request.args.get("next")) or url_for("main.beranda"), 303)


@bp.post("/keluar")
@login_required
def logout():
    logout_user()
    toast("info", "Anda sudah keluar", "Sampai jumpa lagi.")
    return redirect(url_for("auth.login"), 303)


@bp.route("/daftar", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"], deduct_when=_refused)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.beranda"))
    if request.method == "GET":
        return render_template("auth/register.html", form={}, errors={})
    form = request.form.to_dict()
    parsed = services.parse_registration(form)
    result = parsed if isinstance(parsed, dict) else services.register(parsed)
    if isinstance(result, dict):
        for secret in ("password", "password_confirm"):
            form.pop(secret, None)  # never echoed back into the page
        return render_template("auth/register.html", form=form, errors=result), 422
    login_user(result.account)
    toast("success", "Pendaftaran berhasil", "Akun Anda sudah dibuat dan KPJ Anda sudah terhubung.")
    if result.nik_date_differs:
        toast(
            "info",
            "Tanggal lahir di NIK berbeda",
            "Tanggal lahir yang tersirat di NIK Anda berbeda dengan tanggal lahir di data "
            "kependudukan. Ini wajar terjadi dan tidak menghalangi apa pun.",
        )
    return redirect(url_for("main.beranda"), 303)


@bp.route("/pengaturan/kata-sandi", methods=["GET", "POST"])
@login_required
def ubah_sandi():
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    errors = services.change_password(
        current_user,
        request.form.get("current_password", ""),
        request.form.get("new_password", ""),
        request.form.get("new_password_confirm", ""),
    )
    if errors:
        return render_template("auth/password.html", errors=errors), 422
    login_user(current_user._get_current_object())  # the new session token keeps this session, ends the others
    toast("success", "Kata sandi diubah", "Sesi di perangkat lain sudah diakhiri.")
    return redirect(url_for("main.pengaturan"), 303)
