"""Tambah KPJ and Temukan KPJ lama over HTTP, with htmx and without JavaScript."""

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import Membership, Transaction

HTMX = {"HX-Request": "true"}


@pytest.fixture
def budi(app, auth):
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    auth.login("budi@contoh.id")
    return account


def send(client, kpj, segment="PU", htmx=False, token=None):
    token = token or csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    data = {"kpj": kpj, "segmen": segment}
    if not htmx:
        data["csrf_token"] = token
    return client.post("/pengaturan/tambah-kpj", data=data, headers=headers)


def count_transactions():
    return db.session.scalar(sa.select(sa.func.count(Transaction.id)))


def test_the_flow_starts_at_profil_then_pengaturan(client, budi):
    assert 'href="/pengaturan"' in client.get("/profil").get_data(as_text=True)
    assert 'href="/pengaturan/tambah-kpj"' in client.get("/pengaturan").get_data(as_text=True)


def test_without_a_segment_the_page_asks_for_one(client, budi):
    page = client.get("/pengaturan/tambah-kpj").get_data(as_text=True)
    assert "Pilih SEGMEN" in page
    assert 'name="kpj"' not in page
    for segment in ("PU", "BPU", "JAKON", "PMI"):
        assert f'href="/pengaturan/tambah-kpj?segmen={segment}"' in page


def test_choosing_a_segment_with_htmx_returns_only_the_segment_form(client, budi):
    response = client.get(
        "/pengaturan/tambah-kpj?segmen=BPU", headers={**HTMX, "HX-Target": "segment-form"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<section id="segment-form"')
    assert "<html" not in html
    assert 'name="segmen" value="BPU"' in html
    assert "Bukan Penerima Upah" in html
    assert 'hx-disabled-elt="find button[type=\'submit\']"' in html


def test_choosing_a_segment_without_javascript_is_a_full_page(client, budi):
    html = client.get("/pengaturan/tambah-kpj?segmen=JAKON").get_data(as_text=True)
    assert "<html" in html
    assert 'name="segmen" value="JAKON"' in html
    assert 'action="/pengaturan/tambah-kpj"' in html


@pytest.mark.parametrize("htmx", [True, False])
def test_a_field_error_is_shown_on_the_field_and_nothing_is_recorded(client, budi, htmx):
    response = send(client, "12345", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nomor KPJ harus 11 angka; yang Anda isi 5 angka." in html
    assert 'aria-invalid="true"' in html
    assert ("<html" in html) is not htmx
    assert count_transactions() == 0


@pytest.mark.parametrize("htmx", [True, False])
def test_a_successful_add_shows_the_toast_and_the_card(client, budi, htmx):
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    response = send(client, old.kpj, htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.lstrip().startswith('<section id="segment-form"')
        assert 'hx-swap-oob="afterbegin:#toasts"' in html
        assert "Transaksi berhasil" in html
        assert re.search(r'<section id="kpj-list"[^>]*hx-swap-oob="true"', html)
        assert old.kpj in html
        assert 'value=""' in html  # the field is cleared for the next card
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == "/pengaturan/tambah-kpj?segmen=PU"
        html = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Transaksi berhasil" in html
        assert old.kpj in html
    assert db.session.get(Membership, old.kpj).account_id == budi.id
    assert old.kpj in client.get("/profil").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [True, False])
def test_sending_twice_links_once_and_the_second_says_already_linked(client, budi, htmx):
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    send(client, old.kpj, htmx=htmx)
    second = send(client, old.kpj, htmx=htmx)
    text = second.get_data(as_text=True) if htmx else client.get("/pengaturan/tambah-kpj").get_data(as_text=True)
    assert "KPJ sudah terhubung" in text
    reasons = db.session.scalars(sa.select(Transaction.reason).order_by(Transaction.id)).all()
    assert reasons == ["LINKED", "ALREADY_LINKED"]


def test_a_failed_attempt_keeps_the_number_to_correct_it(client, budi):
    html = send(client, "99999999999", htmx=True).get_data(as_text=True)
    assert "KPJ tidak ditemukan atas NIK Anda" in html
    assert 'value="99999999999"' in html
    assert "kantor cabang" in html  # the steps, no dead link


def test_htmx_post_without_the_csrf_header_is_refused(client, budi):
    response = client.post("/pengaturan/tambah-kpj", data={"kpj": "12345678901", "segmen": "PU"}, headers=HTMX)
    assert response.status_code == 400
    assert response.headers["HX-Reswap"] == "none"
    assert "toasts" in response.get_data(as_text=True)
    assert count_transactions() == 0


def test_attempts_are_limited_per_account_and_typos_do_not_count(client, budi, app):
    app.config["ADD_KPJ_LIMIT_PER_ACCOUNT"] = "2 per hour"
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    assert send(client, "123", htmx=True, token=token).status_code == 422
    statuses = [send(client, f"9999999999{i}", htmx=True, token=token).status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    assert count_transactions() == 2


def test_attempts_are_limited_per_address_across_accounts(app, client, budi):
    app.config["ADD_KPJ_LIMIT_PER_IP"] = "2 per hour"
    send(client, "99999999991")
    send(client, "99999999992")
    other = factories.person()
    factories.account(other, factories.membership(other), email="lain@contoh.id")
    second = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(second).login("lain@contoh.id")
    assert send(second, "99999999993").status_code == 429


def test_anonymous_htmx_request_gets_401_with_a_redirect_to_login(client):
    response = client.get("/pengaturan/tambah-kpj?segmen=PU", headers={**HTMX, "HX-Target": "segment-form"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/masuk")


def test_temukan_lists_only_unlinked_cards_of_the_users_nik_masked(client, budi):
    mine = factories.membership(budi.person, status="NONAKTIF", segment="JAKON")
    stranger = factories.membership(factories.person(), status="NONAKTIF")
    db.session.commit()
    html = client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    assert mine.kpj not in html
    assert mine.kpj[:2] + "•••••" + mine.kpj[-4:] in html
    assert "Jasa Konstruksi" in html
    assert "P•• M•• B••" in html  # employer initials only
    assert stranger.kpj[-4:] not in html


@pytest.mark.parametrize("htmx", [True, False])
def test_adding_a_found_card_runs_the_full_check(client, budi, htmx):
    mismatched = factories.membership(budi.person, status="NONAKTIF", mother_name="SITI AMINA")
    db.session.commit()
    html = client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    ref = re.search(r'name="ref" value="([^"]+)"', html).group(1)
    token = csrf_token(client, "/pengaturan/temukan-kpj")
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    response = client.post("/pengaturan/temukan-kpj", data={"ref": ref, "csrf_token": token}, headers=headers)
    text = response.get_data(as_text=True) if htmx else client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    assert "Data KPJ berbeda dengan data kependudukan" in text
    assert db.session.get(Membership, mismatched.kpj).account_id is None


def test_a_forged_or_foreign_reference_is_refused(app, client, budi):
    stranger = factories.person()
    their_card = factories.membership(stranger, status="NONAKTIF")
    db.session.commit()
    from itsdangerous import URLSafeSerializer

    foreign = URLSafeSerializer(app.config["SECRET_KEY"], salt="temukan-kpj").dumps([budi.id + 1, their_card.kpj, "PU"])
    token = csrf_token(client, "/pengaturan/temukan-kpj")
    for ref in ("rubbish", foreign):
        response = client.post("/pengaturan/temukan-kpj", data={"ref": ref, "csrf_token": token})
        assert response.status_code == 400
    assert count_transactions() == 0


def test_riwayat_lists_attempts_newest_first(client, budi):
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    send(client, "99999999999")
    send(client, old.kpj)
    html = client.get("/riwayat").get_data(as_text=True)
    assert html.index("Transaksi berhasil") < html.index("KPJ tidak ditemukan atas NIK Anda")
    assert "BERHASIL" in html and "GAGAL" in html
    assert "kantor cabang" in html  # a failure keeps its next steps in the history too


def test_riwayat_shows_only_the_users_own_transactions(app, client, budi):
    send(client, "99999999999")
    other = factories.person()
    factories.account(other, factories.membership(other), email="lain@contoh.id")
    second = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(second).login("lain@contoh.id")
    assert "99999999999" not in second.get("/riwayat").get_data(as_text=True)


def test_temukan_explains_closed_cards_instead_of_offering_them(client, budi):
    factories.membership(budi.person, status="DIKLAIM")
    db.session.commit()
    html = client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    assert "sudah diklaim" in html
    assert 'name="ref"' not in html


def test_wrong_segment_toast_links_to_the_right_segment(client, budi):
    jakon = factories.membership(budi.person, segment="JAKON", status="NONAKTIF")
    db.session.commit()
    html = send(client, jakon.kpj, htmx=True).get_data(as_text=True)
    assert 'href="/pengaturan/tambah-kpj?segmen=JAKON"' in html.split("hx-swap-oob")[1]
