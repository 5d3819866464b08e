"""Response headers, the login loader and what an anonymous request gets."""

from __future__ import annotations

from flask import Flask, Response, flash, redirect, request, url_for
from flask_login import current_user

from webapp import htmx, sessions
from webapp.extensions import login_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk untuk membuka halaman ini."
    login_manager.login_message_category = "info"
    app.after_request(_set_headers)


# The cookie names a server-side session, not an account (webapp/sessions.py).
login_manager.request_loader(sessions.load)


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    login_url = url_for("auth.login", next=_here() if request.method == "GET" else None)
    if htmx.is_htmx():
        return htmx.redirect(Response(status=401), login_url)
    flash(login_manager.login_message, "info")
    return redirect(login_url)


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_user.is_authenticated and not request.path.startswith("/static/"):
        # Pages with personal data stay out of every cache, the browser's included.
        headers["Cache-Control"] = "no-store"
    return response


def _here() -> str:
    return request.full_path.rstrip("?")


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
