"""Device cookies (OWASP "Slow down online guessing attacks with device cookies").

A browser that has signed in to an account carries a signed cookie naming that account
and a random nonce. Its failed sign-ins are counted against its own small budget; every
other browser's failures share one budget per account. When the shared budget is spent,
unknown browsers wait, but the owner's known browser with the right password gets in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "kpjku_perangkat"
MAX_AGE = 60 * 60 * 24 * 365


@dataclass(frozen=True)
class Device:
    account_id: int
    nonce: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="device-cookie")


def presented() -> Device | None:
    """The device cookie this browser sent, if it is one we signed."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        account_id, nonce = _serializer().loads(raw)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(account_id, int) or not isinstance(nonce, str):
        return None
    return Device(account_id, nonce)


def nonce_for(account_id: int) -> str | None:
    """The nonce of this browser's device cookie when it belongs to account_id."""
    device = presented()
    return device.nonce if device and device.account_id == account_id else None


def issue(response: Response, account_id: int) -> None:
    """A fresh cookie after every successful sign-in; only the login form needs it."""
    value = _serializer().dumps([account_id, secrets.token_hex(16)])
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        path="/masuk",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
