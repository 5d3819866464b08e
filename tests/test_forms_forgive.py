"""Forms that forgive: the typed KPJ survives a segment switch and the wrong-segment link
and never rides in a URL; the empty form a link leaves behind, sent by the second tap of
a double tap, changes nothing; empty fields say "wajib diisi"; registration keeps every
field on every error, a 429 included, and only identity checks count against the
per-address limit; Riwayat folds a failure's steps and masks its titles."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import csrf_token
from tests.test_auth import GOOD_PASSWORD, post_register, registration_form
from tests.test_kpj_views import HTMX, send
from webapp.extensions import db
from webapp.formatting import mask_kpj
from webapp.forms import missing, required
from webapp.kpj import services
from webapp.models import Membership, PendingRegistration, Transaction

SWITCH = "/pengaturan/tambah-kpj/segmen"


@pytest.fixture
def budi(app, auth):
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    auth.login("budi@contoh.id")
    return account


def switch(client, segment, kpj=None, htmx=False, current="PU"):
    token = csrf_token(client, f"/pengaturan/tambah-kpj?segmen={current}")
    data = {"csrf_token": token, "segmen": current, "pilih": segment}
    if kpj is not None:
        data["kpj"] = kpj
    return client.post(SWITCH, data=data, headers=HTMX if htmx else {})


def transactions():
    return db.session.scalars(sa.select(Transaction).order_by(Transaction.id)).all()


# --- The typed KPJ survives a segment switch -------------------------------------------


@pytest.mark.parametrize("htmx", [True, False])
def test_switching_segment_keeps_the_typed_kpj_and_records_nothing(client, budi, htmx):
    response = switch(client, "JAKON", kpj="1234 5678 901", htmx=htmx)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="segmen" value="JAKON"' in html
    assert 'value="1234 5678 901"' in html, "the number comes back exactly as typed"
    assert "Jasa Konstruksi" in html
    assert transactions() == []
    if htmx:
        assert html.lstrip().startswith('<section id="segment-form"')
        # The address bar shows the segment only: the number never goes into a URL.
        assert response.headers["HX-Push-Url"] == "/pengaturan/tambah-kpj?segmen=JAKON"
    else:
        assert "<html" in html


def test_switching_segment_without_a_number_lands_on_the_plain_address(client, budi):
    response = switch(client, "BPU", kpj="")
    assert response.status_code == 303
    assert response.headers["Location"] == "/pengaturan/tambah-kpj?segmen=BPU"


def test_an_unknown_segment_shows_the_choice_again(client, budi):
    html = switch(client, "XYZ", kpj="12345678901", htmx=True).get_data(as_text=True)
    assert 'name="kpj"' not in html
    assert "Pilih segmen sesuai kartu" in html


def test_switching_segment_needs_the_csrf_token(client, budi):
    response = client.post(SWITCH, data={"pilih": "PU", "kpj": "12345678901"})
    assert response.status_code == 400


def test_switching_segment_needs_a_login(client, app):
    response = client.post(SWITCH, data={"pilih": "PU", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")


def test_segment_choices_are_buttons_of_the_form_that_holds_the_kpj(client, budi):
    html = client.get("/pengaturan/tambah-kpj?segmen=PU").get_data(as_text=True)
    start = html.index('<form id="kpj-form"')
    form = html[start : html.index("</form>", start)]
    for segment in ("PU", "BPU", "JAKON", "PMI"):
        assert f'name="pilih" value="{segment}"' in form
    assert 'name="kpj"' in form
    assert "?segmen=" not in form, "no segment link can drop the typed number"
    # Enter in the KPJ field presses the first submit button: it must be KIRIM's stand-in,
    # not the first segment.
    first_button = form[form.index("<button") :]
    assert first_button.startswith('<button type="submit" hidden')


# --- The wrong-segment link keeps the KPJ ----------------------------------------------


@pytest.mark.parametrize("htmx", [True, False])
def test_the_wrong_segment_link_brings_the_number_back_without_it_in_the_url(client, budi, htmx):
    jakon = factories.membership(budi.person, segment="JAKON", status="NONAKTIF")
    db.session.commit()

    response = send(client, jakon.kpj, htmx=htmx)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Segmen tidak sesuai" in html
    assert f'value="{jakon.kpj}"' in html, "the field keeps the number, with or without JS"
    [attempt] = transactions()
    link = f"/pengaturan/tambah-kpj?segmen=JAKON&ulang={attempt.id}"
    assert link.replace("&", "&amp;") in html
    assert jakon.kpj not in link

    page = client.get(link).get_data(as_text=True)
    assert f'value="{jakon.kpj}"' in page
    assert 'name="segmen" value="JAKON"' in page


def test_the_wrong_segment_link_fills_nothing_for_another_attempt_or_account(app, client, budi):
    jakon = factories.membership(budi.person, segment="JAKON", status="NONAKTIF")
    db.session.commit()
    send(client, jakon.kpj)
    send(client, "99999999999")
    wrong, not_found = transactions()

    def filled(query):
        return jakon.kpj in client.get(f"/pengaturan/tambah-kpj?{query}").get_data(as_text=True)

    assert filled(f"segmen=JAKON&ulang={wrong.id}")
    assert not filled(f"segmen=PU&ulang={wrong.id}"), "only for the segment it was told to choose"
    assert not filled(f"segmen=JAKON&ulang={not_found.id}")
    assert not filled("segmen=JAKON&ulang=abc")
    assert not filled("segmen=JAKON&ulang=99999999999999999999999")

    stranger = factories.person()
    factories.account(stranger, factories.membership(stranger), email="lain@contoh.id")
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other).login("lain@contoh.id")
    html = other.get(f"/pengaturan/tambah-kpj?segmen=JAKON&ulang={wrong.id}").get_data(as_text=True)
    assert jakon.kpj not in html


# --- A second tap does nothing visible -------------------------------------------------


def test_the_empty_form_a_link_leaves_sent_again_changes_nothing(client, budi):
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    first = send(client, old.kpj, htmx=True, token=token).get_data(as_text=True)
    assert "Transaksi berhasil" in first
    [link] = transactions()
    assert f'name="setelah" value="{link.id}"' in first

    # What the second tap posts: the fresh form, empty, carrying the link's id.
    second = client.post(
        "/pengaturan/tambah-kpj",
        data={"segmen": "PU", "kpj": "", "setelah": str(link.id)},
        headers={**HTMX, "X-CSRFToken": token},
    )

    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert "Isi nomor KPJ" not in html
    assert "toast" not in html, "no second toast, no error"
    assert html.lstrip().startswith('<section id="segment-form"')
    assert len(transactions()) == 1


def test_the_empty_form_sent_later_or_for_a_failure_is_told_to_fill_the_number(client, budi):
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    send(client, "99999999999", htmx=True, token=token)
    send(client, old.kpj, htmx=True, token=token)
    failure, link = transactions()

    def empty_form(after):
        return client.post(
            "/pengaturan/tambah-kpj",
            data={"segmen": "PU", "kpj": "", "setelah": after},
            headers={**HTMX, "X-CSRFToken": token},
        )

    assert empty_form(str(failure.id)).status_code == 422
    assert empty_form("bukan-angka").status_code == 422
    link.created_at -= services.REPEAT_WINDOW + timedelta(seconds=1)
    db.session.commit()
    late = empty_form(str(link.id))
    assert late.status_code == 422
    assert "Isi nomor KPJ" in late.get_data(as_text=True)


def test_a_second_tap_does_not_count_against_the_limit(app, client, budi, monkeypatch):
    monkeypatch.setitem(app.config, "ADD_KPJ_LIMIT_PER_ACCOUNT", "1 per hour")
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    send(client, old.kpj, htmx=True, token=token)
    [link] = transactions()
    data = {"segmen": "PU", "kpj": "", "setelah": str(link.id)}
    headers = {**HTMX, "X-CSRFToken": token}
    # The link spent the budget; the second tap is no attempt, so it is not refused.
    for _ in range(3):
        assert client.post("/pengaturan/tambah-kpj", data=data, headers=headers).status_code == 200
    assert send(client, "99999999999", htmx=True, token=token).status_code == 429


def test_a_refused_attempt_without_javascript_keeps_the_number_and_says_minutes(
    app, client, budi, monkeypatch
):
    monkeypatch.setitem(app.config, "ADD_KPJ_LIMIT_PER_ACCOUNT", "1 per hour")
    send(client, "99999999998")
    response = send(client, "99999999999", segment="BPU")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert 'value="99999999999"' in html
    assert 'name="segmen" value="BPU"' in html
    assert 'id="e-kpj">Demi keamanan, percobaan dibatasi. Coba lagi dalam 60 menit.' in html
    assert len(transactions()) == 1


def test_a_refused_attempt_with_htmx_is_a_toast_saying_minutes(app, client, budi, monkeypatch):
    monkeypatch.setitem(app.config, "ADD_KPJ_LIMIT_PER_ACCOUNT", "1 per hour")
    send(client, "99999999998", htmx=True)
    response = send(client, "99999999999", htmx=True)
    assert response.status_code == 429
    assert response.headers["HX-Reswap"] == "none", "the form and its number stay as they are"
    assert "Coba lagi dalam 60 menit" in response.get_data(as_text=True)


def test_a_link_is_still_recorded_once_per_card(client, budi):
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    send(client, old.kpj)
    assert db.session.get(Membership, old.kpj).account_id == budi.id
    assert [t.reason for t in transactions()] == ["LINKED"]


# --- "wajib diisi" -----------------------------------------------------------------------


def test_one_wording_for_an_empty_field():
    assert required("Email") == "Email wajib diisi."
    assert missing({"a": " ", "b": "x", "c": None}, {"a": "A", "b": "B", "c": "C"}) == {
        "a": "A wajib diisi.",
        "c": "C wajib diisi.",
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"email": "", "password": ""}, {"email": "Email", "password": "Kata sandi"}),
        ({"email": "budi@contoh.id", "password": ""}, {"password": "Kata sandi"}),
        ({"email": "  ", "password": "x"}, {"email": "Email"}),
    ],
)
def test_login_says_which_field_is_empty_beside_it(client, app, data, expected):
    response = client.post("/masuk", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field, label in expected.items():
        assert f'<p class="field__error" id="e-{field}">{label} wajib diisi.</p>' in html
        assert f'id="f-{field}"' in html
    assert "Email atau kata sandi salah" not in html


def test_empty_logins_do_not_use_up_the_per_address_limit(client, app, member, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT", "2 per minute")
    empty = {"email": "", "password": "", "csrf_token": csrf_token(client)}
    for _ in range(4):
        assert client.post("/masuk", data=empty).status_code == 422
    form = {**empty, "email": "budi@contoh.id", "password": factories.PASSWORD}
    assert client.post("/masuk", data=form).status_code == 303


@pytest.fixture
def member(app):
    person = factories.person(full_name="BUDI SANTOSO")
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


def test_ubah_sandi_says_wajib_diisi_for_each_empty_field(client, auth, member):
    auth.login("budi@contoh.id")
    token = csrf_token(client, "/pengaturan/kata-sandi")
    response = client.post("/pengaturan/kata-sandi", data={"csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field, label in [
        ("current_password", "Kata sandi saat ini"),
        ("new_password", "Kata sandi baru"),
        ("new_password_confirm", "Ulangi kata sandi baru"),
    ]:
        assert f'id="e-{field}">{label} wajib diisi.' in html


def test_lupa_sandi_says_email_wajib_diisi(client, app):
    token = csrf_token(client, "/lupa-sandi")
    response = client.post("/lupa-sandi", data={"email": " ", "csrf_token": token})
    assert response.status_code == 422
    assert 'id="e-email">Email wajib diisi.' in response.get_data(as_text=True)


def test_lupa_sandi_refused_keeps_the_address_and_says_minutes(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_LIMIT_PER_IP", "1 per hour")
    token = csrf_token(client, "/lupa-sandi")
    data = {"email": "orang@contoh.id", "csrf_token": token}
    assert client.post("/lupa-sandi", data=data).status_code == 303
    refused = client.post("/lupa-sandi", data=data)
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert 'value="orang@contoh.id"' in html
    assert 'id="e-email">Demi keamanan, percobaan dibatasi. Coba lagi dalam 60 menit.' in html


def test_atur_ulang_sandi_says_wajib_diisi(client, app, member, smtp):
    token = csrf_token(client, "/lupa-sandi")
    client.post("/lupa-sandi", data={"email": "budi@contoh.id", "csrf_token": token})
    [message] = smtp.wait_for(1)
    path = re.search(r"(/atur-ulang-sandi/\S+)", message.get_content()).group(1)
    token = csrf_token(client, path)
    empty = {"new_password": "", "new_password_confirm": "", "csrf_token": token}
    response = client.post(path, data=empty)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="e-new_password">Kata sandi baru wajib diisi.' in html
    assert 'id="e-new_password_confirm">Ulangi kata sandi baru wajib diisi.' in html


def test_registration_says_wajib_diisi_for_every_empty_field(client, app):
    response = post_register(client, {})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for label in ("NIK", "Nama lengkap", "Tanggal lahir", "Nama ibu kandung", "Nomor KPJ",
                  "Email", "Nomor HP", "Kata sandi", "Ulangi kata sandi"):
        assert f">{label} wajib diisi.</p>" in html


# --- Registration keeps its fields; only identity checks count -----------------------------

KEPT = ("nik", "full_name", "birth_date", "mother_name", "kpj", "email", "phone")


@pytest.fixture
def dewi(app):
    return factories.newcomer()


def assert_kept(html, form):
    for field in KEPT:
        assert f'name="{field}" type=' in html
        assert f'value="{form[field]}"' in html, field
    assert GOOD_PASSWORD not in html, "passwords are never echoed back"


def test_typos_do_not_count_against_the_per_address_limit(client, app, dewi, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_LIMIT", "2 per hour")
    person, card = dewi
    for _ in range(5):
        assert post_register(client, registration_form(person, card, nik="123")).status_code == 422
    assert post_register(client, registration_form(person, card)).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(PendingRegistration.id))) == 1


def test_refused_identity_checks_count_and_the_429_keeps_every_field(
    client, app, dewi, monkeypatch
):
    monkeypatch.setitem(app.config, "REGISTER_LIMIT", "2 per hour")
    person, card = dewi
    wrong = registration_form(person, card, mother_name="Bukan Ibunya")
    assert [post_register(client, wrong).status_code for _ in range(2)] == [422, 422]

    refused = post_register(client, registration_form(person, card, full_name="Dewi L"))

    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert_kept(html, registration_form(person, card, full_name="Dewi L"))
    assert "coba lagi dalam 60 menit" in html
    assert "kata sandi perlu diisi lagi" in html
    assert '<form class="panel" method="post" action="/daftar"' in html
    assert db.session.scalar(sa.select(sa.func.count(PendingRegistration.id))) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"nik": "123"},  # field error
        {"mother_name": "Bukan Ibunya"},  # identity refused
        {"password_confirm": "lain12345"},
    ],
)
def test_every_registration_error_keeps_every_field(client, app, dewi, overrides):
    person, card = dewi
    form = registration_form(person, card, **overrides)
    response = post_register(client, form)
    assert response.status_code == 422
    assert_kept(response.get_data(as_text=True), form)


# --- Riwayat -------------------------------------------------------------------------------


def test_riwayat_masks_the_kpj_in_titles_and_folds_the_steps(client, budi):
    send(client, "99999999999")
    html = client.get("/riwayat").get_data(as_text=True)
    assert "99999999999" not in html
    assert f"<strong>Tambah KPJ {mask_kpj('99999999999')}</strong>" in html
    details = html[html.index("<details") : html.index("</details>")]
    assert "<summary>" in details
    assert "kantor cabang" in details, "the steps are inside the fold"


def test_riwayat_offers_the_wrong_segment_link_too(client, budi):
    jakon = factories.membership(budi.person, segment="JAKON", status="NONAKTIF")
    db.session.commit()
    send(client, jakon.kpj)
    [attempt] = transactions()
    html = client.get("/riwayat").get_data(as_text=True)
    link = f'href="/pengaturan/tambah-kpj?segmen=JAKON&amp;ulang={attempt.id}">Pilih segmen JAKON'
    assert link in html
    assert jakon.kpj not in html


def test_riwayat_masks_every_kind_alike(client, budi):
    old = factories.membership(budi.person, status="NONAKTIF")
    db.session.commit()
    send(client, old.kpj)
    html = client.get("/riwayat").get_data(as_text=True)
    assert old.kpj not in html
    assert html.count(mask_kpj(old.kpj)) >= 2, "title and text"
    assert "<details" not in html, "a success has no steps to fold"
