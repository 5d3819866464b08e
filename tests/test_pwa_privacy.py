"""The service worker keeps nothing personal: it stores static files and an offline page
that is rendered without a session (DESIGN §7)."""

import pytest

from tests import factories


@pytest.fixture
def member(app, auth):
    person = factories.person(full_name="BUDI SANTOSO")
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    auth.login("budi@contoh.id")
    return account


def test_the_offline_page_carries_no_session_token_toast_or_personal_data(client, member):
    client.get("/profil")  # a toast waits in the session
    response = client.get("/offline")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "csrf" not in html.lower() and "X-CSRFToken" not in html
    assert "toast" not in html
    assert member.email not in html and "BUDI" not in html and member.nik[-4:] not in html
    assert "COBA LAGI" in html
    assert "Set-Cookie" not in response.headers


def test_the_service_worker_precaches_the_offline_page_without_cookies(client):
    with client.get("/sw.js") as response:
        source = response.get_data(as_text=True)
    assert 'new Request("/offline", { credentials: "omit" })' in source
    precache = source.split("const PRECACHE = [")[1].split("];")[0]
    assert '"/offline"' not in precache
    assert all(line.strip().startswith('"/static/') for line in precache.strip().splitlines())
