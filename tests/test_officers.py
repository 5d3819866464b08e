"""Officers (issue 9 point 4): the CLI, the two-step sign-in (password, then a TOTP code
that is good once), enrolment, the officers' server-side sessions and their timeouts."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import AuditEntry, LoginAttempt, Officer, OfficerSession, utcnow
from webapp.officers import services, totp
from webapp.officers import sessions as officer_sessions

PASSWORD = factories.PASSWORD


def make_officer(role: str = "reviewer", *, email: str | None = None, nik: str | None = None,
                 enrolled: bool = True) -> Officer:
    """An officer with PASSWORD; enrolled unless told (as after their first sign-in)."""
    email = email or f"{role}{next(_serial)}@kpjku.id"
    result = services.create(email, role, PASSWORD, PASSWORD, nik)
    assert not isinstance(result, dict), result
    officer = result.officer
    if enrolled:
        officer.totp_enrolled_at = utcnow()
        db.session.commit()
    return officer


_serial = iter(range(1, 1_000_000))


def code_of(officer: Officer) -> str:
    return pyotp.TOTP(officer.totp_secret).now()


def enter_password(client: FlaskClient, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/petugas/masuk")
    return client.post("/petugas/masuk", data={"email": email, "password": password, "csrf_token": token})


def enter_code(client: FlaskClient, code: str):
    token = csrf_token(client, "/petugas/masuk")
    return client.post("/petugas/masuk/kode", data={"kode": code, "csrf_token": token})


def sign_in(client: FlaskClient, officer: Officer):
    """Both real steps. The code of this time step may have been used by an earlier sign-in
    of the same officer in this test: that one is forgotten first (tests only)."""
    db.session.execute(update(Officer).where(Officer.id == officer.id).values(totp_last_step=None))
    db.session.commit()
    assert enter_password(client, officer.email).status_code == 303
    response = enter_code(client, code_of(officer))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def actions() -> list[str]:
    """What officers did, in order (the CLI's own entries aside)."""
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.officer_id.is_not(None)).order_by(AuditEntry.id)
    ))


# --- the CLI --------------------------------------------------------------------------------


def create(runner, *args: str, password: str = PASSWORD, confirm: str | None = None):
    typed = f"{password}\n{confirm if confirm is not None else password}\n"
    return runner.invoke(args=["officers", "create", *args], input=typed)


def test_create_asks_the_password_twice_and_prints_the_secret(app: Flask, runner):
    result = create(runner, "Petugas@KPJku.id", "--role", "claims", "--nik", "3171041203850003")
    assert result.exit_code == 0, result.output
    officer = db.session.scalar(select(Officer))
    assert (officer.email, officer.role, officer.nik) == ("petugas@kpjku.id", "claims", "3171041203850003")
    assert officer.totp_enrolled_at is None and officer.active
    assert officer.totp_secret in result.output
    assert "otpauth://totp/" in result.output
    assert PASSWORD not in result.output
    assert officer.password_hash != PASSWORD


def test_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["officers", "create", "a@kpjku.id", "--role", "admin", "--password-stdin"],
                           input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert services.find("A@kpjku.id").role == "admin"


@pytest.mark.parametrize(
    ("args", "password", "confirm", "complaint"),
    [
        (["--role", "boss"], PASSWORD, None, "role:"),
        (["--role", "reviewer", "--nik", "12345"], PASSWORD, None, "nik:"),
        (["--role", "reviewer"], "pendek1", None, "password:"),
        (["--role", "reviewer"], "hanyahurufsaja", None, "password:"),
        (["--role", "reviewer"], PASSWORD, PASSWORD + "x", "password_confirm:"),
    ],
)
def test_create_refuses_bad_input_and_creates_nothing(app, runner, args, password, confirm, complaint):
    result = create(runner, "baru@kpjku.id", *args, password=password, confirm=confirm)
    assert result.exit_code == 1
    assert complaint in result.output and "No officer was created." in result.output
    assert db.session.scalar(select(Officer)) is None


def test_create_refuses_a_duplicate_email_whatever_its_case(app, runner):
    make_officer(email="sama@kpjku.id")
    result = create(runner, "SAMA@kpjku.id", "--role", "admin")
    assert result.exit_code == 1 and "email:" in result.output
    assert len(services.everyone()) == 1


def test_list_and_deactivate_which_ends_their_sessions(app, client, runner):
    officer = make_officer("claims", email="klaim@kpjku.id")
    sign_in(client, officer)
    assert client.get("/petugas/").status_code == 200
    listed = runner.invoke(args=["officers", "list"])
    assert "klaim@kpjku.id\tclaims\tenrolled\tactive" in listed.output
    result = runner.invoke(args=["officers", "deactivate", "Klaim@kpjku.id"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(OfficerSession)) is None
    assert client.get("/petugas/").headers["Location"] == "/petugas/masuk"
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "officer.deactivate"
    assert runner.invoke(args=["officers", "deactivate", "nobody@kpjku.id"]).exit_code == 1


def test_code_prints_the_current_code_in_development_only(app, runner):
    officer = make_officer()
    refused = runner.invoke(args=["officers", "code", officer.email])
    assert refused.exit_code == 1 and "development" in refused.output
    app.config["OFFICER_CODE_HELPER"] = True
    try:
        result = runner.invoke(args=["officers", "code", officer.email])
    finally:
        del app.config["OFFICER_CODE_HELPER"]
    assert result.exit_code == 0
    assert totp.matching_step(officer.totp_secret, result.output.strip()) is not None


# --- signing in -----------------------------------------------------------------------------


def test_password_then_code_signs_in_and_is_audited(app, client):
    officer = make_officer()
    first = enter_password(client, officer.email)
    assert first.status_code == 303 and first.headers["Location"] == "/petugas/masuk/kode"
    # The password alone grants nothing.
    assert client.get("/petugas/").headers["Location"] == "/petugas/masuk"
    done = enter_code(client, code_of(officer))
    assert done.status_code == 303 and done.headers["Location"] == "/petugas/"
    page = client.get("/petugas/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in html
    assert officer.email in html and 'class="tabbar"' not in html
    assert page.headers["Cache-Control"] == "no-store"
    assert actions() == ["officer.sign_in"]


def test_a_wrong_password_and_an_unknown_email_answer_alike(app, client):
    officer = make_officer()
    wrong = enter_password(client, officer.email, "salah-Sandi-1")
    unknown = enter_password(client, "siapa@kpjku.id", PASSWORD)
    assert wrong.status_code == unknown.status_code == 422
    assert "Email atau kata sandi salah." in wrong.get_data(as_text=True)
    assert "Email atau kata sandi salah." in unknown.get_data(as_text=True)
    assert actions() == ["officer.sign_in_failed"]


def test_empty_fields_name_the_field(app, client):
    token = csrf_token(client, "/petugas/masuk")
    response = client.post("/petugas/masuk", data={"email": "", "password": "", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Email wajib diisi." in html and "Kata sandi wajib diisi." in html


def test_a_wrong_code_is_refused_and_audited(app, client):
    officer = make_officer()
    enter_password(client, officer.email)
    right = code_of(officer)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    response = enter_code(client, wrong)
    assert response.status_code == 422
    assert "Kode salah" in response.get_data(as_text=True)
    assert db.session.scalar(select(OfficerSession)) is None
    assert actions() == ["officer.sign_in_failed"]
    assert enter_code(client, "abc").status_code == 422


def test_a_code_is_good_once(app, client):
    officer = make_officer()
    code = code_of(officer)
    enter_password(client, officer.email)
    assert enter_code(client, code).status_code == 303
    other = factories_client(app)
    enter_password(other, officer.email)
    replayed = enter_code(other, code)
    assert replayed.status_code == 422
    assert db.session.scalar(select(OfficerSession.id).where(OfficerSession.id > 1)) is None


def test_a_code_is_claimed_in_the_database_not_in_memory(app):
    """What a racing request read does not matter: the UPDATE's condition is evaluated by
    the database, so a second request with the same code, whatever it loaded, fails."""
    officer = make_officer()
    code = code_of(officer)
    racing = db.session.get(Officer, officer.id)
    assert racing.totp_last_step is None  # both requests read this before either wrote
    assert totp.accept(officer, code)
    assert not totp.accept(racing, code)
    earlier = f"{pyotp.TOTP(officer.totp_secret).at(officer.totp_last_step * 30 - 30)}"
    assert not totp.accept(officer, earlier)  # nor a code older than the one used


def test_the_half_signed_in_state_expires_after_five_minutes(app, client, monkeypatch):
    officer = make_officer()
    enter_password(client, officer.email)
    later = officer_sessions.time.time() + officer_sessions.PENDING_LIFETIME.total_seconds() + 1
    monkeypatch.setattr(officer_sessions.time, "time", lambda: later)
    response = enter_code(client, code_of(officer))
    assert response.status_code == 303 and response.headers["Location"] == "/petugas/masuk"
    assert db.session.scalar(select(OfficerSession)) is None


def test_the_code_page_without_a_password_goes_back_to_the_start(app, client):
    assert client.get("/petugas/masuk/kode").headers["Location"] == "/petugas/masuk"


def test_enrolment_shows_the_qr_and_the_secret_until_the_first_good_code(app, client):
    officer = make_officer(enrolled=False)
    enter_password(client, officer.email)
    page = client.get("/petugas/masuk/kode").get_data(as_text=True)
    assert "<svg" in page and officer.totp_secret in page
    assert "style=" not in page.split("<main", 1)[1]  # the CSP allows no inline style attributes
    assert enter_code(client, code_of(officer)).status_code == 303
    db.session.refresh(officer)
    assert officer.totp_enrolled_at is not None
    assert actions() == ["officer.enrol", "officer.sign_in"]
    second = factories_client(app)
    enter_password(second, officer.email)
    assert officer.totp_secret not in second.get("/petugas/masuk/kode").get_data(as_text=True)


def test_a_deactivated_officer_cannot_sign_in(app, client):
    officer = make_officer()
    services.deactivate(officer.email)
    assert enter_password(client, officer.email).status_code == 422


def test_failures_are_budgeted_per_officer(app):
    """Guessing from many addresses (the per-IP limit aside) still ends at the officer's
    own budget, which the code step spends too."""
    officer = make_officer()
    guessers = [factories_client(app) for _ in range(3)]
    for attempt in range(12):
        enter_password(guessers[attempt % 3], officer.email, f"salah-{attempt}")
    refused = enter_password(factories_client(app), officer.email)
    assert refused.status_code == 429
    assert "coba lagi dalam" in refused.get_data(as_text=True)
    assert db.session.scalar(select(LoginAttempt.id).limit(1)) is not None


def test_the_sign_in_form_is_rate_limited_per_address(app, client):
    for attempt in range(10):
        enter_password(client, f"x{attempt}@kpjku.id", "salah-Sandi-1")
    assert enter_password(client, "y@kpjku.id", "salah-Sandi-1").status_code == 429


# --- sessions -------------------------------------------------------------------------------


def test_idle_for_fifteen_minutes_ends_the_session(app, client):
    officer = make_officer()
    sign_in(client, officer)
    assert client.get("/petugas/").status_code == 200
    db.session.execute(update(OfficerSession).values(last_seen_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    assert client.get("/petugas/").headers["Location"] == "/petugas/masuk"
    assert db.session.scalar(select(OfficerSession)) is None


def test_fourteen_idle_minutes_are_fine(app, client):
    officer = make_officer()
    sign_in(client, officer)
    db.session.execute(update(OfficerSession).values(last_seen_at=utcnow() - timedelta(minutes=14)))
    db.session.commit()
    assert client.get("/petugas/").status_code == 200


def test_the_absolute_lifetime_ends_a_busy_session(app, client):
    officer = make_officer()
    sign_in(client, officer)
    db.session.execute(update(OfficerSession).values(created_at=utcnow() - timedelta(hours=10, minutes=1)))
    db.session.commit()
    assert client.get("/petugas/").status_code == 302


def test_logout_ends_the_session_and_a_copied_cookie_is_worth_nothing(app, client):
    officer = make_officer()
    sign_in(client, officer)
    copied = client.get_cookie("session").value
    token = csrf_token(client, "/petugas/")
    response = client.post("/petugas/keluar", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/petugas/masuk"
    assert db.session.scalar(select(OfficerSession)) is None
    thief = factories_client(app)
    thief.set_cookie("session", copied)
    assert thief.get("/petugas/").headers["Location"] == "/petugas/masuk"
    assert actions()[-1] == "officer.sign_out"


def test_logout_is_a_post(app, client):
    officer = make_officer()
    sign_in(client, officer)
    assert client.get("/petugas/keluar").status_code == 405


def test_signing_in_as_an_officer_ends_the_participant_in_that_browser(app, client, auth):
    owner = factories.person()
    factories.account(owner, email="peserta@contoh.id")
    assert auth.login("peserta@contoh.id").status_code == 303
    assert client.get("/profil").status_code == 200
    sign_in(client, make_officer())
    assert client.get("/profil").status_code == 302
    # and the other way round
    assert auth.login("peserta@contoh.id").status_code == 303
    assert client.get("/petugas/").headers["Location"] == "/petugas/masuk"


def factories_client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_has_an_enrolled_officer_per_role_and_claims_waiting(app, client, runner):
    from webapp.backoffice.queues import open_claims
    from webapp.demo import dataset
    from webapp.demo import officers as demo_officers
    from webapp.demo.services import load_demo

    assert load_demo().ok
    assert load_demo().ok  # idempotent
    officers = services.everyone()
    assert sorted(o.role for o in officers) == ["admin", "claims", "reviewer"]
    assert all(o.totp_enrolled_at is not None for o in officers)
    waiting = open_claims()
    assert len(waiting) == len(demo_officers.CLAIMS) == 2
    assert all(claim.stage == "AGENDA" and claim.gross > 0 for claim in waiting)
    spec = demo_officers.OFFICERS[1]
    assert enter_password(client, spec.email, dataset.PASSWORD).status_code == 303
    assert enter_code(client, pyotp.TOTP(spec.totp_secret).now()).status_code == 303
    html = client.get("/petugas/klaim").get_data(as_text=True)
    assert html.count("/petugas/klaim/") == 2
    printed = runner.invoke(args=["demo", "logins"]).output
    for spec in demo_officers.OFFICERS:
        assert spec.email in printed and spec.totp_secret in printed
    assert "flask --app wsgi officers code EMAIL" in printed
