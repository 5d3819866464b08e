"""Security headers on every answer, pages and refusals alike; HSTS in production only."""

import pytest

from config import DevelopmentConfig, ProductionConfig, TestingConfig
from tests import factories
from webapp.security import HSTS_POLICY

ANONYMOUS_PAGES = ["/", "/masuk", "/daftar", "/offline", "/tidak-ada", "/masuk?next=%00"]
PERSONAL_PAGES = ["/", "/profil", "/pengaturan", "/riwayat", "/pengaturan/tambah-kpj?segmen=PU",
                  "/pengaturan/temukan-kpj", "/pengaturan/kata-sandi", "/riwayat?halaman=abc"]


@pytest.fixture
def member(app, auth):
    person = factories.person()
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    assert auth.login("budi@contoh.id").status_code == 303
    return account


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_every_answer_carries_the_security_headers(client, path):
    assert_security_headers(client.get(path))


@pytest.mark.parametrize("path", PERSONAL_PAGES)
def test_personal_pages_are_never_stored(client, member, path):
    response = client.get(path)
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_is_sent_where_the_configuration_asks_for_it(app, client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/").headers
    monkeypatch.setitem(app.config, "HSTS", True)
    for path in ("/", "/masuk", "/tidak-ada"):
        assert client.get(path).headers["Strict-Transport-Security"] == HSTS_POLICY
    assert HSTS_POLICY == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize(
    ("config", "hsts"),
    [(ProductionConfig, True), (DevelopmentConfig, False), (TestingConfig, False)],
)
def test_hsts_only_in_production(config, hsts):
    assert config.HSTS is hsts
