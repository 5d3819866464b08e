"""Page weight on a cheap phone: what a first visit to each page transfers, compressed (the
HTML, the CSS and JS it loads, the service worker and what the worker precaches; icons
excepted), stays within 40 KB, and an htmx fragment within 4 KB. Measured with brotli and
with gzip, on the demo's accounts, every page reachable by a link being visited."""

from __future__ import annotations

import gzip
import re
from collections import deque
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import brotli
import pytest
from flask.testing import FlaskClient

from tests.conftest import csrf_token
from webapp.demo import dataset, services

PAGE_BUDGET = 40_000  # bytes: HTML + CSS + JS of a first visit
FRAGMENT_BUDGET = 4_000  # bytes: one htmx answer
ENCODINGS = ["br", "gzip"]
# A visit follows links to at most this many pages per account (the demo has fewer).
MAX_PAGES = 80

LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')
STYLESHEET = re.compile(r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"')
SCRIPT = re.compile(r'<script\b[^>]*\bsrc="([^"]+)"')
# What app.js loads after the first paint (htmx): part of the first visit all the same.
LOADED_LATER = re.compile(r'<script\b[^>]*\bdata-htmx="([^"]+)"')
PRECACHED = re.compile(r'^\s*"(/static/[^"]+)",$', re.MULTILINE)
# Never followed: leaving (a POST anyway), downloads, and the development mailbox.
NOT_PAGES = ("/keluar", "/dev/")
NOT_WEIGHED = {".png", ".ico", ".svg"}  # icons

# Pages every visit must have reached: the crawl is checked against them, so that a page
# a link no longer reaches is noticed instead of silently no longer weighed.
ANONYMOUS_PAGES = {"/", "/masuk", "/daftar", "/lupa-sandi"}
SIGNED_IN_PAGES = {
    "/", "/profil", "/pengaturan", "/riwayat", "/pengaturan/tambah-kpj",
    "/pengaturan/temukan-kpj", "/pengaturan/kata-sandi", "/pengaturan/keamanan",
    "/kartu-digital",
}


@pytest.fixture
def demo(app):
    assert services.load_demo().ok


def login(client: FlaskClient, email: str) -> None:
    token = csrf_token(client, "/masuk")
    response = client.post(
        "/masuk", data={"email": email, "password": dataset.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, email


def weigh(client: FlaskClient, path: str, encoding: str, **kwargs) -> bytes:
    """The body as it crossed the wire (the test client does not decompress)."""
    response = client.get(path, headers={"Accept-Encoding": encoding}, **kwargs)
    assert response.status_code == 200, path
    compressible = response.mimetype.startswith("text/") or "javascript" in response.mimetype
    if compressible and len(response.get_data()) > 500:
        assert response.headers.get("Content-Encoding") == encoding, path
    return response.get_data()


def first_visit(client: FlaskClient, page: str, html: str, encoding: str) -> dict[str, int]:
    """Bytes per URL a browser with an empty cache fetches for the page."""
    worker = client.get("/sw.js").get_data(as_text=True)
    assets = STYLESHEET.findall(html) + SCRIPT.findall(html) + LOADED_LATER.findall(html)
    assets += ["/sw.js"] + PRECACHED.findall(worker)
    sizes = {}
    for url in dict.fromkeys(urljoin(page, asset) for asset in assets):
        if PurePosixPath(urlsplit(url).path).suffix in NOT_WEIGHED:
            continue
        sizes[url] = len(weigh(client, url, encoding))
    return sizes


def crawl(client: FlaskClient, encoding: str) -> dict[str, int]:
    """Every page reachable by a link from Beranda, with its first visit's weight."""
    weights: dict[str, int] = {}
    queue, seen = deque(["/"]), {"/"}
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        response = client.get(path, headers={"Accept-Encoding": encoding})
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html_bytes = response.get_data()
        assert response.headers.get("Content-Encoding") == encoding, path
        plain = client.get(path).get_data(as_text=True)
        weights[path] = len(html_bytes) + sum(first_visit(client, path, plain, encoding).values())
        for link in LINK.findall(plain):
            target = urljoin(path, link.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or target in seen or target.startswith(NOT_PAGES):
                continue
            if parts.path.endswith((".csv", ".pdf")) or parts.path.startswith("/static/"):
                continue
            seen.add(target)
            queue.append(target)
    return weights


def assert_within(weights: dict[str, int], budget: int) -> None:
    over = {path: size for path, size in weights.items() if size > budget}
    assert not over, f"over {budget} bytes: {over}"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_anonymous_page_weighs_at_most_40_kb(client, demo, encoding):
    weights = crawl(client, encoding)
    for path in ("/offline", "/tidak-ada"):
        html = client.get(path, headers={"Accept-Encoding": encoding})
        plain = client.get(path).get_data(as_text=True)
        weights[path] = len(html.get_data()) + sum(first_visit(client, path, plain, encoding).values())
    assert ANONYMOUS_PAGES <= set(weights)
    assert_within(weights, PAGE_BUDGET)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("person", dataset.ACCOUNTS, ids=lambda account: account.email.split("@")[0])
def test_every_page_of_every_demo_account_weighs_at_most_40_kb(app, demo, person, encoding):
    client = app.test_client()
    login(client, person.email)
    weights = crawl(client, encoding)
    assert SIGNED_IN_PAGES <= set(weights), sorted(SIGNED_IN_PAGES - set(weights))
    assert_within(weights, PAGE_BUDGET)
    print(person.email, encoding, sorted(weights.items(), key=lambda item: -item[1])[:3])


def decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    return brotli.decompress(body) if encoding == "br" else gzip.decompress(body) if encoding else body


def htmx(client: FlaskClient, target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target, "X-CSRFToken": csrf_token(client, "/profil")}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_htmx_fragments_weigh_at_most_4_kb(app, demo, encoding):
    client = app.test_client()
    login(client, next(a.email for a in dataset.ACCOUNTS if a.owner == dataset.BUDI))
    weights = {}
    for segment in ("PU", "BPU", "JAKON", "PMI"):
        path = f"/pengaturan/tambah-kpj?segmen={segment}"
        headers = htmx(client, "segment-form") | {"Accept-Encoding": encoding}
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and b"<html" not in decoded(response)
        weights[path] = len(response.get_data())
    # KIRIM: a form error (422), then a real attempt answered with the form, a toast and the
    # card list out of band.
    for kpj in ("", "12345678901"):
        headers = htmx(client, "segment-form") | {"Accept-Encoding": encoding}
        response = client.post("/pengaturan/tambah-kpj", data={"segmen": "PU", "kpj": kpj}, headers=headers)
        assert response.status_code in (200, 422)
        weights[f"KIRIM {kpj or 'kosong'}"] = len(response.get_data())
    # Temukan KPJ lama: adding one found card answers with the list and a toast.
    page = client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    reference = re.search(r'name="ref" value="([^"]+)"', page)
    assert reference, "the demo's Budi has old cards to find"
    headers = htmx(client, "found-list") | {"Accept-Encoding": encoding}
    response = client.post("/pengaturan/temukan-kpj", data={"ref": reference.group(1)}, headers=headers)
    assert response.status_code == 200
    weights["TAMBAH temuan"] = len(response.get_data())
    print(encoding, weights)
    assert_within(weights, FRAGMENT_BUDGET)


def test_a_first_visit_counts_htmx_which_app_js_loads_after_the_first_paint(client):
    html = client.get("/masuk").get_data(as_text=True)
    worker = client.get("/sw.js").get_data(as_text=True)
    [htmx] = LOADED_LATER.findall(html)
    assert "/vendor/htmx-" in htmx and htmx not in SCRIPT.findall(html)
    assert htmx in PRECACHED.findall(worker)  # the service worker keeps it too
    sizes = first_visit(client, "/masuk", html, "br")
    assert 10_000 < sizes[urljoin("/masuk", htmx)] < 20_000  # 16 KB brotli of 52 KB
