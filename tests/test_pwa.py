"""The installable app (DESIGN §8, a PWA): the manifest's members, its icons at the sizes it
states, the service worker at the root, and the offline page with its "Coba lagi"."""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image

from tests import factories

HEX_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
# The file's address may carry a fingerprint of its content.
OFFLINE_CARD_SCRIPT = re.compile(r'<script src="/static/js/kartu-offline[^"]*\.js[^"]*" defer></script>')


@pytest.fixture
def manifest(client) -> dict:
    with client.get("/manifest.webmanifest") as response:
        assert response.status_code == 200 and response.mimetype == "application/manifest+json"
        return response.json


def test_the_manifest_names_the_app_in_indonesian_and_opens_standalone(manifest):
    assert manifest["name"].startswith("KPJku") and manifest["short_name"] == "KPJku"
    assert len(manifest["short_name"]) <= 12  # fits under a home-screen icon
    assert manifest["lang"] == "id" and manifest["display"] == "standalone"
    assert HEX_COLOUR.match(manifest["theme_color"]) and HEX_COLOUR.match(manifest["background_color"])


def test_the_manifest_has_an_id_and_a_start_url_within_its_scope(manifest):
    base = "https://kpjku.example/manifest.webmanifest"
    scope = urljoin(base, manifest["scope"])
    assert urljoin(base, manifest["start_url"]).startswith(scope)
    assert urljoin(base, manifest["id"]) == urljoin(base, "/")  # the app's identity, never to change
    assert urlsplit(scope).path == "/"  # the whole site: the service worker's scope too


def test_the_theme_colour_is_the_one_the_pages_declare(client, manifest):
    for path in ("/", "/offline"):
        page = client.get(path).get_data(as_text=True)
        assert f'<meta name="theme-color" content="{manifest["theme_color"]}">' in page


def test_every_icon_is_a_png_of_the_size_it_states(client, manifest):
    purposes = {}
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as response:
            assert response.status_code == 200 and response.mimetype == icon["type"] == "image/png"
            image = Image.open(io.BytesIO(response.data))
        assert image.format == "PNG"
        assert "{}x{}".format(*image.size) == icon["sizes"]
        for purpose in icon.get("purpose", "any").split():
            purposes.setdefault(purpose, set()).add(icon["sizes"])
    assert purposes["any"] >= {"192x192", "512x512"}
    assert "512x512" in purposes["maskable"]


def test_the_service_worker_is_served_at_the_root_and_always_revalidated(client):
    with client.get("/sw.js") as response:
        assert response.status_code == 200 and "javascript" in response.mimetype
        assert response.headers["Cache-Control"] == "no-cache"


def test_every_page_links_the_manifest(client):
    assert '<link rel="manifest" href="/manifest.webmanifest">' in client.get("/").get_data(as_text=True)


# --- The offline page -----------------------------------------------------------------------

RETRY_FORM = re.compile(r'<form method="get" action="/" data-retry="/offline"[^>]*>\s*<button type="submit"[^>]*>Coba lagi</button>')


def test_the_offline_page_has_a_coba_lagi_button_that_works_without_script(client):
    html = client.get("/offline").get_data(as_text=True)
    # A real button: in an installed app there is no reload button; without script it is a
    # form to Beranda, and with static/js/kartu-offline.js it reloads the page asked for.
    assert RETRY_FORM.search(html)
    assert OFFLINE_CARD_SCRIPT.search(html)
    assert "Yang bisa dibuka tanpa sinyal" in html


def test_the_offline_page_is_the_same_for_everyone(client, auth):
    anonymous = client.get("/offline").get_data(as_text=True)
    person = factories.person(full_name="BUDI SANTOSO")
    card = factories.membership(person)
    factories.account(person, card, email="budi@contoh.id")
    assert auth.login("budi@contoh.id").status_code == 303
    client.get("/kartu-digital")
    signed_in = client.get("/offline").get_data(as_text=True)
    assert signed_in == anonymous
    assert "BUDI" not in signed_in and card.kpj not in signed_in and person.nik not in signed_in
