"""The account e-mails. They carry links and nothing personal: no NIK, no mother's name,
no balance (DESIGN §3.15)."""

from __future__ import annotations

from flask import render_template, url_for

from webapp.mail import send_mail


def send_verification(to: str, token: str) -> None:
    link = url_for("auth.verifikasi", token=token, _external=True)
    send_mail(to, "Aktifkan akun KPJku Anda", render_template("auth/email/verifikasi.txt", link=link))


def send_address_taken(to: str) -> None:
    send_mail(
        to,
        "Pendaftaran KPJku dengan alamat email Anda",
        render_template(
            "auth/email/alamat_terpakai.txt",
            login=url_for("auth.login", _external=True),
            reset=url_for("auth.lupa_sandi", _external=True),
        ),
    )


def send_reset(to: str, token: str) -> None:
    link = url_for("auth.atur_ulang_sandi", token=token, _external=True)
    send_mail(to, "Atur ulang kata sandi KPJku", render_template("auth/email/atur_ulang.txt", link=link))
