"""Issue 9's new surfaces attacked: odd digits in the back office's numbers, hostile JSON at
the push endpoints, replayed and half-signed-in cookies, and other accounts' objects."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import AuthActions, csrf_token
from tests.test_backoffice import build_world, officer_client, post
from tests.test_officers import enter_password, make_officer
from sqlalchemy import select

from tests import factories
from webapp.extensions import db
from webapp.models import AuditEntry


@pytest.fixture
def budi(app):
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


# --- numbers that are digits to Python but not to int() ------------------------------------


@pytest.mark.parametrize("field", ["halaman", "petugas"])
@pytest.mark.parametrize("typed", ["²", "¹²", "①", "٣", "１２"])
def test_the_audit_logs_numbers_take_ascii_digits_only(app: Flask, field, typed):
    build_world()
    client, _ = officer_client(app, "admin")
    response = post(client, "/petugas/audit", **{field: typed})
    assert response.status_code == 200


# --- push JSON ----------------------------------------------------------------------------


def _push_post(client, body: bytes, path="/notifikasi/push"):
    token = csrf_token(client, "/notifikasi")
    return client.post(path, data=body, content_type="application/json", headers={"X-CSRFToken": token})


NUL_ENDPOINT = b'{"endpoint": "https://fcm.googleapis.com/fcm/send/a\\u0000b", "keys": {"p256dh": "%s", "auth": "%s"}}'

HOSTILE_JSON = {
    "deep array": b"[" * 20_000 + b"]" * 20_000,
    "deep object": b'{"endpoint":' * 5_000 + b"1" + b"}" * 5_000,
    "fairly deep": b'{"endpoint": "x", "keys": ' + b"[" * 50 + b"]" * 50 + b"}",
    "not json": b"not json",
    "a string": b'"just a string"',
    "wrong types": b'{"endpoint": ["x"], "keys": 5}',
    "not utf-8": b"\xff\xfe",
    "NUL in a key": b'{"endpoint\\u0000": "x"}',
    "NUL in the endpoint": NUL_ENDPOINT,
    "lone surrogate": b'{"endpoint": "https://fcm.googleapis.com/\\ud800"}',
}


@pytest.mark.parametrize("path", ["/notifikasi/push", "/notifikasi/push/hapus"])
@pytest.mark.parametrize("body", list(HOSTILE_JSON.values()), ids=list(HOSTILE_JSON))
def test_hostile_push_json_is_a_json_400_and_stores_nothing(app, client, budi, path, body):
    from tests.test_push import Browser, subscriptions

    if body is NUL_ENDPOINT:
        keys = Browser().subscription("https://fcm.googleapis.com/x")["keys"]
        body = body % (keys["p256dh"].encode(), keys["auth"].encode())
    AuthActions(client).login("budi@contoh.id")
    response = _push_post(client, body, path)
    assert response.status_code == 400
    assert response.is_json and response.json["error"]
    assert subscriptions() == []


def test_json_with_a_nul_is_refused_at_the_door(app):
    from webapp.input_guard import MAX_JSON_DEPTH

    with app.app_context():
        with pytest.raises(ValueError):
            app.json.loads('{"a": "\\u0000"}')
        with pytest.raises(ValueError):
            app.json.loads("[" * (MAX_JSON_DEPTH + 2) + "]" * (MAX_JSON_DEPTH + 2))
        with pytest.raises(ValueError):
            app.json.loads("[" * 100_000 + "]" * 100_000)
        assert app.json.loads('{"a": ["b", {"c": "Rp 1.000 — ✓"}]}') == {"a": ["b", {"c": "Rp 1.000 — ✓"}]}


def test_a_push_body_over_the_form_limit_is_refused(app, client, budi):
    AuthActions(client).login("budi@contoh.id")
    response = _push_post(client, b'{"endpoint": "' + b"a" * 70_000 + b'"}')
    assert response.status_code == 413


# --- half-signed-in cookie ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/petugas/", "/petugas/cari", "/petugas/audit", "/petugas/klaim",
                                  "/petugas/perbaikan-data", "/petugas/kartu-milik-saya"])
def test_a_password_only_cookie_opens_nothing(app, client, path):
    officer = make_officer("admin")
    assert enter_password(client, officer.email).status_code == 303
    assert client.get(path).status_code == 302
    token = csrf_token(client, "/petugas/masuk")
    response = client.post(path, data={"csrf_token": token, "nomor": "12345678901"})
    assert response.status_code in (303, 405)


# --- a claim's rejection reason follows the request's rule ------------------------------------


@pytest.mark.parametrize("reason, complaint", [
    ("x" * 301, "paling panjang 300 karakter; yang Anda tulis 301"),
    ("Rekening salah.\nHubungi kantor cabang.", "tidak diizinkan (misalnya baris baru)"),
    ("Rekening\tsalah.", "tidak diizinkan"),
    ("   ", "Tulis alasan penolakan"),
])
def test_a_claims_rejection_reason_is_refused_not_cut_and_nothing_moves(app, reason, complaint):
    from webapp.balances.services import today
    from webapp.claims import services as claims_services

    world = build_world()
    client, officer = officer_client(app, "claims")
    with pytest.raises(claims_services.ReasonMissing, match=complaint.split(" (")[0]):
        claims_services.advance(world.claim.id, today(), reject=reason, officer=officer, expected="AGENDA")
    response = post(client, f"/petugas/klaim/{world.claim.public_id}", tahap="AGENDA", aksi="tolak", alasan=reason)
    assert response.status_code == 422
    assert complaint in response.get_data(as_text=True)
    db.session.refresh(world.claim)
    assert (world.claim.stage, world.claim.rejection_reason) == ("AGENDA", None)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "claim.reject")).all() == []


def test_a_reason_of_exactly_300_characters_is_kept_whole(app):
    from webapp.balances.services import today
    from webapp.claims import services as claims_services

    world = build_world()
    officer = make_officer("claims")
    reason = "Rekening bukan atas nama peserta. " * 8 + "x" * 28
    assert len(reason) == 300
    claim = claims_services.advance(world.claim.id, today(), reject=reason, officer=officer, expected="AGENDA")
    assert claim.rejection_reason == reason


# --- "tandai semua dibaca" racing a new notification ------------------------------------------


def _hidden(html: str, name: str) -> str:
    import re

    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


@pytest.mark.parametrize("htmx", [False, True])
def test_marking_all_read_leaves_what_arrived_after_the_page_unread(app, client, budi, htmx):
    from tests.test_notifications import HTMX, notices, unread

    notices(budi, 2)
    AuthActions(client).login("budi@contoh.id")
    html = client.get("/notifikasi").get_data(as_text=True)
    form = {"csrf_token": _hidden(html, "csrf_token"), "halaman": "1", "sampai": _hidden(html, "sampai")}
    notices(budi, 1)  # a claim rejected while the participant reads the page
    response = client.post("/notifikasi/baca-semua", data=form, headers=HTMX if htmx else {})
    assert unread(budi) == 1
    shown = response.get_data(as_text=True) if htmx else client.get("/notifikasi").get_data(as_text=True)
    assert "1 belum dibaca" in shown


def test_mark_all_read_up_to_at_service_level(app, budi):
    from tests.test_notifications import notices, unread
    from webapp.notifications import services

    first, second = notices(budi, 2)
    assert services.newest_id(budi.id) == second.id
    assert services.mark_all_read(budi.id, up_to=first.id) == 1
    assert unread(budi) == 1
    assert services.mark_all_read(budi.id) == 1
    assert unread(budi) == 0


# --- the officers' sign-in ------------------------------------------------------------------


def test_guessing_the_code_spends_the_officers_budget_even_with_the_right_password(app):
    """Whoever has the password gets ten guesses of the six digits an hour, from however
    many browsers; then even the right code waits."""
    from tests.test_officers import code_of, enter_code

    officer = make_officer("admin")
    for attempt in range(10):
        guesser = app.test_client()
        assert enter_password(guesser, officer.email).status_code == 303
        wrong = f"{(int(code_of(officer)) + 1 + attempt) % 1_000_000:06d}"
        assert enter_code(guesser, wrong).status_code == 422
    browser = app.test_client()
    assert enter_password(browser, officer.email).status_code == 429
    assert browser.get("/petugas/").status_code == 302


def _answer(app, email: str, password: str) -> tuple[int, set[str], str]:
    """Status, header names and page, with the CSRF token and the address typed taken out."""
    import re

    response = enter_password(app.test_client(), email, password)
    body = re.sub(r'value="[^"]*"', "", response.get_data(as_text=True)).replace(email, "EMAIL")
    return response.status_code, set(response.headers.keys()), body


@pytest.mark.parametrize("case", ["wrong password", "deactivated"])
def test_the_officers_sign_in_answers_alike_whoever_is_behind_the_address(app, case):
    from tests.test_officers import PASSWORD
    from webapp.officers import services

    officer = make_officer("reviewer", email="rudi@kpjku.id")
    if case == "deactivated":
        services.deactivate(officer.email)
    password = "Salah-Sandi-99" if case == "wrong password" else PASSWORD
    unknown = _answer(app, "siapa@kpjku.id", "Salah-Sandi-99")
    assert unknown[0] == 422 and "Email atau kata sandi salah." in unknown[2]
    assert _answer(app, officer.email, password) == unknown


# --- invisible characters in what an officer reads ------------------------------------------


@pytest.mark.parametrize("employer", ["\u200b", "\u200b\u200b\u200b", "PT \u202eayaJ ranis", "PT Sinar\ufeff Jaya"])
def test_an_employer_name_with_invisible_characters_is_refused_naming_the_field(app, employer):
    import io

    from werkzeug.datastructures import FileStorage, MultiDict

    from tests.test_requests_ownership import fields
    from tests.test_uploads import png
    from webapp.balances.services import today
    from webapp.requests import services

    files = {"dokumen": FileStorage(io.BytesIO(png()), "x")}
    errors = services.parse_ownership(MultiDict(fields("12345678901", perusahaan=employer)), files, today().year)
    assert isinstance(errors, dict) and list(errors) == ["perusahaan"]
    assert "tidak terlihat" in errors["perusahaan"]


def test_the_ownership_page_refuses_an_invisible_employer_and_files_nothing(app, client, budi):
    from tests.test_requests_ownership import post as post_ownership, requests_

    AuthActions(client).login("budi@contoh.id")
    response = post_ownership(client, "12345678901", perusahaan="\u200b")
    assert response.status_code == 422
    assert "Nama perusahaan berisi karakter yang tidak terlihat" in response.get_data(as_text=True)
    assert requests_() == []


@pytest.mark.parametrize("reason", ["\u200b", "Dokumen \u202etidak jelas"])
def test_a_rejection_reason_with_invisible_characters_is_refused(app, reason):
    from webapp.forms import reason_error

    assert "tidak diizinkan" in reason_error(reason)
    assert reason_error("Foto KTP buram; unggah ulang — terima kasih.") is None


# --- the audit log is no way round the masking ----------------------------------------------


def test_the_audit_log_shows_a_corrections_biodata_masked(app):
    from webapp.formatting import mask_nik
    from webapp.requests import decisions

    world = build_world()
    decisions.approve(world.request.public_id, make_officer("reviewer"))
    admin, _ = officer_client(app, "admin")
    html = post(admin, "/petugas/audit", aksi="request.approve").get_data(as_text=True)
    assert "nik: " + mask_nik(world.requester.nik) in html
    assert world.requester.nik not in html
    assert "SITI AMINA" not in html and "mother_name: S•• A••" in html
    assert "RINA MARLINA" in html  # the name an officer sees on every page stays readable


# --- CSRF on every officer POST -------------------------------------------------------------


def test_every_officer_post_needs_the_csrf_token(app):
    from sqlalchemy import func

    from webapp.models import OfficerSession

    world = build_world()
    client, _ = officer_client(app, "admin")
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    paths = {
        "/petugas/cari": {"nomor": world.requester.nik},
        f"/petugas/permintaan/{world.request.public_id}/setujui": {},
        f"/petugas/permintaan/{world.request.public_id}/tolak": {"alasan": "Buram."},
        f"/petugas/klaim/{world.claim.public_id}": {"tahap": "AGENDA"},
        "/petugas/audit": {},
        "/petugas/keluar": {},
    }
    for path, data in paths.items():
        assert client.post(path, data=data).status_code == 400, path
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert (world.request.status, world.claim.stage) == ("DIPROSES", "AGENDA")
    assert db.session.scalar(select(func.count()).select_from(OfficerSession)) == 1


# --- garbage in the participants' query strings ----------------------------------------------


@pytest.mark.parametrize("query", [
    "transaksi=²", "transaksi=-1", "transaksi=1e3", "transaksi=" + "9" * 30, "transaksi=٣",
    "kartu=../../etc", "kartu=" + "A" * 4000, "kartu=", "transaksi=&kartu=x", "kartu=%F0%9F%92%A9",
])
def test_odd_handles_are_a_404_or_a_plain_page(app, client, budi, query):
    AuthActions(client).login("budi@contoh.id")
    assert client.get(f"/pengaturan/perbaikan-data?{query}").status_code == 404
    assert client.get(f"/pengaturan/kartu-milik-saya?{query}").status_code == 200


@pytest.mark.parametrize("page", ["²", "0", "-1", "10001", "1.0", "١", " 1", "9" * 40])
def test_odd_inbox_pages_are_a_400(app, client, budi, page):
    AuthActions(client).login("budi@contoh.id")
    assert client.get("/notifikasi", query_string={"halaman": page}).status_code == 400


# --- one browser subscribing twice at once ------------------------------------------------------


def test_a_subscription_that_loses_the_race_updates_the_winners_row(app, client, budi, monkeypatch):
    """push.js asking twice at once: the second insert of the same endpoint meets the
    first one's row on the unique index (a 500 before); it updates that row instead."""
    from tests.test_push import Browser, subscribe, subscriptions
    from webapp.models import PushSubscription
    from webapp.notifications import push

    endpoint = "https://fcm.googleapis.com/fcm/send/abc"
    winner = Browser().subscription(endpoint)
    db.session.add(PushSubscription(account_id=budi.id, endpoint=endpoint, p256dh=winner["keys"]["p256dh"],
                                    auth=winner["keys"]["auth"]))
    db.session.commit()
    looked_up, real_find = [], push._find

    def find_before_the_other_commits(endpoint: str):
        looked_up.append(endpoint)
        return None if len(looked_up) == 1 else real_find(endpoint)

    monkeypatch.setattr(push, "_find", find_before_the_other_commits)
    AuthActions(client).login("budi@contoh.id")
    loser = Browser().subscription(endpoint)
    assert subscribe(client, loser).status_code == 201
    [row] = subscriptions()
    assert (row.account_id, row.p256dh, row.auth) == (budi.id, loser["keys"]["p256dh"], loser["keys"]["auth"])
    assert len(looked_up) == 2


# --- the append-only audit log ----------------------------------------------------------------


def test_no_foreign_key_cascades_into_the_audit_log(app):
    """Deleting an account or an officer must fail, not take their audit entries along."""
    foreign_keys = list(AuditEntry.__table__.foreign_keys)
    assert {fk.column.table.name for fk in foreign_keys} == {"accounts", "officers"}
    assert all(fk.ondelete is None for fk in foreign_keys)


def test_no_bulk_statement_writes_to_the_audit_log():
    """Core update()/delete() statements skip the model's append-only events (the
    PostgreSQL trigger would stop them, SQLite would not): none may name the log."""
    import re
    from pathlib import Path

    bulk = re.compile(r"\b(update|delete)\(\s*AuditEntry\b|\b(UPDATE|DELETE FROM)\s+audit_log\b", re.I)
    sources = (Path(__file__).parents[1] / "webapp").rglob("*.py")
    offenders = [str(path) for path in sources if bulk.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


# --- replayed cookies --------------------------------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_participants_cookie_copied_before_logout_opens_no_inbox_nor_request(app, client, budi):
    from tests.test_notifications import notices, unread

    notices(budi, 1)
    AuthActions(client).login("budi@contoh.id")
    token = csrf_token(client, "/notifikasi")
    copied = _cookie(client)
    AuthActions(client).logout()
    thief = app.test_client()
    thief.set_cookie("session", copied)
    for path in ("/notifikasi", "/pengaturan/permintaan", "/pengaturan/kartu-milik-saya"):
        assert thief.get(path).status_code == 302, path
    assert thief.post("/notifikasi/baca-semua", data={"csrf_token": token}).status_code in (302, 303, 400)
    assert unread(budi) == 1


def test_an_officers_cookie_is_nothing_once_they_are_deactivated(app):
    from webapp.officers import services

    world = build_world()
    client, officer = officer_client(app, "admin")
    token = csrf_token(client, "/petugas/")
    services.deactivate(officer.email)
    assert client.get("/petugas/").status_code == 302
    response = client.post("/petugas/cari", data={"nomor": world.requester.nik, "csrf_token": token})
    assert response.status_code in (303, 400)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "member.search")).all() == []
