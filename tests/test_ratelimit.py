"""Flask-Limiter's check before a request runs only where a limit may apply
(webapp/ratelimit.py): not for /sehat, Beranda or a card page, still for a blueprint that
carries limits. A view's own limits are counted by its decorator either way (sign-in's, in
tests/test_auth.py and tests/test_signin.py)."""

from __future__ import annotations

import secrets

import pytest
from flask import Blueprint

from config import TestingConfig
from webapp import create_app
from webapp.extensions import limiter


@pytest.fixture
def resolved(monkeypatch):
    """How often Flask-Limiter worked out which limits apply to a request."""
    calls = []
    manager = limiter.limit_manager
    original = manager.resolve_limits

    def counting(*args, **kwargs):
        calls.append(kwargs.get("endpoint", args[1] if len(args) > 1 else None))
        return original(*args, **kwargs)

    monkeypatch.setattr(manager, "resolve_limits", counting)
    return calls


def test_no_limiter_work_where_no_limit_applies(client, resolved):
    for path in ("/sehat", "/", "/static/css/app.css", "/offline"):
        assert client.get(path).status_code == 200, path
    assert resolved == []


def test_a_blueprint_with_limits_is_still_checked_before_its_views(tmp_path, resolved):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'limited.sqlite'}",
                     UPLOAD_DIR=str(tmp_path / "uploads"))
    bp = Blueprint(f"limited_{secrets.token_hex(4)}", __name__, url_prefix="/terbatas")
    bp.add_url_rule("/", "index", lambda: "ok")
    limiter.limit("2 per minute")(bp)
    app.register_blueprint(bp)
    client = app.test_client()
    try:
        assert [client.get("/terbatas/").status_code for _ in range(3)] == [200, 200, 429]
        assert resolved  # the control: Flask-Limiter did its work for this blueprint
    finally:
        limiter.reset()



def test_an_app_with_limits_switched_off_starts_and_serves(tmp_path):
    """The scale bench runs the app with RATELIMIT_ENABLED False: Flask-Limiter then adds no
    check before requests, and there is nothing to skip."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'off.sqlite'}",
                     UPLOAD_DIR=str(tmp_path / "uploads"), RATELIMIT_ENABLED=False)
    try:
        assert app.test_client().get("/sehat").status_code == 200
    finally:
        limiter.enabled = True
        limiter.reset()
