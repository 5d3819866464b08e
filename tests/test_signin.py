"""Guessing is slow and the owner is never locked out (OWASP device cookies, DESIGN
§3.17): unknown browsers share a failure budget per account, a browser that has signed
in keeps its own, and a spent budget answers with the minutes to wait."""

import re
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import csrf_token
from webapp.auth import devices, signin
from webapp.extensions import db
from webapp.models import LoginAttempt, SecurityEvent, utcnow

WRONG = "salah-sandi-1"
_addresses = iter(f"10.1.{i // 250}.{i % 250}" for i in range(100_000))


@pytest.fixture
def member(app):
    person = factories.person()
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


def try_login(app, email="budi@contoh.id", password=WRONG, client=None):
    """One attempt, from a fresh address so the per-address limit stays out of the way."""
    client = client or app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(_addresses)
    token = csrf_token(client, "/masuk")
    return client.post("/masuk", data={"email": email, "password": password, "csrf_token": token})


def known_browser(app):
    """The owner's phone: it signed in once, so it carries a device cookie."""
    client = app.test_client()
    assert try_login(app, password=factories.PASSWORD, client=client).status_code == 303
    assert client.get_cookie(devices.COOKIE, path="/masuk") is not None
    client.post("/keluar", data={"csrf_token": csrf_token(client, "/profil")})
    return client


def spend_unknown_budget(app, email="budi@contoh.id"):
    statuses = [try_login(app, email).status_code for _ in range(signin.UNKNOWN_BROWSER_FAILURES)]
    assert statuses == [422] * signin.UNKNOWN_BROWSER_FAILURES


def wait_minutes(response) -> int:
    match = re.search(r"coba lagi dalam (\d+) menit", response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return int(match.group(1))


def test_unknown_browsers_wait_once_the_accounts_budget_is_spent(app, member):
    spend_unknown_budget(app)
    refused = try_login(app, password=factories.PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert wait_minutes(refused) == 60
    assert "Lupa kata sandi" in refused.get_data(as_text=True)


def test_the_owners_known_browser_signs_in_at_once_when_the_budget_is_spent(app, member):
    phone = known_browser(app)
    spend_unknown_budget(app)
    assert try_login(app, client=phone, password=factories.PASSWORD).status_code == 303
    assert phone.get("/profil").status_code == 200


def test_a_known_browser_has_its_own_small_budget(app, member):
    phone = known_browser(app)
    statuses = [try_login(app, client=phone).status_code for _ in range(signin.KNOWN_BROWSER_FAILURES)]
    assert statuses == [422] * signin.KNOWN_BROWSER_FAILURES
    # Its own failures did not touch the budget unknown browsers share...
    assert try_login(app, password=factories.PASSWORD).status_code == 303
    # ...and once its budget is spent it is one of the unknown.
    spend_unknown_budget(app)
    assert try_login(app, client=phone, password=factories.PASSWORD).status_code == 429


def test_a_device_cookie_of_another_account_or_forged_does_not_help(app, member):
    other = factories.person()
    factories.account(other, factories.membership(other), email="agus@contoh.id")
    agus_phone = app.test_client()
    assert try_login(app, "agus@contoh.id", factories.PASSWORD, client=agus_phone).status_code == 303
    agus_phone.post("/keluar", data={"csrf_token": csrf_token(agus_phone, "/profil")})
    spend_unknown_budget(app)
    assert try_login(app, client=agus_phone, password=factories.PASSWORD).status_code == 429

    forged = app.test_client()
    forged.set_cookie(devices.COOKIE, "WzEsImFiYyJd.forged", path="/masuk")
    assert try_login(app, client=forged, password=factories.PASSWORD).status_code == 429


def test_the_wait_is_the_same_for_an_address_without_an_account(app, member):
    spend_unknown_budget(app, "tidakada@contoh.id")
    refused = try_login(app, "tidakada@contoh.id")
    assert refused.status_code == 429
    for _ in range(signin.UNKNOWN_BROWSER_FAILURES):
        assert try_login(app).status_code == 422  # budi's budget is budi's own
    budi_refused = try_login(app)
    assert _blank(budi_refused, "budi@contoh.id") == _blank(refused, "tidakada@contoh.id")


def _blank(response, email: str) -> str:
    """The page with the address typed and the CSRF tokens blanked."""
    html = response.get_data(as_text=True).replace(email, "EMAIL")
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def test_failed_sign_ins_are_security_events_without_the_password(app, member):
    try_login(app, password="rahasia-tebakan-7")
    [event] = db.session.scalars(sa.select(SecurityEvent)).all()
    assert event.kind == "SIGN_IN_FAILED"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 1
    stored = db.session.scalar(sa.select(LoginAttempt.email_key))
    assert "budi" not in stored


def test_a_correct_password_gives_its_place_back(app, member):
    for _ in range(3):
        assert try_login(app, password=factories.PASSWORD).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0


def test_an_attacker_gets_at_most_10_wrong_passwords_an_hour_and_the_owner_still_signs_in(
    app, member, monkeypatch
):
    """Two simulated hours of an attacker trying from fresh addresses every minute."""
    phone = known_browser(app)
    clock = {"now": utcnow()}
    monkeypatch.setattr(signin, "utcnow", lambda: clock["now"])
    checked: list[datetime] = []
    for minute in range(120):
        clock["now"] += timedelta(minutes=1)
        for _ in range(2):
            if try_login(app).status_code == 422:
                checked.append(clock["now"])
        if minute in (30, 90):
            assert try_login(app, client=phone, password=factories.PASSWORD).status_code == 303
            phone.post("/keluar", data={"csrf_token": csrf_token(phone, "/profil")})
    assert len(checked) == 2 * signin.UNKNOWN_BROWSER_FAILURES
    for start in checked:
        in_hour = [moment for moment in checked if start <= moment < start + timedelta(hours=1)]
        assert len(in_hour) <= signin.UNKNOWN_BROWSER_FAILURES


def test_concurrent_guesses_cannot_overspend_the_budget(app, member):
    """Places are reserved and committed before the password is checked."""
    results: list[int] = []
    barrier = threading.Barrier(16, timeout=20)

    def guess() -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = next(_addresses)
        token = csrf_token(client, "/masuk")
        barrier.wait()
        response = client.post("/masuk", data={"email": "budi@contoh.id", "password": WRONG, "csrf_token": token})
        results.append(response.status_code)

    with app.app_context():
        threads = [threading.Thread(target=_in_context(app, guess)) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 16
    assert results.count(422) <= signin.UNKNOWN_BROWSER_FAILURES
    assert set(results) <= {422, 429}
    failures = db.session.scalar(sa.select(sa.func.count()).select_from(SecurityEvent))
    assert failures == results.count(422)


def _in_context(app, target):
    def run() -> None:
        with app.app_context():
            target()
            db.session.remove()

    return run


def test_the_per_address_limit_still_applies(app, member):
    app.config["LOGIN_LIMIT"] = "3 per minute"
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.200.0.1"
    statuses = []
    for _ in range(4):
        token = csrf_token(client, "/masuk")
        statuses.append(client.post("/masuk", data={"email": "x@contoh.id", "password": WRONG, "csrf_token": token}).status_code)
    assert statuses == [422, 422, 422, 429]
