"""Daftar, masuk, keluar, ubah kata sandi."""

from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import csrf_token
from webapp.auth import services
from webapp.extensions import db
from webapp.models import Account, Membership

GOOD_PASSWORD = "sandiBaru2026"


@pytest.fixture
def dewi(app):
    return factories.newcomer()


def registration_form(person, card, **overrides):
    form = {
        "nik": person.nik,
        "full_name": "Dewi Lestari",
        "birth_date": person.birth_date.isoformat(),
        "mother_name": "sri wahyuni",
        "kpj": card.kpj,
        "email": "Dewi@Contoh.id",
        "phone": "0812 3456 7890",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
    }
    form.update(overrides)
    return form


def post_register(client, form):
    return client.post("/daftar", data={**form, "csrf_token": csrf_token(client, "/daftar")})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nik", "12345", "NIK harus 16 angka"),
        ("nik", "３１７１０１２３０１９００００１", "NIK harus 16 angka"),  # full-width digits
        ("full_name", "", "Nama lengkap wajib diisi"),
        ("birth_date", "31-12-1990", "tanggal lahir yang benar"),
        ("birth_date", "2999-01-01", "sebelum hari ini"),
        ("mother_name", " ", "Nama ibu kandung wajib diisi"),
        ("kpj", "123", "Nomor KPJ harus 11 angka"),
        ("email", "dewi-at-contoh", "alamat email yang benar"),
        ("phone", "12345", "nomor HP yang benar"),
        ("password", "pendek1", "minimal 8 karakter"),
        ("password", "hanyahurufsaja", "huruf dan angka"),
        ("password_confirm", "lain12345", "Ulangi kata sandi yang sama"),
    ],
)
def test_registration_field_errors_name_the_field_and_change_nothing(client, dewi, field, value, message):
    person, card = dewi
    response = post_register(client, registration_form(person, card, **{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="e-{field}"' in page
    assert db.session.scalar(sa.select(sa.func.count(Account.id))) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"full_name": "Dewi Lestari Putri"},
        {"mother_name": "Sri Wahyu"},
        {"birth_date": "1992-04-10"},
        {"nik": "3171019999990000"},
    ],
)
def test_identity_must_match_the_population_record(client, dewi, overrides):
    person, card = dewi
    response = post_register(client, registration_form(person, card, **overrides))
    assert response.status_code == 422
    assert services.IDENTITY_MISMATCH in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Account.id))) == 0


@pytest.mark.parametrize(
    ("card_of", "message"),
    [
        (lambda dewi: factories.membership(dewi, status="NONAKTIF"), "masih AKTIF"),
        (lambda dewi: factories.membership(factories.person()), "KPJ tidak ditemukan atas NIK Anda"),
        (
            lambda dewi: factories.membership(dewi, mother_name="SRI WAHYUNINGSIH"),
            "berbeda dengan data kependudukan pada: Nama Ibu Kandung",
        ),
    ],
    ids=["inactive", "someone-elses", "biodata-differs"],
)
def test_the_first_card_must_be_an_active_matching_card_of_the_nik(client, dewi, card_of, message):
    person, _ = dewi
    card = card_of(person)
    db.session.commit()
    response = post_register(client, registration_form(person, card))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Account.id))) == 0


def test_the_database_enforces_one_account_per_nik_and_email(app):
    person = factories.person()
    factories.account(person, email="satu@contoh.id")
    other = factories.person()
    for values in ({"nik": person.nik, "email": "dua@contoh.id"}, {"nik": other.nik, "email": "SATU@contoh.id"}):
        db.session.add(Account(phone="0812345678", password_hash="x", **values))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.fixture
def member(app):
    person = factories.person()
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


def test_login_with_any_letter_case_of_the_email(client, auth, member):
    response = auth.login("BUDI@contoh.id")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Beranda" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("email", "password"), [("budi@contoh.id", "salah-sandi-1"), ("tidakada@contoh.id", factories.PASSWORD)])
def test_wrong_login_says_the_same_thing_for_unknown_email_and_wrong_password(client, auth, member, email, password):
    response = auth.login(email, password)
    assert response.status_code == 422
    assert "Email atau kata sandi salah." in response.get_data(as_text=True)


def test_login_follows_only_local_next(client, member):
    token = csrf_token(client)
    form = {"email": "budi@contoh.id", "password": factories.PASSWORD, "csrf_token": token}
    assert client.post("/masuk?next=//evil.example/x", data=form).headers["Location"] == "/"
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/profil")})
    token = csrf_token(client)
    response = client.post("/masuk?next=/riwayat", data={**form, "csrf_token": token})
    assert response.headers["Location"] == "/riwayat"


def test_repeated_failed_logins_are_rate_limited(client, auth, member, app):
    app.config["LOGIN_LIMIT"] = "3 per minute"
    statuses = [auth.login("budi@contoh.id", "salah-sandi-1").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    refused = auth.login("budi@contoh.id").get_data(as_text=True)
    assert "coba lagi dalam 1 menit" in refused
    assert 'value="budi@contoh.id"' in refused, "the form stays filled"


def test_logout_is_a_post(client, auth, member):
    auth.login("budi@contoh.id")
    assert client.get("/keluar").status_code == 405
    response = auth.logout()
    assert response.status_code == 303
    assert client.get("/profil").status_code == 302


def test_post_without_csrf_token_is_refused(client, member):
    response = client.post("/masuk", data={"email": "budi@contoh.id", "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Sesi formulir kedaluwarsa" in response.get_data(as_text=True)


def test_changing_the_password_ends_other_sessions(app, member):
    from tests.conftest import AuthActions

    phone, laptop = app.test_client(), app.test_client()
    AuthActions(phone).login("budi@contoh.id")
    AuthActions(laptop).login("budi@contoh.id")
    response = phone.post(
        "/pengaturan/kata-sandi",
        data={
            "current_password": factories.PASSWORD,
            "new_password": GOOD_PASSWORD,
            "new_password_confirm": GOOD_PASSWORD,
            "csrf_token": csrf_token(phone, "/pengaturan/kata-sandi"),
        },
    )
    assert response.status_code == 303
    assert phone.get("/profil").status_code == 200
    assert laptop.get("/profil").status_code == 302
    assert AuthActions(app.test_client()).login("budi@contoh.id", GOOD_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("salah-sandi-1", GOOD_PASSWORD, GOOD_PASSWORD, "Kata sandi saat ini salah"),
        (factories.PASSWORD, "pendek1", "pendek1", "minimal 8 karakter"),
        (factories.PASSWORD, GOOD_PASSWORD, "lain12345", "Ulangi kata sandi yang sama"),
        (factories.PASSWORD, factories.PASSWORD, factories.PASSWORD, "harus berbeda"),
    ],
)
def test_password_change_errors(client, auth, member, current, new, confirm, message):
    auth.login("budi@contoh.id")
    response = client.post(
        "/pengaturan/kata-sandi",
        data={
            "current_password": current,
            "new_password": new,
            "new_password_confirm": confirm,
            "csrf_token": csrf_token(client, "/pengaturan/kata-sandi"),
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_the_database_refuses_an_account_without_a_population_record(app):
    # Foreign keys hold on SQLite too (PRAGMA foreign_keys on every connection).
    db.session.add(Account(nik="3171010101900009", email="x@contoh.id", phone="0812345678", password_hash="x"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
