"""Hostile input gets a clear 4xx and never a 500 (webapp/input_guard.py, the riwayat page
number), on SQLite and PostgreSQL alike; nothing personal reaches the log on the way."""

import logging
import re

import pytest
import sqlalchemy as sa
from flask import request
from sqlalchemy.exc import DBAPIError

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.input_guard import refuse_hostile_input
from webapp.kpj.services import AddRequest, add_kpj
from webapp.models import Account, Segment

HTMX = {"HX-Request": "true"}
REFUSED = "karakter yang tidak diizinkan"
TOO_LONG = "Isian terlalu panjang"


@pytest.fixture
def member(app):
    person = factories.person(full_name="BUDI SANTOSO")
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


@pytest.fixture
def logged_in(client, auth, member):
    assert auth.login("budi@contoh.id").status_code == 303
    return member


@pytest.fixture
def dewi(app):
    return factories.newcomer()


def login(client, email, password=factories.PASSWORD, headers=None):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/masuk", data=data, headers=headers or {})


def registration(person, card, **overrides):
    form = {
        "nik": person.nik,
        "full_name": person.full_name,
        "birth_date": person.birth_date.isoformat(),
        "mother_name": person.mother_name,
        "kpj": card.kpj,
        "email": "dewi@contoh.id",
        "phone": "081234567890",
        "password": "sandiBaru2026",
        "password_confirm": "sandiBaru2026",
    }
    return {**form, **overrides}


def register(client, form):
    return client.post("/daftar", data={**form, "csrf_token": csrf_token(client, "/daftar")})


def account_count():
    return db.session.scalar(sa.select(sa.func.count(Account.id)))


@pytest.mark.parametrize("htmx", [False, True])
def test_a_nul_in_the_login_email_is_refused_with_a_message(client, member, htmx):
    response = login(client, "budi\x00@contoh.id", headers=HTMX if htmx else None)
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)
    if htmx:
        assert response.headers["HX-Reswap"] == "none", "a toast, the form stays as it is"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused(client, member, char):
    response = login(client, f"budi{char}@contoh.id")
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


@pytest.mark.parametrize("char", ["\t", "\n", "\r\n"])
def test_tabs_and_line_breaks_reach_the_form_checks(client, member, char):
    response = login(client, f"budi{char}@contoh.id")
    assert response.status_code == 422
    assert "Email atau kata sandi salah." in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["email", "full_name", "mother_name", "nik", "kpj", "phone"])
def test_a_nul_in_a_registration_field_is_refused(client, dewi, field):
    person, card = dewi
    form = registration(person, card)
    form[field] = form[field][:3] + "\x00" + form[field][3:]
    response = register(client, form)
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)
    assert account_count() == 0


def test_a_control_character_in_a_field_name_is_refused(client, dewi):
    person, card = dewi
    response = register(client, {**registration(person, card), "x\x00": "1"})
    assert response.status_code == 400
    assert account_count() == 0


def test_a_nul_in_a_card_path_is_refused(client, logged_in):
    response = client.get("/kartu/%00")
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


def test_a_nul_in_any_path_argument_is_refused(app, client, logged_in):
    rules = [rule for rule in app.url_map.iter_rules() if rule.arguments]
    assert rules
    for rule in rules:
        path = re.sub(r"<[^>]+>", "%00", rule.rule)
        response = client.get(path)
        assert response.status_code in (400, 404), path  # 404: a converter that wants digits
        assert response.status_code < 500


@pytest.mark.parametrize(
    "path", ["/?q=%FF", "/masuk?next=%C0%AF", "/kartu/%FF", "/kartu/%ED%A0%80/cetak", "/%00"]
)
def test_bytes_that_are_not_utf8_or_controls_in_the_address_are_refused(client, logged_in, path):
    response = client.get(path)
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


@pytest.mark.parametrize("email", [b"budi%FF%40contoh.id", b"budi\xff@contoh.id", b"%ED%A0%80"])
def test_bytes_that_are_not_utf8_in_a_form_are_refused(client, member, email):
    body = b"email=" + email + b"&password=x&csrf_token=" + csrf_token(client).encode()
    response = client.post("/masuk", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


def test_bytes_that_are_not_utf8_in_a_multipart_form_are_refused(client, member):
    token = csrf_token(client).encode()
    fields = {b"email": b"budi\xff@contoh.id", b"password": b"x", b"csrf_token": token}
    body = b"".join(
        b'--b\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % field
        for field in fields.items()
    )
    response = client.post(
        "/masuk", data=body + b"--b--\r\n", content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 400
    assert REFUSED in response.get_data(as_text=True)


def test_an_encoded_percent_sign_is_plain_text(client, member):
    response = login(client, "budi%FF@contoh.id")  # sent as budi%25FF%40contoh.id
    assert response.status_code == 422


def test_a_5000_character_email_is_refused(client, member):
    response = login(client, "a" * 4988 + "@contoh.id")
    assert response.status_code == 413
    assert TOO_LONG in response.get_data(as_text=True)


def test_an_overlong_query_value_is_refused(client):
    response = client.get("/masuk", query_string={"next": "/" + "a" * 5000})
    assert response.status_code == 413
    assert TOO_LONG in response.get_data(as_text=True)


def test_values_up_to_the_cap_pass_the_guard(client, dewi):
    person, card = dewi
    response = register(client, registration(person, card, full_name="A" * 4096))
    assert response.status_code == 422, "the service's own limit answers, with the field"
    assert "Nama lengkap terlalu panjang" in response.get_data(as_text=True)


def test_a_huge_integer_in_a_path_is_no_page(app):
    with app.test_request_context("/x"):
        request.view_args = {"id": 2**63}
        response = app.make_response(refuse_hostile_input())
        assert response.status_code == 404
        request.view_args = {"id": 2**63 - 1}
        assert refuse_hostile_input() is None


@pytest.mark.parametrize(
    "page",
    ["9223372036854775808", "99999999999999999999999999", "10001", "0", "-1", "abc", "", "1.5",
     " 1", "1e3", "\u0661"],  # the last: ARABIC-INDIC DIGIT ONE
)
def test_riwayat_refuses_a_page_number_out_of_range(client, logged_in, page):
    response = client.get("/riwayat", query_string={"halaman": page})
    assert response.status_code == 400
    assert "Nomor halaman tidak valid" in response.get_data(as_text=True)


def test_riwayat_pages(client, logged_in):
    assert client.get("/riwayat").status_code == 200
    assert client.get("/riwayat?halaman=1").status_code == 200
    past_the_end = client.get("/riwayat?halaman=2")
    assert past_the_end.status_code == 404
    assert "Halaman riwayat tidak ada" in past_the_end.get_data(as_text=True)
    for _ in range(21):
        add_kpj(logged_in, AddRequest(kpj="99999999999", segment=Segment.PU))
    second = client.get("/riwayat?halaman=2")
    assert second.status_code == 200
    assert "Lebih baru" in second.get_data(as_text=True)


def test_a_failing_statement_does_not_carry_its_parameters(app):
    secret = "3171012301900001"
    with pytest.raises(DBAPIError) as failure:
        db.session.execute(sa.text("SELECT :nik FROM no_such_table"), {"nik": secret})
    db.session.rollback()
    assert "no_such_table" in str(failure.value)
    assert secret not in str(failure.value)


def test_refused_requests_leave_no_nik_or_email_in_the_log(client, dewi, member, caplog):
    caplog.set_level(logging.DEBUG)
    person, card = dewi
    responses = [
        register(client, registration(person, card, email="dewi\x00@contoh.id")),
        register(client, registration(person, card, full_name="DEWI\x00LESTARI")),
        login(client, "budi\x00@contoh.id"),
        login(client, "budi@contoh.id\x00"),
    ]
    assert [r.status_code for r in responses] == [400] * 4
    assert caplog.records, "the refusals are logged"
    assert person.nik not in caplog.text
    assert "dewi" not in caplog.text.lower()
    assert "budi" not in caplog.text.lower()
