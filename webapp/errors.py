"""Error pages. An htmx request gets a toast instead of a page."""

from __future__ import annotations

import time

from flask import Flask, render_template
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp import htmx
from webapp.extensions import db, limiter
from webapp.formatting import wait_minutes

MESSAGES = {
    400: ("Permintaan tidak dapat diproses", "Periksa kembali isian Anda lalu coba lagi."),
    403: ("Akses ditolak", "Anda tidak berhak membuka halaman ini."),
    404: ("Halaman tidak ditemukan", "Alamat yang Anda buka tidak ada atau bukan milik akun Anda."),
    405: ("Permintaan tidak dapat diproses", "Cara membuka halaman ini tidak didukung."),
    413: ("Isian terlalu besar", "Kurangi isian Anda lalu coba lagi."),
    429: (
        "Terlalu banyak percobaan",
        "Demi keamanan, percobaan dibatasi. Tunggu beberapa saat lalu coba lagi.",
    ),
    500: ("Terjadi kesalahan pada sistem", "Kami sudah mencatatnya. Silakan coba lagi sebentar lagi."),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)


def render_error(code: int, title: str | None = None, text: str | None = None):
    default_title, default_text = MESSAGES.get(code, MESSAGES[400])
    title, text = title or default_title, text or default_text
    if htmx.is_htmx():
        # Only the toast, out of band: the element that made the request stays as it is.
        html = render_template("_toast_oob.html", level="error", title=title, text=text)
        return html, code, {"HX-Reswap": "none"}
    return render_template("error.html", code=code, title=title, text=text), code


def _csrf_error(error: CSRFError):
    return render_error(
        400, "Sesi formulir kedaluwarsa", "Muat ulang halaman lalu kirim formulir sekali lagi."
    )


def too_many_text(minutes: int) -> str:
    return f"Demi keamanan, percobaan dibatasi. Coba lagi dalam {minutes} menit."


def limit_wait_minutes(reset_at: float) -> int:
    """Minutes until a Flask-Limiter window lets a request in. Its reset_at is the reset
    time plus one second, truncated (flask_limiter.wrappers.RequestLimit.reset_at)."""
    return wait_minutes(reset_at - 1 - time.time())


def _rate_limited(error: RateLimitExceeded):
    if error.response is not None:  # the view's own answer, e.g. the login form kept filled
        return error.response
    current = limiter.current_limit
    minutes = limit_wait_minutes(current.reset_at) if current else 1
    return render_error(429, text=too_many_text(minutes))


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code == 500:
        return _server_error(error)
    return render_error(error.code)


def _server_error(error: Exception):
    # Flask has already logged the exception; leave the session usable for the page.
    db.session.rollback()
    return render_error(500)
