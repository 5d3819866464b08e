"""Lupa kata sandi (DESIGN §3.16): a single-use link valid 30 minutes, the same answer
whether or not the address has an account, rate limited; a reset ends every session."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import AuthActions, csrf_token
from webapp.extensions import db
from webapp.mail import wait_for_mail
from webapp.models import AuthSession, PasswordReset, SecurityEvent, utcnow

LINK = re.compile(r"http://localhost(/atur-ulang-sandi/[A-Za-z0-9_\-]+)")
NEW = "sandiBaru2026"


@pytest.fixture
def member(app):
    person = factories.person()
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


def ask(client, email):
    return client.post("/lupa-sandi", data={"email": email, "csrf_token": csrf_token(client, "/lupa-sandi")})


def reset_path(smtp) -> str:
    [message] = smtp.wait_for(1)
    assert message["To"] == "budi@contoh.id"
    return LINK.search(message.get_content()).group(1)


def set_password(client, path, password=NEW, confirm=NEW):
    return client.post(
        path,
        data={"new_password": password, "new_password_confirm": confirm, "csrf_token": csrf_token(client, path)},
    )


def _page(client, response) -> str:
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(app, member, smtp):
    known, unknown = app.test_client(), app.test_client()
    to_known, to_unknown = ask(known, "budi@contoh.id"), ask(unknown, "tidakada@contoh.id")
    assert to_known.status_code == to_unknown.status_code == 303
    assert to_known.headers["Location"] == to_unknown.headers["Location"]
    assert _page(known, to_known) == _page(unknown, to_unknown)
    assert [message["To"] for message in smtp.wait_for(1)] == ["budi@contoh.id"]


def test_the_link_sets_a_new_password_and_ends_every_session(app, member, smtp):
    phone, laptop = app.test_client(), app.test_client()
    AuthActions(phone).login("budi@contoh.id")
    AuthActions(laptop).login("budi@contoh.id")
    browser = app.test_client()
    ask(browser, "budi@contoh.id")
    path = reset_path(smtp)
    assert "Kata sandi baru" in browser.get(path).get_data(as_text=True)
    response = set_password(browser, path)
    assert response.status_code == 303 and response.headers["Location"] == "/masuk"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert phone.get("/profil").status_code == 302 and laptop.get("/profil").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(AuthSession.id))) == 0
    assert AuthActions(app.test_client()).login("budi@contoh.id").status_code == 422
    assert AuthActions(app.test_client()).login("budi@contoh.id", NEW).status_code == 303
    assert "PASSWORD_RESET" in db.session.scalars(sa.select(SecurityEvent.kind)).all()


def test_the_link_works_once_and_makes_older_links_useless(app, member, smtp):
    client = app.test_client()
    ask(client, "budi@contoh.id")
    older = reset_path(smtp)
    smtp.clear()
    ask(client, "budi@contoh.id")
    newer = reset_path(smtp)
    assert set_password(client, newer).status_code == 303
    assert set_password(client, newer, "lainLagi2027", "lainLagi2027").status_code == 410
    assert set_password(client, older, "lainLagi2027", "lainLagi2027").status_code == 410
    assert AuthActions(app.test_client()).login("budi@contoh.id", NEW).status_code == 303


def test_the_link_expires_after_30_minutes(app, member, smtp):
    client = app.test_client()
    ask(client, "budi@contoh.id")
    path = reset_path(smtp)
    db.session.execute(sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    page = client.get(path)
    assert page.status_code == 410
    assert "MINTA TAUTAN BARU" in page.get_data(as_text=True)
    assert set_password(client, path).status_code == 410


def test_a_weak_new_password_is_refused_and_the_link_still_works(app, member, smtp):
    client = app.test_client()
    ask(client, "budi@contoh.id")
    path = reset_path(smtp)
    weak = set_password(client, path, "pendek1", "pendek1")
    assert weak.status_code == 422 and "minimal 8 karakter" in weak.get_data(as_text=True)
    assert set_password(client, path).status_code == 303


def test_a_malformed_address_is_a_field_error(client, member, smtp):
    response = ask(client, "bukan-email")
    assert response.status_code == 422
    assert 'id="e-email"' in response.get_data(as_text=True)
    wait_for_mail()
    assert smtp.messages == []


def test_requests_are_rate_limited_per_address(app, member, smtp, caplog):
    caplog.set_level("DEBUG")
    responses = []
    for index in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.3.0.{index}"
        responses.append(ask(client, "budi@contoh.id"))
    assert [response.status_code for response in responses] == [303, 303, 303, 429]
    assert "Coba lagi dalam 60 menit" in responses[-1].get_data(as_text=True)
    assert len(smtp.wait_for(3)) == 3
    app_logs = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert not [line for line in app_logs if "budi@contoh.id" in line], "limit keys hold a keyed hash"
    assert any("reset-email:" in line for line in app_logs), "the limiter did log its key"


def test_a_bogus_token_is_refused(client, member):
    assert client.get("/atur-ulang-sandi/bukan-token").status_code == 410
    assert set_password(client, "/atur-ulang-sandi/bukan-token").status_code == 410
