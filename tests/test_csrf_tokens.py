"""The CSRF token a page carries is signed once per session secret and process
(webapp/security.py): the same token on every page of a session, valid, and another
session's is another."""

from __future__ import annotations

import re
import time

from flask_wtf.csrf import validate_csrf

from tests.conftest import CSRF_HEADER

TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def page_token(client, path: str = "/") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def test_every_page_of_a_session_carries_the_same_valid_token(app, client):
    first = page_token(client)
    time.sleep(1.1)  # Flask-WTF would sign again with a new timestamp
    assert page_token(client, "/masuk") == first
    with client.session_transaction() as session:
        secret = session["csrf_token"]
    with app.test_request_context():
        from flask import session as request_session

        request_session["csrf_token"] = secret
        validate_csrf(first)  # raises if not valid


def test_another_session_gets_another_token(app, client):
    other = app.test_client()
    assert page_token(client) != page_token(other)


def test_the_token_still_works_for_a_form(client, auth):
    """Sign-in posts the page's token: remembered tokens pass Flask-WTF's check."""
    assert CSRF_HEADER.search(client.get("/masuk").get_data(as_text=True))
    assert auth.login("tidak-ada@contoh.id").status_code == 422


def test_a_token_is_remembered_under_the_key_that_signed_it(app, client, monkeypatch):
    first = page_token(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_SECRET_KEY", "another-signing-key")
    time.sleep(1.1)
    assert page_token(client) != first
