"""Server-side sessions (DESIGN §3.17): logout ends a session wherever its cookie is,
idle and absolute lifetimes hold whatever the cookie says, and Keamanan akun shows and
ends sessions."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import AuthActions, csrf_token
from webapp.extensions import db
from webapp.models import AuthSession, SecurityEvent, utcnow

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def member(app):
    person = factories.person()
    card = factories.membership(person)
    return factories.account(person, card, email="budi@contoh.id")


def browser(app, user_agent=ANDROID_CHROME, address="10.0.0.1"):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    return client


def signed_in(app, user_agent=ANDROID_CHROME, address="10.0.0.1"):
    client = browser(app, user_agent, address)
    assert AuthActions(client).login("budi@contoh.id").status_code == 303
    return client


def session_rows():
    db.session.expire_all()
    return db.session.scalars(sa.select(AuthSession).order_by(AuthSession.id)).all()


def age_sessions(**changes):
    db.session.execute(sa.update(AuthSession).values(**changes))
    db.session.commit()


def test_each_sign_in_is_a_server_side_session_and_the_cookie_holds_only_its_token(app, member):
    client = signed_in(app)
    [row] = session_rows()
    assert row.account_id == member.id
    assert row.device == "Chrome Mobile · Android"
    cookie = client.get_cookie("session").value
    assert str(member.id) not in cookie.split(".")[0]
    assert len(row.token_hash) == 64  # only the token's digest is stored


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/profil"), ("GET", "/pengaturan/tambah-kpj"), ("POST", "/pengaturan/tambah-kpj")],
)
def test_a_cookie_replayed_after_logout_is_refused(app, member, method, path):
    client = signed_in(app)
    token = csrf_token(client, "/profil")
    stolen = client.get_cookie("session").value  # with the CSRF secret in it: CSRF passes
    AuthActions(client).logout()
    assert session_rows() == []

    attacker = browser(app, address="10.9.9.9")
    attacker.set_cookie("session", stolen)
    response = attacker.open(path, method=method, data={"csrf_token": token, "kpj": "12345678901", "segmen": "PU"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/masuk")


def test_the_csv_statement_is_refused_to_a_replayed_cookie(app, member):
    client = signed_in(app)
    profile = client.get("/profil").get_data(as_text=True)
    card_link = next(part.split('"')[0] for part in profile.split('href="')[1:] if part.startswith("/kartu/"))
    assert client.get(card_link + "/laporan.csv").status_code == 200
    stolen = client.get_cookie("session").value
    AuthActions(client).logout()
    attacker = browser(app)
    attacker.set_cookie("session", stolen)
    assert attacker.get(card_link + "/laporan.csv").status_code == 302


def test_logout_asks_the_browser_to_clear_caches_and_storage(app, member):
    client = signed_in(app)
    response = AuthActions(client).logout()
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_an_idle_session_ends_after_30_minutes(app, member):
    client = signed_in(app)
    age_sessions(last_seen_at=utcnow() - timedelta(minutes=29))
    assert client.get("/profil").status_code == 200
    age_sessions(last_seen_at=utcnow() - timedelta(minutes=31))
    assert client.get("/profil").status_code == 302
    assert session_rows() == []


def test_a_session_ends_12_hours_after_sign_in_however_active(app, member):
    client = signed_in(app)
    age_sessions(created_at=utcnow() - timedelta(hours=11, minutes=58))
    assert client.get("/profil").status_code == 200
    age_sessions(created_at=utcnow() - timedelta(hours=12, minutes=1), last_seen_at=utcnow())
    assert client.get("/profil").status_code == 302


def test_replaying_an_old_cookie_does_not_extend_a_session(app, member):
    client = signed_in(app)
    old_cookie = client.get_cookie("session").value
    age_sessions(created_at=utcnow() - timedelta(hours=12, minutes=1))
    replay = browser(app)
    replay.set_cookie("session", old_cookie)
    assert replay.get("/profil").status_code == 302
    assert client.get("/profil").status_code == 302


def test_activity_is_written_at_most_once_a_minute(app, member):
    client = signed_in(app)
    seen = utcnow() - timedelta(seconds=30)
    age_sessions(last_seen_at=seen)
    client.get("/profil")
    assert session_rows()[0].last_seen_at == seen
    age_sessions(last_seen_at=utcnow() - timedelta(minutes=2))
    client.get("/profil")
    assert utcnow() - session_rows()[0].last_seen_at < timedelta(seconds=5)


def test_signing_in_renews_the_csrf_secret(app, member):
    client = browser(app)
    before = csrf_token(client, "/masuk")
    client.post("/masuk", data={"email": "budi@contoh.id", "password": factories.PASSWORD, "csrf_token": before})
    after = csrf_token(client, "/profil")
    assert after != before
    # The pre-login token no longer passes.
    response = client.post("/keluar", data={"csrf_token": before})
    assert response.status_code == 400
    assert client.get("/profil").status_code == 200


def test_a_password_change_ends_every_other_session(app, member):
    phone, laptop = signed_in(app), signed_in(app, IPHONE_SAFARI, "10.0.0.2")
    response = phone.post(
        "/pengaturan/kata-sandi",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "sandiBaru2026",
            "new_password_confirm": "sandiBaru2026",
            "csrf_token": csrf_token(phone, "/pengaturan/kata-sandi"),
        },
    )
    assert response.status_code == 303
    assert phone.get("/profil").status_code == 200
    assert laptop.get("/profil").status_code == 302
    assert len(session_rows()) == 1


def test_keamanan_akun_lists_sessions_and_recent_events(app, member):
    phone = signed_in(app)
    signed_in(app, IPHONE_SAFARI, "10.0.0.2")
    AuthActions(browser(app, address="10.0.0.3")).login("budi@contoh.id", "salah-sandi-9")
    page = phone.get("/pengaturan/keamanan").get_data(as_text=True)
    assert "Perangkat yang sedang masuk (2)" in page
    assert "Chrome Mobile · Android" in page and "Mobile Safari · iOS" in page
    assert page.count("Perangkat ini") == 1
    assert "Gagal masuk: kata sandi salah" in page
    assert page.count(">Masuk<") == 2
    assert "KELUAR DARI SEMUA PERANGKAT" in page


def test_keamanan_akun_shows_the_last_20_events(app, member):
    for _ in range(25):
        db.session.add(SecurityEvent(account_id=member.id, kind="SIGN_OUT", device="Firefox · Linux"))
    db.session.commit()
    page = signed_in(app).get("/pengaturan/keamanan").get_data(as_text=True)
    assert page.count('class="events__item') == 20
    assert ">Masuk<" in page  # the newest is this sign-in


def test_sign_out_everywhere_refuses_every_cookie(app, member):
    phone, laptop = signed_in(app), signed_in(app, IPHONE_SAFARI, "10.0.0.2")
    response = phone.post(
        "/pengaturan/keamanan/keluar-semua", data={"csrf_token": csrf_token(phone, "/pengaturan/keamanan")}
    )
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert phone.get("/profil").status_code == 302
    assert laptop.get("/profil").status_code == 302
    assert session_rows() == []
    kinds = db.session.scalars(sa.select(SecurityEvent.kind)).all()
    assert "SIGN_OUT_ALL" in kinds


def test_ending_one_other_session(app, member):
    phone, laptop = signed_in(app), signed_in(app, IPHONE_SAFARI, "10.0.0.2")
    laptop_session = session_rows()[1].id
    response = phone.post(
        f"/pengaturan/keamanan/sesi/{laptop_session}/akhiri",
        data={"csrf_token": csrf_token(phone, "/pengaturan/keamanan")},
    )
    assert response.status_code == 303
    assert laptop.get("/profil").status_code == 302
    assert phone.get("/profil").status_code == 200


def test_another_accounts_session_cannot_be_ended(app, member):
    signed_in(app)
    victim_session = session_rows()[0].id
    other = factories.person()
    factories.account(other, factories.membership(other), email="agus@contoh.id")
    attacker = browser(app, address="10.0.0.7")
    AuthActions(attacker).login("agus@contoh.id")
    response = attacker.post(
        f"/pengaturan/keamanan/sesi/{victim_session}/akhiri",
        data={"csrf_token": csrf_token(attacker, "/pengaturan/keamanan")},
    )
    assert response.status_code == 303
    assert victim_session in [row.id for row in session_rows()]
    assert "Sesi sudah berakhir" in attacker.get("/pengaturan/keamanan").get_data(as_text=True)


def test_static_files_never_load_the_signed_in_account(app, member):
    from tests.querycount import count_queries

    client = signed_in(app)
    with count_queries() as queries:
        with client.get("/static/css/app.css") as response:
            assert response.status_code == 200
    assert queries.count == 0
    assert "Cache-Control" not in response.headers or "no-store" not in response.headers["Cache-Control"]


def test_static_files_and_sehat_leave_the_session_cookie_undecoded(app, member, monkeypatch):
    """The cookie is verified only by a request that uses the session: a static file or the
    liveness check neither decodes it, nor rewrites it, nor answers Vary: Cookie."""
    from webapp.sessions import LazySessionInterface

    client = signed_in(app)
    decoded = []
    original = LazySessionInterface._decode
    monkeypatch.setattr(LazySessionInterface, "_decode",
                        lambda self, *args: decoded.append(1) or original(self, *args))
    for path in ("/static/css/app.css", "/sehat"):
        with client.get(path) as response:
            assert response.status_code == 200
            assert "Set-Cookie" not in response.headers
            assert "cookie" not in response.headers.get("Vary", "").lower()
    assert decoded == []
    # A missing static file is an error page, which uses the session (its CSRF token).
    assert client.get("/static/tidak-ada.css").status_code == 404
    assert decoded == [1]
    decoded.clear()
    assert client.get("/").status_code == 200  # a page reads it, once
    assert decoded == [1]


def test_a_session_cookie_with_a_bad_signature_is_an_empty_session(app, member):
    client = signed_in(app)
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    response = client.get("/pengaturan")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


# --- Verified cookies remembered (webapp/sessions.py, _VERIFIED) ---------------------------


def _signature_checks(monkeypatch) -> list[int]:
    """Counts the full checks of a session cookie (the signing serializer's loads)."""
    from flask.sessions import SecureCookieSessionInterface

    checks = []
    original = SecureCookieSessionInterface.get_signing_serializer

    def counting(self, app):
        serializer = original(self, app)
        loads = serializer.loads
        serializer.loads = lambda *args, **kwargs: checks.append(1) or loads(*args, **kwargs)
        return serializer

    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer", counting)
    return checks


def test_a_cookie_is_checked_once_and_then_remembered(app, member, monkeypatch):
    client = signed_in(app)
    assert client.get("/pengaturan").status_code == 200  # the page adds a CSRF secret: a new cookie
    checks = _signature_checks(monkeypatch)
    for _ in range(3):
        assert client.get("/pengaturan").status_code == 200
    assert checks == [1]  # the new cookie, once


def test_a_remembered_cookie_still_expires(app, member, monkeypatch):
    import webapp.sessions as sessions_module

    client = signed_in(app)
    assert client.get("/pengaturan").status_code == 200
    later = sessions_module.time.time() + app.permanent_session_lifetime.total_seconds() + 5
    monkeypatch.setattr(sessions_module.time, "time", lambda: later)
    response = client.get("/pengaturan")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_a_forged_cookie_is_not_taken_for_a_remembered_one(app, member):
    client = signed_in(app)
    assert client.get("/pengaturan").status_code == 200
    value = client.get_cookie("session").value
    for forged in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), value + "x", value[1:]):
        client.set_cookie("session", forged)
        response = client.get("/pengaturan")
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_a_remembered_cookie_is_not_trusted_under_another_key(app, member):
    client = signed_in(app)
    assert client.get("/pengaturan").status_code == 200
    app.secret_key = "another-key-" + "x" * 40
    response = client.get("/pengaturan")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_cookies_holding_lists_are_not_remembered(app, member):
    """A flashed message is a list in the cookie (Flask's flash() appends to it in place):
    such contents are checked and parsed anew for each request, so that no request can
    change what the next one with the same cookie gets."""
    import webapp.sessions as sessions_module

    client = signed_in(app)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", {"title": "Pesan sekali saja", "text": None, "steps": []})]
    with_message = client.get_cookie("session").value
    for _ in range(2):  # the same cookie twice, as a replay would send it
        client.set_cookie("session", with_message)
        assert client.get("/pengaturan").get_data(as_text=True).count("Pesan sekali saja") == 1
    assert all("_flashes" not in contents for _, contents in sessions_module._VERIFIED.values())
