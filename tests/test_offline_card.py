"""Kartu offline, by choice: the copy of the digital card that "Simpan di perangkat" keeps on
the phone holds the name, the KPJ, the segment and a QR that verifies, and nothing else; the
cookie that marks it goes whenever a sign-in ends. (The browser side: tests/e2e.)"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import zxingcpp

from tests import factories
from tests.test_card_digital import rasterise
from tests.test_pwa import OFFLINE_CARD_SCRIPT
from webapp.card import services
from webapp.extensions import db

SCRIPT = Path(__file__).parents[1] / "static" / "js" / "kartu-offline.js"
PERSONAL_NUMBER = re.compile(r"\d{11,}")
FIELDS = {"mark", "name", "kpj", "segment", "qr", "valid_until", "valid_until_text", "saved_on_text"}


@pytest.fixture
def budi(app, auth):
    person = factories.person(full_name="BUDI SANTOSO")
    employer = factories.employer(name="PT Karya Bangun")
    card = factories.membership(person, employer_npp=employer.npp, registered_on=date(2019, 7, 1))
    old = factories.membership(person, status="NONAKTIF", registered_on=date(2012, 2, 1))
    factories.account(person, card, old, email="budi@contoh.id")
    db.session.commit()
    assert auth.login("budi@contoh.id").status_code == 303
    return person, card, old


def copy_of(client):
    response = client.get("/kartu-digital/salinan")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response


def test_the_copy_holds_name_kpj_segment_qr_and_dates_only(client, budi):
    person, card, old = budi
    response = copy_of(client)
    data = response.json
    assert set(data) == FIELDS
    assert data["name"] == "BUDI SANTOSO" and data["kpj"] == card.kpj
    assert data["segment"] == "Penerima Upah (PU)"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["valid_until"])
    body = response.get_data(as_text=True)
    for private in (person.nik, person.mother_name, old.kpj, "Karya", "Rp"):
        assert private not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_the_copy_sets_the_cookie_the_offline_page_needs_to_show_it(client, budi):
    data = copy_of(client).json
    assert re.fullmatch(r"[0-9a-f]{32}", data["mark"])
    cookie = client.get_cookie(services.DEVICE_COPY_COOKIE)
    assert cookie.value == data["mark"] and cookie.path == "/"
    assert cookie.same_site == "Strict" and not cookie.http_only  # the page's script reads it
    assert cookie.max_age == int(services.TOKEN_MAX_AGE.total_seconds())
    assert copy_of(client).json["mark"] == data["mark"]  # one card per account: a new save replaces it


def test_the_copys_qr_decodes_to_a_verification_url_without_numbers_that_verifies(client, budi):
    _, card, _ = budi
    qr = copy_of(client).json["qr"]
    prefix = "data:image/svg+xml;charset=utf-8,"
    assert qr.startswith(prefix)
    svg = unquote(qr[len(prefix):]).replace("'", '"')
    [decoded] = zxingcpp.read_barcodes(rasterise(svg))
    url = urlsplit(decoded.text)
    assert url.path.startswith("/v/") and not PERSONAL_NUMBER.search(decoded.text)
    page = client.get(url.path).get_data(as_text=True)
    assert "AKTIF" in page and "B•• S••" in page and card.kpj not in page


def test_the_copy_needs_login(client):
    response = client.get("/kartu-digital/salinan")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk")


def test_without_an_active_card_there_is_no_copy(client, app, auth):
    person = factories.person()
    factories.account(person, factories.membership(person, status="NONAKTIF"), email="sari@contoh.id")
    auth.login("sari@contoh.id")
    response = client.get("/kartu-digital/salinan")
    assert response.status_code == 404 and response.json == {"error": "Tidak ada kartu aktif untuk disimpan."}


def test_the_card_page_offers_simpan_di_perangkat_only_to_script(client, budi):
    _, card, _ = budi
    html = client.get("/kartu-digital").get_data(as_text=True)
    assert 'data-url="/kartu-digital/salinan"' in html
    assert OFFLINE_CARD_SCRIPT.search(html)
    # No dead buttons without script: both start hidden, and the page says why.
    assert re.search(r'<button type="button" class="btn btn--block" data-save hidden>Simpan di perangkat</button>', html)
    assert re.search(r'<button type="button" class="btn btn--danger btn--block" data-remove hidden>Hapus</button>', html)
    assert "memerlukan JavaScript" in html
    assert "hanya di ponsel ini" in html and "Hapus atau Keluar" in html


@pytest.mark.parametrize("ending", ["logout", "everywhere", "this_session"])
def test_every_way_of_signing_out_deletes_the_cards_cookie_and_clears_the_site(client, budi, ending):
    copy_of(client)
    html = client.get("/pengaturan/keamanan").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    path = {
        "logout": "/keluar",
        "everywhere": "/pengaturan/keamanan/keluar-semua",
        "this_session": re.search(r'action="(/pengaturan/keamanan/sesi/\d+/akhiri)" data-forget-card', html).group(1),
    }[ending]
    client.delete_cookie(services.DEVICE_COPY_COOKIE)  # SameSite=Strict: a request may come without it
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(services.DEVICE_COPY_COOKIE + "=")]
    assert cookie.startswith(f"{services.DEVICE_COPY_COOKIE}=;") and "Max-Age=0" in cookie


def test_a_page_that_does_not_end_the_sign_in_keeps_the_accounts_own_cookie(client, budi):
    mark = copy_of(client).json["mark"]
    for path in ("/", "/kartu-digital", "/pengaturan", "/offline", "/static/css/card.css"):
        with client.get(path) as response:
            assert response.status_code == 200
            ours = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(services.DEVICE_COPY_COOKIE)]
            assert ours == [], path
    assert client.get_cookie(services.DEVICE_COPY_COOKIE).value == mark


def test_a_card_left_by_another_account_loses_its_cookie_on_the_next_sign_in(client, budi, auth):
    mark = copy_of(client).json["mark"]
    auth.client.delete_cookie("session")  # Budi's session ran out; he never pressed Keluar
    client.get("/")  # nobody signed in: the card stays (it is what the phone shows offline)
    assert client.get_cookie(services.DEVICE_COPY_COOKIE).value == mark
    sari = factories.person(full_name="SARI DEWI", gender="P")
    factories.account(sari, factories.membership(sari), email="sari@contoh.id")
    db.session.commit()
    assert auth.login("sari@contoh.id").status_code == 303
    client.get("/")
    assert client.get_cookie(services.DEVICE_COPY_COOKIE) is None
    assert services.device_mark(1) != services.device_mark(2) and mark != copy_of(client).json["mark"]


def test_the_logout_forms_clear_the_card_before_they_are_sent(client, budi):
    # static/js/kartu-offline.js removes the card on submit of any [data-forget-card] form.
    for path in ("/pengaturan", "/pengaturan/keamanan"):
        html = client.get(path).get_data(as_text=True)
        assert OFFLINE_CARD_SCRIPT.search(html)
    assert 'action="/keluar" data-forget-card' in client.get("/pengaturan").get_data(as_text=True)
    assert 'action="/pengaturan/keamanan/keluar-semua" data-forget-card' in client.get(
        "/pengaturan/keamanan"
    ).get_data(as_text=True)


def test_the_script_and_the_server_name_the_same_cookie():
    assert f'var COOKIE = "{services.DEVICE_COPY_COOKIE}";' in SCRIPT.read_text()
