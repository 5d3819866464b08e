"""Every statement of the participant's everyday pages uses an index on PostgreSQL, on a
database large enough that the planner would rather read a whole table than an index
that does not fit (issue 10, point 3: a 1,000,000-participant registry must feel like a
10,000 one). Each page is requested for a signed-in participant with cards; every SQL
statement it sends is captured with its parameters and EXPLAINed (FORMAT JSON), and no
plan may read a large table sequentially.

PostgreSQL only: SQLite's planner is not the production one (deselected on SQLite, see
tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import AuthActions, _empty_tables, csrf_token
from webapp.extensions import db, limiter
from webapp.kpj.services import found_reference
from webapp.models import Account

pytestmark = pytest.mark.postgres_only

# Tables that may be read whole: each holds a handful of rows whatever the number of
# participants, so reading it is cheaper than any index. jht_rates has one row a year;
# officers are the back office's staff, not participants.
SMALL_TABLES = frozenset({"jht_rates", "officers"})

# Rows of the background population: a few tens of thousands of participants is enough
# for the planner to cost a sequential scan far above an index lookup (each table spans
# hundreds of pages), and builds in a couple of seconds.
PEOPLE = 40_000
ACCOUNTS = 16_000  # the first PEOPLE get accounts; each person has two cards
EMPLOYERS = 4_000
CARDS_WITH_CONTRIBUTIONS = 12_000
MONTHS = 12

# Set-based fill, so that it takes seconds: every table a participant's page reads, with
# the proportions of production (most cards unlinked, two cards a person, a year of
# contributions for a sample, sessions, transactions, notifications, ledger entries).
BACKGROUND = [
    f"""INSERT INTO employers (npp, name, risk_class)
        SELECT 'BG' || lpad(g::text, 8, '0'), 'PT Latar ' || g, 1 + g % 5
        FROM generate_series(1, {EMPLOYERS}) g""",
    f"""INSERT INTO population (nik, full_name, birth_place, birth_date, gender, mother_name)
        SELECT '9' || lpad(g::text, 15, '0'), 'PESERTA ' || g, 'KOTA',
               date '1960-01-01' + g % 15000, CASE g % 2 WHEN 0 THEN 'L' ELSE 'P' END,
               'IBU ' || g
        FROM generate_series(1, {PEOPLE}) g""",
    f"""INSERT INTO accounts (nik, email, phone, password_hash, created_at)
        SELECT '9' || lpad(g::text, 15, '0'), 'latar' || g || '@contoh.id', '0812', '-',
               now()
        FROM generate_series(1, {ACCOUNTS}) g""",
    f"""INSERT INTO memberships (kpj, segment, nik, full_name, birth_date, mother_name,
                                 employer_npp, status, registered_on, ended_on,
                                 account_id, linked_at, link_ref)
        SELECT '9' || lpad(g::text, 10, '0'), 'PU', p.nik, p.full_name, p.birth_date,
               p.mother_name, 'BG' || lpad((1 + g % {EMPLOYERS})::text, 8, '0'),
               CASE WHEN g % 3 = 0 THEN 'AKTIF' ELSE 'NONAKTIF' END,
               date '2005-01-01' + g % 6000,
               CASE WHEN g % 3 = 0 THEN NULL ELSE date '2024-01-01' END,
               a.id, CASE WHEN a.id IS NULL THEN NULL ELSE now() END,
               CASE WHEN a.id IS NULL THEN NULL ELSE substr(md5(g::text), 1, 22) END
        FROM generate_series(1, {2 * PEOPLE}) g
        JOIN population p ON p.nik = '9' || lpad((1 + g % {PEOPLE})::text, 15, '0')
        LEFT JOIN accounts a ON a.nik = p.nik""",
    f"""INSERT INTO contributions (kpj, period, wage, jht, jp, jkk, jkm, jkp, paid_on)
        SELECT '9' || lpad(c::text, 10, '0'), make_date(2023, m, 1), 5000000, 285000,
               150000, 27000, 15000, 0, make_date(2023, m, 10)
        FROM generate_series(1, {CARDS_WITH_CONTRIBUTIONS}) c,
             generate_series(1, {MONTHS}) m""",
    # Folded as webapp/ledger.py refresh_years() folds them after every write (the
    # participant's own, written through the ORM, are folded already).
    """INSERT INTO contribution_years (kpj, year, jht, jht_by_month, jp, jp_by_month)
        SELECT kpj, extract(year FROM paid_on)::int, sum(jht),
               sum(jht * extract(month FROM paid_on)::int), sum(jp),
               sum(jp * extract(month FROM paid_on)::int)
        FROM contributions WHERE kpj LIKE '9%' GROUP BY kpj, extract(year FROM paid_on)::int""",
    """INSERT INTO ledger_entries (kpj, kind, amount, booked_on, counterpart_kpj, created_at)
        SELECT kpj, 'MERGE_IN', 1000, date '2024-02-01', NULL, now()
        FROM memberships WHERE kpj LIKE '9%' AND right(kpj, 1) = '7'""",
    """INSERT INTO transactions (account_id, kind, status, reason, kpj, segment, created_at)
        SELECT a.id, 'TAMBAH_KPJ', 'GAGAL', 'NOT_FOUND', NULL, 'PU',
               now() - make_interval(mins => k)
        FROM accounts a, generate_series(1, 3) k""",
    """INSERT INTO auth_sessions (token_hash, account_id, device, created_at, last_seen_at)
        SELECT md5(a.id::text) || md5('s' || a.id), a.id, 'Chrome', now(), now()
        FROM accounts a""",
    """INSERT INTO notifications (account_id, kind, subject, detail, created_at, read_at)
        SELECT a.id, 'CLAIM_STAGE', 'x', 'AGENDA', now(), CASE k WHEN 1 THEN NULL ELSE now() END
        FROM accounts a, generate_series(1, 2) k""",
    """INSERT INTO security_events (account_id, kind, device, created_at)
        SELECT a.id, 'SIGN_IN', 'Chrome', now() FROM accounts a""",
]


@dataclass(frozen=True)
class Participant:
    email: str
    card_ref: str  # a linked card's address (its link_ref)
    found_ref: str  # the Temukan KPJ lama handle of a card under their NIK, unlinked
    unlinked_kpj: str  # another card under their NIK, for Tambah KPJ


@pytest.fixture(scope="module")
def populated(_schema_app: Flask) -> Iterator[Participant]:
    """A participant with linked and unlinked cards among a few tens of thousands of
    others, analysed as the registry import leaves a database. Built once for the module;
    the tables are emptied after it."""
    with _schema_app.app_context():
        participant = _participant(_schema_app.config["SECRET_KEY"])
        with db.engine.begin() as connection:
            for statement in BACKGROUND:
                connection.execute(sa.text(statement))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))
        try:
            yield participant
        finally:
            db.session.remove()
            _empty_tables()
            limiter.reset()


def _participant(secret_key: str) -> Participant:
    owner = factories.person()
    active = factories.membership(owner, segment="PU")
    old = factories.membership(owner, segment="BPU", status="NONAKTIF")
    found = factories.membership(owner, segment="PU", status="NONAKTIF")
    unlinked = factories.membership(owner, segment="BPU", status="NONAKTIF")
    for card in (active, old):
        for year in range(2015, 2025):
            for month in range(1, 13):
                factories.contribution(card, date(year, month, 1))
    for year in range(2000, 2026):
        factories.jht_rate(year, "5.50")
    account: Account = factories.account(owner, active, old)
    return Participant(
        email=account.email,
        card_ref=active.link_ref,
        found_ref=found_reference(secret_key, account.id, found.kpj),
        unlinked_kpj=unlinked.kpj,
    )


@pytest.fixture
def signed_in(_schema_app: Flask, populated: Participant) -> Iterator[FlaskClient]:
    with _schema_app.app_context():
        client = _schema_app.test_client()
        assert AuthActions(client).login(populated.email).status_code == 303
        yield client
        db.session.remove()


@dataclass
class Captured:
    statement: str
    parameters: object


def _capture(client: FlaskClient, request) -> list[Captured]:
    captured: list[Captured] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        captured.append(Captured(statement, parameters[0] if executemany else parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = request(client)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code in (200, 303), response.status_code
    return captured


def _beranda(client: FlaskClient, participant: Participant):
    return client.get("/")


def _profil(client: FlaskClient, participant: Participant):
    return client.get("/profil")


def _card_page(client: FlaskClient, participant: Participant):
    return client.get(f"/kartu/{participant.card_ref}")


def _temukan(client: FlaskClient, participant: Participant):
    return client.get("/pengaturan/temukan-kpj")


def _temukan_link(client: FlaskClient, participant: Participant):
    token = csrf_token(client, "/pengaturan/temukan-kpj")
    return client.post(
        "/pengaturan/temukan-kpj",
        data={"ref": participant.found_ref, "csrf_token": token},
        headers={"HX-Request": "true"},
    )


def _tambah(client: FlaskClient, participant: Participant):
    return client.get("/pengaturan/tambah-kpj?segmen=BPU")


def _tambah_link(client: FlaskClient, participant: Participant):
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=BPU")
    return client.post(
        "/pengaturan/tambah-kpj",
        data={"segmen": "BPU", "kpj": participant.unlinked_kpj, "csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "segment-form"},
    )


def _tambah_unknown(client: FlaskClient, participant: Participant):
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    return client.post(
        "/pengaturan/tambah-kpj",
        data={"segmen": "PU", "kpj": "12345678901", "csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": "segment-form"},
    )


# Each page, and a statement it must send, so that the path checked is the one meant (the
# links must reach the UPDATE that links the card).
PAGES = {
    "beranda": (_beranda, "FROM memberships"),
    "profil": (_profil, "FROM memberships"),
    "kartu": (_card_page, "FROM memberships"),
    "temukan-kpj": (_temukan, "FROM memberships"),
    "temukan-kpj-tambah": (_temukan_link, "UPDATE memberships"),
    "tambah-kpj": (_tambah, "FROM memberships"),
    "tambah-kpj-kirim": (_tambah_link, "UPDATE memberships"),
    "tambah-kpj-tidak-ditemukan": (_tambah_unknown, "INSERT INTO transactions"),
}

_EXPLAINABLE = ("SELECT", "WITH", "UPDATE", "DELETE", "INSERT")


def _plan(statement: Captured) -> dict:
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) {statement.statement}", statement.parameters
        )
        document = rows.scalar_one()
    document = json.loads(document) if isinstance(document, str) else document
    return document[0]["Plan"]


def _nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def sequential_scans(plan: dict) -> list[str]:
    """The large tables a plan reads whole."""
    return [
        node["Relation Name"]
        for node in _nodes(plan)
        if node["Node Type"] == "Seq Scan" and node["Relation Name"] not in SMALL_TABLES
    ]


@pytest.mark.parametrize("page", list(PAGES))
def test_no_page_statement_reads_a_large_table_whole(signed_in, populated, page):
    send, expected = PAGES[page]
    statements = _capture(signed_in, lambda client: send(client, populated))
    assert any(expected in s.statement for s in statements), "not the path meant"
    explained = [s for s in statements if s.statement.lstrip().upper().startswith(_EXPLAINABLE)]
    offenders = []
    for statement in explained:
        scans = sequential_scans(_plan(statement))
        if scans:
            offenders.append(f"{', '.join(scans)} read whole by:\n{statement.statement}")
    assert not offenders, "\n\n".join(offenders)


def test_the_check_sees_a_sequential_scan_when_there_is_one(signed_in, populated):
    """The detector itself: a lookup by a column no index covers reads the table whole."""
    plan = _plan(
        Captured(
            "SELECT kpj FROM memberships WHERE mother_name = %(name)s", {"name": "IBU 7"}
        )
    )
    assert sequential_scans(plan) == ["memberships"]
