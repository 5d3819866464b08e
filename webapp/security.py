"""Response headers, the login loader and what an anonymous request gets."""

from __future__ import annotations

import functools
import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask_login import user_loaded_from_request
from flask_wtf.csrf import generate_csrf

from webapp import assets, htmx, sessions
from webapp.toasts import toast
from webapp.extensions import login_manager


def content_security_policy(style_hashes: tuple[str, ...] = ()) -> str:
    """No inline script ever; inline style only where its hash is listed (the page's own
    stylesheet, inlined so that the first paint waits for no second request: webapp/assets.py)."""
    styles = " ".join(["'self'", *(f"'{digest}'" for digest in style_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
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


CONTENT_SECURITY_POLICY = content_security_policy()

HSTS_POLICY = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk untuk membuka halaman ini."
    login_manager.login_message_category = "info"
    # Flask-Login's session protection hashes the address and browser into every request's
    # session and marks a changed one "not fresh": sessions here are rows on the server,
    # ended by logout or expiry (webapp/sessions.py), and nothing asks for a fresh login,
    # so it only cost a SHA-512 per request and a cookie rewrite after each sign-in.
    login_manager.session_protection = None
    # flask-login's remember-me cookie is never used (sessions live on the server), but its
    # hook reads Flask's session after every request, a static file's included, and a read
    # session makes Flask answer "Vary: Cookie": every shared cache would then keep one copy
    # of app.css per visitor. Without the hook, only requests that use the session vary.
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    app.after_request(_set_headers)
    # The session cookie is decoded only by a request that uses it (not by a static file).
    app.session_interface = sessions.LazySessionInterface()
    user_loaded_from_request.connect(_mark_personal, app)
    if app.config.get("WTF_CSRF_TIME_LIMIT") is None:
        # Flask-WTF offers its csrf_token() twice: as a global and from a context processor.
        app.jinja_env.globals["csrf_token"] = _remembered_csrf_token
        processors = app.template_context_processors[None]
        processors[:] = [processor for processor in processors
                         if processor.__module__ != "flask_wtf.csrf"]


# Flask-WTF signs the session's CSRF secret anew on every page (a key derivation, JSON and
# an HMAC: a sixth of Beranda's rendering). With no time limit on tokens
# (WTF_CSRF_TIME_LIMIT None) a token signed for a secret stays valid as long as the secret,
# so the token of each secret is signed once per process, under the key that signed it.
# Bounded: past the limit it starts over.
_SIGNED_TOKENS: dict[tuple[str, str], str] = {}
_SIGNED_TOKENS_LIMIT = 10_000


def _remembered_csrf_token() -> str:
    config = current_app.config
    name = config["WTF_CSRF_FIELD_NAME"]
    signing_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    secret = session.get(name)
    if secret is not None and name not in g:
        token = _SIGNED_TOKENS.get((signing_key, secret))
        if token is not None:
            setattr(g, name, token)  # where Flask-WTF's forms look for this request's token
            return token
    token = generate_csrf()
    if len(_SIGNED_TOKENS) >= _SIGNED_TOKENS_LIMIT:
        _SIGNED_TOKENS.clear()
    _SIGNED_TOKENS[signing_key, session[name]] = token
    return token


def _mark_personal(_app: Flask, user: object) -> None:
    """The request loaded a signed-in participant: its answer may carry personal data."""
    g.participant_loaded = True


# The cookie names a server-side session, not an account (webapp/sessions.py).
login_manager.request_loader(sessions.load)


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    login_url = url_for("auth.login", next=_here() if request.method == "GET" else None)
    if htmx.is_htmx():
        return htmx.redirect(Response(status=401), login_url)
    # A toast like every other notice: the toast template reads a title, not a bare string.
    toast("info", login_manager.login_message)
    return redirect(login_url)


def _set_headers(response: Response) -> Response:
    """The security headers every answer carries, unless the view set its own."""
    headers = response.headers
    present = set(headers.keys(lower=True))
    for name, value in _security_headers(assets.inline_style_hashes(), current_app.config["HSTS"]):
        if name.lower() not in present:
            headers.add(name, value)
    # Pages with personal data stay out of every cache, the browser's included: any answer
    # whose making loaded the signed-in participant. One that never asked who is signed in
    # (a static file, /sehat, the service worker, the manifest) shows nobody's data, and is
    # not made to load the account from the database just to decide this.
    if g.get("participant_loaded"):
        headers["Cache-Control"] = "no-store"
    return response


@functools.lru_cache(maxsize=8)
def _security_headers(style_hashes: tuple[str, ...], hsts: bool) -> tuple[tuple[str, str], ...]:
    """Worked out once per stylesheet: every answer asks, and a header set answers with an
    exception raised and caught for each header it does not hold."""
    headers = [
        ("Content-Security-Policy", content_security_policy(style_hashes)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        # Only where the site is served over HTTPS: a browser then refuses plain HTTP for a year.
        headers.append(("Strict-Transport-Security", HSTS_POLICY))
    return tuple(headers)


def _here() -> str:
    return request.full_path.rstrip("?")


# More layers of percent-encoding than any link of this site has.
_MAX_DECODINGS = 5
# Controls, format characters (U+200B, U+FEFF), surrogates, and space, line and paragraph
# separators (U+2028): browsers drop or rewrite them, so what was checked is not what is followed.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}


def safe_next(target: str | None) -> str | None:
    """target if it is a path on this site, else None (no open redirect).

    Checked on every percent-decoding of it, down to the last, since a browser or a proxy
    may decode once more: `/%2F/evil.example` and `/%09/evil.example` are other sites to a
    browser. No scheme, no host, no backslash, no control, format or space character."""
    if not target:
        return None
    layer = target
    for _ in range(_MAX_DECODINGS):
        if not _is_plain_path(layer):
            return None
        decoded = unquote(layer)
        if decoded == layer:
            return target
        layer = decoded
    return None


def _is_plain_path(path: str) -> bool:
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return False
    if any(unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in path):
        return False
    if "\ufffd" in path:  # what percent-escapes that are not UTF-8 decode to
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc
