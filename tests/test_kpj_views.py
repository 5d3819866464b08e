"""Tambah KPJ and Temukan KPJ lama over HTTP, with htmx and without JavaScript."""

import base64
import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import AuthActions, csrf_token
from webapp.extensions import db
from webapp.kpj.services import found_reference
from webapp.models import Membership, Transaction

HTMX = {"HX-Request": "true"}
FOUND_REF = re.compile(r'name="ref" value="([^"]+)"')


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


def found_references(client) -> list[str]:
    return FOUND_REF.findall(client.get("/pengaturan/temukan-kpj").get_data(as_text=True))


def add_found(client, ref, htmx=False):
    token = csrf_token(client, "/pengaturan/temukan-kpj")
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    return client.post(
        "/pengaturan/temukan-kpj", data={"ref": ref, "csrf_token": token}, headers=headers
    )


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
        assert f'name="pilih" value="{segment}" formaction="/pengaturan/tambah-kpj/segmen"' in page


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
    assert 'hx-disabled-elt="#kpj-form button"' in html
    assert 'hx-sync="this:drop"' in html


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
        assert 'hx-swap-oob="innerHTML:#toasts"' in html
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
    assert "KPJ sudah terhubung" in second.get_data(as_text=True)
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


def test_attempts_are_limited_per_account_and_typos_do_not_count(client, budi, app, monkeypatch):
    # The app lives for the whole session: a lowered limit must not outlive the test.
    monkeypatch.setitem(app.config, "ADD_KPJ_LIMIT_PER_ACCOUNT", "2 per hour")
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    assert send(client, "123", htmx=True, token=token).status_code == 422
    statuses = [send(client, f"9999999999{i}", htmx=True, token=token).status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    assert count_transactions() == 2


def test_attempts_are_limited_per_address_across_accounts(app, client, budi, monkeypatch):
    monkeypatch.setitem(app.config, "ADD_KPJ_LIMIT_PER_IP", "2 per hour")
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
    [ref] = found_references(client)
    response = add_found(client, ref, htmx=htmx)
    text = response.get_data(as_text=True) if htmx else client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    assert "Data KPJ berbeda dengan data kependudukan" in text
    assert db.session.get(Membership, mismatched.kpj).account_id is None


def test_a_found_cards_reference_carries_no_part_of_its_number(client, budi):
    cards = [factories.membership(budi.person, status="NONAKTIF") for _ in range(3)]
    db.session.commit()

    refs = found_references(client)

    assert len(set(refs)) == 3
    for ref in refs:
        assert len(ref) == 22 and not re.search(r"\d{11}", ref)
        decoded = base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4))
        for card in cards:
            assert card.kpj not in ref and card.kpj.encode() not in decoded
            assert card.kpj[-4:].encode() not in decoded


@pytest.mark.parametrize("htmx", [True, False])
def test_a_found_card_is_added_by_its_reference(client, budi, htmx):
    old = factories.membership(budi.person, status="NONAKTIF", segment="BPU", employer_npp=None)
    db.session.commit()
    [ref] = found_references(client)

    response = add_found(client, ref, htmx=htmx)

    assert response.status_code == (200 if htmx else 303)
    assert db.session.get(Membership, old.kpj).account_id == budi.id
    transaction = db.session.scalar(sa.select(Transaction))
    assert (transaction.reason, transaction.kpj, transaction.segment) == ("LINKED", old.kpj, "BPU")


def test_a_found_card_sent_twice_is_linked_once_and_then_already_linked(client, budi):
    factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    [ref] = found_references(client)

    statuses = [add_found(client, ref).status_code for _ in range(2)]

    assert statuses == [303, 303]
    reasons = db.session.scalars(sa.select(Transaction.reason).order_by(Transaction.id)).all()
    assert reasons == ["LINKED", "ALREADY_LINKED"]


def test_forged_tampered_and_other_accounts_references_are_refused(app, client, budi):
    card = factories.membership(budi.person, status="NONAKTIF")
    stranger = factories.person()
    factories.membership(stranger, status="NONAKTIF")
    other_account = factories.account(stranger, factories.membership(stranger), email="lain@contoh.id")
    [mine] = found_references(client)
    other = app.test_client()
    AuthActions(other).login("lain@contoh.id")
    [theirs] = found_references(other)
    # Budi's card, but the handle made for another account.
    made_for_other = found_reference(app.config["SECRET_KEY"], other_account.id, card.kpj)
    tampered = mine[:-1] + ("A" if mine[-1] != "A" else "B")
    refs = ["rubbish", "", theirs, made_for_other, tampered, "é" * 22]

    refused = [add_found(client, ref) for ref in refs] + [add_found(other, mine)]

    assert [response.status_code for response in refused] == [400] * (len(refs) + 1)
    assert count_transactions() == 0
    assert db.session.get(Membership, card.kpj).account_id is None


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


def test_wrong_segment_notice_links_to_the_right_segment(client, budi):
    jakon = factories.membership(budi.person, segment="JAKON", status="NONAKTIF")
    db.session.commit()
    html = send(client, jakon.kpj, htmx=True).get_data(as_text=True)
    attempt = db.session.scalar(sa.select(Transaction))
    link = f'href="/pengaturan/tambah-kpj?segmen=JAKON&amp;ulang={attempt.id}"'
    form = html.split("hx-swap-oob")[0]  # at the top of the form, not in a toast
    assert link in form.split('class="form-notice ')[1]
