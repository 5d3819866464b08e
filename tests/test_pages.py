"""Pages, headers, configuration and the PWA files."""

import json
import re

import pytest

from config import ProductionConfig
from tests import factories
from tests.querycount import count_queries
from webapp import create_app


@pytest.fixture
def member(app, auth):
    person = factories.person(full_name="BUDI SANTOSO")
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    auth.login("budi@contoh.id")
    return account


@pytest.mark.parametrize("path", ["/profil", "/pengaturan", "/pengaturan/tambah-kpj", "/riwayat", "/pengaturan/temukan-kpj"])
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk?next=")


def test_anonymous_home_invites_to_log_in_or_register(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/masuk"' in html and 'href="/daftar"' in html


def test_profil_masks_the_nik(client, member):
    html = client.get("/profil").get_data(as_text=True)
    assert member.nik not in html
    assert "••••••••••••" + member.nik[-4:] in html
    assert "budi@contoh.id" in html


def test_security_headers_and_cookie_flags(client, member):
    response = client.get("/profil")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<script>" not in html, "inline scripts are forbidden by the CSP"
    assert not re.search(r"<[^>]*\son[a-z]+=", html), "inline handlers are forbidden by the CSP"


def test_session_cookie_is_httponly_and_lax(app, client, member):
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_cookies_are_secure_and_limits_shared():
    # Checked on the class: building a second app would rebind the shared limiter.
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.RATELIMIT_STORAGE_URI.startswith("redis://")


def test_manifest_and_service_worker_are_served_from_the_root(client):
    with client.get("/manifest.webmanifest") as manifest:
        assert manifest.mimetype == "application/manifest+json"
        assert manifest.json["start_url"] == "/"
        assert {icon["sizes"] for icon in manifest.json["icons"]} >= {"192x192", "512x512"}
    with client.get("/sw.js") as worker:
        assert worker.status_code == 200
        assert "javascript" in worker.mimetype


def test_service_worker_never_caches_pages_with_personal_data(client):
    with client.get("/sw.js") as response:
        source = response.get_data(as_text=True)
    precache = json.loads(source.split("const PRECACHE = ")[1].split(";")[0].replace(",\n]", "]"))
    assert precache, "the static files are precached"
    assert all(url.startswith("/static/") for url in precache), "nothing but static files"


def test_beranda_runs_a_fixed_number_of_queries_for_five_cards(app, client, member):
    from datetime import date

    for index in range(4):
        card = factories.membership(member.person, status="NONAKTIF")
        factories.link(card, member)
        for month in range(1, 13):
            factories.contribution(card, date(2015 + index, month, 1))
    from webapp.extensions import db

    db.session.commit()
    with count_queries() as queries:
        response = client.get("/")
    assert response.status_code == 200
    # 6, and the tab bar's one COUNT of unread notifications.
    assert queries.count <= 7, queries.statements



@pytest.mark.parametrize(("hops", "seen"), [(0, "10.0.0.1"), (1, "203.0.113.9")])
def test_the_client_address_comes_from_trusted_proxies_only(hops, seen):
    from flask import Flask, request

    from webapp import trust_proxies

    bare = Flask(__name__)
    bare.config["TRUSTED_PROXIES"] = hops
    bare.get("/")(lambda: request.remote_addr)
    trust_proxies(bare)
    response = bare.test_client().get(
        "/", environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert response.get_data(as_text=True) == seen


# The service worker keeps nothing personal: static files and an offline page rendered
# without a session (DESIGN §7).


def test_the_offline_page_carries_no_session_token_toast_or_personal_data(client, member):
    client.get("/profil")  # a toast waits in the session
    response = client.get("/offline")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "csrf" not in html.lower() and "X-CSRFToken" not in html
    assert "toast" not in html
    assert member.email not in html and "BUDI" not in html and member.nik[-4:] not in html
    assert "Coba lagi" in html
    assert "Set-Cookie" not in response.headers


def test_the_service_worker_precaches_the_offline_page_without_cookies(client):
    with client.get("/sw.js") as response:
        source = response.get_data(as_text=True)
    assert 'new Request("/offline", { credentials: "omit" })' in source
    precache = source.split("const PRECACHE = [")[1].split("];")[0]
    assert '"/offline"' not in precache
    assert all(line.strip().startswith('"/static/') for line in precache.strip().splitlines())
