"""Who reaches which back-office URL (issue 9 point 8): ONE table of every /petugas URL
(GET and POST, on real objects) × every kind of session, and the test that the table
covers every rule of the blueprint. Plus the other direction: an officer's session is
nothing on the participants' pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests import factories
from tests.conftest import csrf_token
from tests.test_backoffice import World, build_world
from tests.test_officers import enter_password, make_officer, sign_in
from webapp.extensions import db
from webapp.models import Officer, OfficerSession, Transaction, utcnow

ANON, PARTICIPANT, HALF, REVIEWER, CLAIMS, ADMIN, EXPIRED, DEACTIVATED = (
    "anonymous", "participant", "half-signed-in", "reviewer", "claims", "admin",
    "expired officer", "deactivated officer",
)
SESSIONS = (ANON, PARTICIPANT, HALF, REVIEWER, CLAIMS, ADMIN, EXPIRED, DEACTIVATED)
# Not an officer (yet, or any more): every page but the sign-in goes to the sign-in.
OUTSIDERS = (ANON, PARTICIPANT, HALF, EXPIRED, DEACTIVATED)

TO_SIGN_IN = (302, "/petugas/masuk")
POSTED_TO_SIGN_IN = (303, "/petugas/masuk")
OK = (200, None)
FORBIDDEN = (403, None)


def officers_only(allowed_roles: tuple[str, ...], allowed, method: str = "GET") -> dict:
    outside = TO_SIGN_IN if method == "GET" else POSTED_TO_SIGN_IN
    table = {kind: outside for kind in OUTSIDERS}
    for role in (REVIEWER, CLAIMS, ADMIN):
        table[role] = allowed if role in allowed_roles else FORBIDDEN
    return table


EVERY_ROLE = (REVIEWER, CLAIMS, ADMIN)
REQUEST_ROLES = (REVIEWER, ADMIN)
CLAIM_ROLES = (CLAIMS, ADMIN)
ADMIN_ONLY = (ADMIN,)

# (method, rule, path template, form) → {session: (status, Location or None)}
MATRIX: dict[tuple[str, str, str, tuple], dict[str, tuple[int, str | None]]] = {
    ("GET", "/petugas/masuk", "/petugas/masuk", ()): {
        **{kind: OK for kind in OUTSIDERS}, **{role: (302, "/petugas/") for role in EVERY_ROLE},
    },
    ("POST", "/petugas/masuk", "/petugas/masuk", (("email", ""), ("password", ""))): {
        **{kind: (422, None) for kind in OUTSIDERS}, **{role: (302, "/petugas/") for role in EVERY_ROLE},
    },
    ("GET", "/petugas/masuk/kode", "/petugas/masuk/kode", ()): {
        **{kind: TO_SIGN_IN for kind in OUTSIDERS}, HALF: OK, **{role: TO_SIGN_IN for role in EVERY_ROLE},
    },
    ("POST", "/petugas/masuk/kode", "/petugas/masuk/kode", (("kode", "000000x"),)): {
        **{kind: POSTED_TO_SIGN_IN for kind in OUTSIDERS}, HALF: (422, None),
        **{role: POSTED_TO_SIGN_IN for role in EVERY_ROLE},
    },
    ("POST", "/petugas/keluar", "/petugas/keluar", ()): officers_only(EVERY_ROLE, POSTED_TO_SIGN_IN, "POST"),
    ("GET", "/petugas/", "/petugas/", ()): officers_only(EVERY_ROLE, OK),
    ("GET", "/petugas/cari", "/petugas/cari", ()): officers_only(EVERY_ROLE, OK),
    ("POST", "/petugas/cari", "/petugas/cari", (("nomor", "{requester_nik}"),)): officers_only(EVERY_ROLE, OK, "POST"),
    ("GET", "/petugas/audit", "/petugas/audit", ()): officers_only(ADMIN_ONLY, OK),
    ("POST", "/petugas/audit", "/petugas/audit", (("aksi", "claim.view"),)): officers_only(ADMIN_ONLY, OK, "POST"),
    ("GET", "/petugas/perbaikan-data", "/petugas/perbaikan-data", ()): officers_only(REQUEST_ROLES, OK),
    ("GET", "/petugas/kartu-milik-saya", "/petugas/kartu-milik-saya", ()): officers_only(REQUEST_ROLES, OK),
    ("GET", "/petugas/permintaan/<public_id>", "/petugas/permintaan/{request}", ()): officers_only(REQUEST_ROLES, OK),
    ("POST", "/petugas/permintaan/<public_id>/setujui", "/petugas/permintaan/{request}/setujui", ()):
        officers_only(REQUEST_ROLES, (303, "/petugas/perbaikan-data"), "POST"),
    ("POST", "/petugas/permintaan/<public_id>/tolak", "/petugas/permintaan/{request}/tolak",
     (("alasan", "Foto KTP tidak terbaca. Unggah ulang yang jelas."),)):
        officers_only(REQUEST_ROLES, (303, "/petugas/perbaikan-data"), "POST"),
    ("GET", "/petugas/dokumen/<public_id>", "/petugas/dokumen/{request_document}", ()): officers_only(REQUEST_ROLES, OK),
    ("GET", "/petugas/dokumen/<public_id>", "/petugas/dokumen/{claim_document}", ()): officers_only(CLAIM_ROLES, OK),
    ("GET", "/petugas/klaim", "/petugas/klaim", ()): officers_only(CLAIM_ROLES, OK),
    ("GET", "/petugas/klaim/<public_id>", "/petugas/klaim/{claim}", ()): officers_only(CLAIM_ROLES, OK),
    ("POST", "/petugas/klaim/<public_id>", "/petugas/klaim/{claim}", (("tahap", "AGENDA"), ("aksi", "lanjut"))):
        officers_only(CLAIM_ROLES, (303, "/petugas/klaim"), "POST"),
}

CASES = [
    pytest.param(key, kind, id=f"{key[0]} {key[2]} as {kind}")
    for key in MATRIX
    for kind in SESSIONS
]


def test_the_matrix_covers_every_url_and_every_session(app: Flask):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/petugas")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {(method, rule) for method, rule, _, _ in MATRIX}
    for key, row in MATRIX.items():
        assert set(row) == set(SESSIONS), key


@dataclass
class Visitor:
    client: FlaskClient
    token: str


def visitor(app: Flask, kind: str, world: World) -> Visitor:
    client = app.test_client()
    token = csrf_token(client, "/petugas/masuk")
    if kind == PARTICIPANT:
        owner = factories.person()
        factories.account(owner, email="peserta-matriks@contoh.id")
        client.post("/masuk", data={"email": "peserta-matriks@contoh.id", "password": factories.PASSWORD,
                                    "csrf_token": csrf_token(client, "/masuk")})
        assert client.get("/profil").status_code == 200
    elif kind == HALF:
        assert enter_password(client, make_officer("admin").email).status_code == 303
    elif kind in (REVIEWER, CLAIMS, ADMIN, EXPIRED, DEACTIVATED):
        role = kind if kind in (REVIEWER, CLAIMS) else "admin"
        officer = make_officer(role)
        sign_in(client, officer)
        if kind == EXPIRED:
            db.session.execute(
                update(OfficerSession).where(OfficerSession.officer_id == officer.id)
                .values(last_seen_at=utcnow() - timedelta(minutes=16))
            )
        if kind == DEACTIVATED:
            # Not through the CLI (which also ends the sessions): a row that outlives the
            # deactivation still opens nothing.
            db.session.execute(update(Officer).where(Officer.id == officer.id).values(active=False))
        db.session.commit()
    token = csrf_token(client, "/petugas/masuk") if kind not in (REVIEWER, CLAIMS, ADMIN) else _officer_token(client)
    return Visitor(client, token)


def _officer_token(client: FlaskClient) -> str:
    return csrf_token(client, "/petugas/")


@pytest.mark.parametrize(("key", "kind"), CASES)
def test_access(app: Flask, key, kind):
    method, _, template, form = key
    world = build_world()
    person = visitor(app, kind, world)
    values = world.ids()
    path = template.format(**values)
    if method == "GET":
        response = person.client.get(path)
    else:
        data = {name: value.format(**values) for name, value in form}
        response = person.client.post(path, data={**data, "csrf_token": person.token})
    status, location = MATRIX[key][kind]
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    if location is not None:
        assert response.headers["Location"] == location


# --- an officer is nobody on the participants' pages ---------------------------------------


def test_an_officer_session_is_no_participant(app: Flask, client: FlaskClient):
    world = build_world()
    officer = make_officer("admin", nik=world.requester.nik)
    sign_in(client, officer)
    assert client.get("/petugas/").status_code == 200
    for path in ("/", "/profil", "/riwayat", "/pengaturan/tambah-kpj", "/klaim"):
        response = client.get(path)
        assert response.status_code in (302, 200)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/masuk")
        else:
            assert "Keluar" not in response.get_data(as_text=True)
    token = csrf_token(client, "/petugas/")
    refused = client.post("/keluar", data={"csrf_token": token})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/masuk")
    before = db.session.scalar(select(func.count()).select_from(Transaction))
    added = client.post("/pengaturan/tambah-kpj", data={"segmen": "PU", "kpj": world.card_kpj, "csrf_token": token})
    assert added.status_code == 302 and added.headers["Location"].startswith("/masuk")
    assert db.session.scalar(select(func.count()).select_from(Transaction)) == before
    # and the officer's session is still there: the participant pages did not end it
    assert client.get("/petugas/").status_code == 200
