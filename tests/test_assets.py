"""Fingerprinted static files cached for a year, compression (brotli and gzip) that keeps
ETags, Vary and Clear-Site-Data right, and a service worker whose release follows the files."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import shutil

import brotli
import pytest

from tests import factories
from tests.conftest import csrf_token
from webapp import assets
from webapp.assets import IMMUTABLE, Assets

FINGERPRINTED = re.compile(r'(?:href|src|data-htmx)="(/static/[^"]+\.[0-9a-f]{10}\.[a-z]+)"')
UNFINGERPRINTED_STATIC = re.compile(r'(?:href|src|data-htmx)="/static/(?![^"]*\.[0-9a-f]{10}\.)[^"]*"')
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.fixture
def member(app, auth):
    person = factories.person()
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    assert auth.login("budi@contoh.id").status_code == 303
    return account


@pytest.mark.parametrize("path", ["/", "/masuk", "/daftar", "/offline", "/tidak-ada"])
def test_pages_link_only_fingerprinted_static_files(client, path):
    html = client.get(path).get_data(as_text=True)
    assert FINGERPRINTED.search(html)
    assert not UNFINGERPRINTED_STATIC.search(html), UNFINGERPRINTED_STATIC.findall(html)


def test_signed_in_pages_and_the_card_pages_link_fingerprinted_files(client, member):
    for path in ("/", "/profil", "/kartu-digital", "/kartu-digital/cetak"):
        html = client.get(path).get_data(as_text=True)
        assert not UNFINGERPRINTED_STATIC.search(html), (path, UNFINGERPRINTED_STATIC.findall(html))


INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@pytest.mark.parametrize("path", ["/", "/masuk", "/daftar", "/tidak-ada"])
def test_the_inlined_stylesheet_is_the_one_the_csp_allows_by_hash(client, path):
    response = client.get(path)
    [style] = INLINE_STYLE.findall(response.get_data(as_text=True))
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = response.headers["Content-Security-Policy"]
    style_src = csp.split("style-src ")[1].split(";")[0]
    assert f"'sha256-{digest}'" in style_src.split() and "unsafe-inline" not in csp
    assert style == (assets.current().folder / "css/app.css").read_text()


def test_the_card_pages_inline_their_stylesheet_too(client, member):
    ref = re.search(r'href="/kartu/([^"/]+)"', client.get("/").get_data(as_text=True)).group(1)
    for path, name in ((f"/kartu/{ref}", "css/statement.css"), ("/kartu-digital", "css/card.css")):
        response = client.get(path)
        styles = INLINE_STYLE.findall(response.get_data(as_text=True))
        assert styles[1:] == [(assets.current().folder / name).read_text()]
        for style in styles:
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]


def test_no_page_needs_a_second_request_before_its_first_paint(client):
    html = client.get("/masuk").get_data(as_text=True)
    head = html.split("</head>")[0]
    assert 'rel="stylesheet"' not in head  # the stylesheet is inlined
    assert not re.search(r"<script\b(?![^>]*\bdefer)[^>]*>", head)


APP_JS = re.compile(r'<script src="(/static/js/app\.[0-9a-f]{10}\.js)" defer data-htmx="([^"]+)"></script>')


@pytest.mark.parametrize("path", ["/", "/masuk", "/daftar", "/tidak-ada"])
def test_htmx_is_requested_only_after_the_first_paint(client, path):
    """htmx (its download and start-up) held up the largest contentful paint whenever the
    browser requested it before the first paint, deferred or not. The page names it only in
    app.js's data-htmx, which app.js reads to insert it after the load event and the first
    contentful paint (tests/e2e/test_htmx_loading.py watches that happen in Chromium); no
    <script>, preload or prefetch of it."""
    html = client.get(path).get_data(as_text=True)
    [(_, htmx)] = APP_JS.findall(html)
    assert html.count("htmx-2.0.11.min.") == 1 and htmx.startswith("/static/vendor/htmx-2.0.11.min.")
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(" defer" in tag for tag in scripts), scripts
    assert not re.search(r'<link\b[^>]*\brel="(?:preload|modulepreload|prefetch)"', html)
    response = client.get(htmx)
    assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE
    assert response.get_data() == (assets.current().folder / "vendor/htmx-2.0.11.min.js").read_bytes()


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_fingerprinted_file_is_immutable_and_compressed(client, encoding):
    html = client.get("/masuk").get_data(as_text=True)
    url = next(url for url in FINGERPRINTED.findall(html) if "htmx" in url)
    response = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert DECODE[encoding](response.get_data()) == plain.get_data()
    assert len(response.get_data()) < len(plain.get_data()) / 2
    # A second visit asks whether it changed: 304, nothing sent, per encoding.
    again = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert response.headers["ETag"] != plain.headers["ETag"]


def test_the_plain_name_still_answers_but_is_revalidated(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and "immutable" not in response.headers["Cache-Control"]
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/app.0123456789.css").status_code == 404
    assert client.get("/static/css/tidak-ada.css").status_code == 404


def test_the_fingerprint_is_the_content_hash(app, tmp_path):
    shutil.copytree(assets.current().folder, tmp_path / "static")
    copy = Assets(tmp_path / "static")
    before = copy.fingerprinted("css/app.css")
    assert before == assets.current().fingerprinted("css/app.css")
    assert re.fullmatch(r"css/app\.[0-9a-f]{10}\.css", before)
    (tmp_path / "static/css/app.css").write_text("body { color: red; }\n")
    copy.refresh()
    after = copy.fingerprinted("css/app.css")
    assert after != before and copy.find(before) is None and copy.find(after)[1] is True
    assert copy.fingerprinted("js/app.js") == assets.current().fingerprinted("js/app.js")


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_are_compressed(client, member, encoding):
    response = client.get("/profil", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"] and "Cookie" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Budi" in DECODE[encoding](response.get_data()).decode() or member.email in DECODE[
        encoding
    ](response.get_data()).decode()


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_error_pages_and_forms_sent_back_with_errors_are_compressed(client, encoding):
    missing = client.get("/tidak-ada", headers={"Accept-Encoding": encoding})
    assert missing.status_code == 404 and missing.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in missing.headers["Vary"]
    token = csrf_token(client, "/daftar")
    refused = client.post("/daftar", data={"csrf_token": token}, headers={"Accept-Encoding": encoding})
    assert refused.status_code in (400, 422) and refused.headers["Content-Encoding"] == encoding
    assert "wajib" in DECODE[encoding](refused.get_data()).decode().lower()


def test_no_compression_unless_asked(client):
    response = client.get("/masuk", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert "<html" in response.get_data(as_text=True)


def test_sign_out_keeps_clear_site_data(client, member):
    token = csrf_token(client, "/profil")
    response = client.post("/keluar", data={"csrf_token": token}, headers={"Accept-Encoding": "br"})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"]


def test_the_csv_statement_is_sent_as_it_is(client, member):
    html = client.get("/").get_data(as_text=True)
    ref = re.search(r'href="/kartu/([^"/]+)"', html)
    assert ref, "Beranda links the member's card"
    response = client.get(f"/kartu/{ref.group(1)}/laporan.csv", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Content-Encoding" not in response.headers
    assert response.get_data(as_text=True).startswith("\ufeff")


def precache(source: str) -> list[str]:
    return re.findall(r'^\s*"([^"]+)",$', source.split("const PRECACHE = [")[1].split("];")[0], re.M)


def test_the_service_worker_precaches_every_fingerprinted_script_and_stylesheet(client):
    response = client.get("/sw.js")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "text/javascript"
    source = response.get_data(as_text=True)
    urls = precache(source)
    for name in ("css/app.css", "css/card.css", "css/statement.css", "js/app.js", "js/print.js",
                 "vendor/htmx-2.0.11.min.js"):
        assert f"/static/{assets.current().fingerprinted(name)}" in urls
    assert all(FINGERPRINTED.match(f'src="{url}"') for url in urls)
    for url in urls:
        assert client.get(url).headers["Cache-Control"] == IMMUTABLE
    assert re.search(r'const CACHE = "kpjku-[0-9a-f]{10}";', source)


def test_the_release_changes_with_any_precached_file(app, client, tmp_path, monkeypatch):
    before = client.get("/sw.js").get_data(as_text=True)
    shutil.copytree(assets.current().folder, tmp_path / "static")
    (tmp_path / "static/js/print.js").write_text("window.print();\n")
    monkeypatch.setitem(app.extensions, "assets", Assets(tmp_path / "static"))
    after = client.get("/sw.js").get_data(as_text=True)
    cache = re.compile(r'const CACHE = "([^"]+)"')
    assert cache.search(before).group(1) != cache.search(after).group(1)
    changed = set(precache(after)) - set(precache(before))
    assert [url for url in changed] == [f"/static/{assets.current().fingerprinted('js/print.js')}"]


def test_the_service_worker_stores_nothing_at_run_time(client):
    source = client.get("/sw.js").get_data(as_text=True)
    # Only the install step writes to a cache: no cache.put, no addAll outside it.
    assert "cache.put" not in source and source.count("addAll(") == 1
    assert 'request.method !== "GET"' in source
