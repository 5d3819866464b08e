"""Security headers on every answer, pages and refusals alike; HSTS in production only."""

import pytest

from config import DevelopmentConfig, ProductionConfig, TestingConfig
from tests import factories
from tests.querycount import count_queries
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


# Answers that show nobody's data: asked with a signed-in cookie, they must not load the
# account (no query) nor vary by cookie, so they cost and cache the same for everyone.
SHARED_ANSWERS = ["/static/css/app.css", "/static/js/app.js", "/sehat", "/manifest.webmanifest"]


@pytest.mark.parametrize("path", SHARED_ANSWERS)
def test_shared_answers_never_load_the_account_nor_vary_by_cookie(app, client, member, path):
    with count_queries() as queries:
        signed_in = client.get(path)
    anonymous = app.test_client().get(path)
    assert queries.count == 0, queries.statements
    assert "Cookie" not in signed_in.headers.get("Vary", "")
    assert signed_in.headers.get("Cache-Control") == anonymous.headers.get("Cache-Control")
    assert signed_in.headers.get("Cache-Control") != "no-store"
    assert signed_in.get_data() == anonymous.get_data()
    signed_in.close()
    anonymous.close()
