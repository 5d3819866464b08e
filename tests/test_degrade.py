"""Degrade, do not fail: without Redis the limits count in memory and say so; with Redis
they are shared between processes; on SQLite a long write makes requests wait, not fail."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid

import pytest
import redis
import sqlalchemy as sa

from tests import factories
from tests.conftest import csrf_token, missing_service
from tests.startup import environment, flask, run_python, sqlite_url
from webapp.extensions import SQLITE_BUSY_TIMEOUT_MS, db
from webapp.models import Transaction

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
# WAL and the busy timeout are SQLite settings (PostgreSQL readers never wait for a
# writer): the PostgreSQL pass deselects these tests rather than skipping them.
sqlite_only = pytest.mark.sqlite_only

# A production app whose rate-limit store does not answer (nothing listens on port 1):
# register, log in, add a card, then find that logins are still limited.
WITHOUT_REDIS = """
import json
from webapp import create_app
from tests import factories

app = create_app("production", LOGIN_LIMIT="3 per minute")
with app.app_context():
    budi = factories.person(full_name="BUDI SANTOSO")
    factories.account(budi, factories.membership(budi), email="budi@contoh.id")
    old_card = factories.membership(budi, status="NONAKTIF")
    dewi, dewi_card = factories.newcomer()
    dewi_form = {
        "nik": dewi.nik, "full_name": dewi.full_name, "birth_date": str(dewi.birth_date),
        "mother_name": dewi.mother_name, "kpj": dewi_card.kpj, "email": "dewi@contoh.id",
        "phone": "081234567890", "password": "sandiBaru2026", "password_confirm": "sandiBaru2026",
    }
    old_kpj = old_card.kpj

HTTPS = "https://kpjku.example"
statuses = {}

def post(client, path, form, page, address="192.0.2.1"):
    html = client.get(page, base_url=HTTPS).get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(
        path, base_url=HTTPS, data={**form, "csrf_token": token}, headers={"Referer": HTTPS + page},
        environ_overrides={"REMOTE_ADDR": address},
    )

client = app.test_client()
statuses["login page"] = client.get("/masuk", base_url=HTTPS).status_code
budi_login = {"email": "budi@contoh.id", "password": "%s"}
statuses["login"] = post(client, "/masuk", budi_login, "/masuk").status_code
statuses["tambah kpj"] = post(client, "/pengaturan/tambah-kpj", {"kpj": old_kpj, "segmen": "PU"},
                              "/pengaturan/tambah-kpj?segmen=PU").status_code
statuses["register"] = post(app.test_client(), "/daftar", dewi_form, "/daftar").status_code
statuses["wrong logins"] = [
    post(app.test_client(), "/masuk", {"email": "x@contoh.id", "password": "salah"}, "/masuk",
         address="192.0.2.99").status_code
    for _ in range(4)
]
print(json.dumps(statuses))
""" % factories.PASSWORD

# One of two app processes sharing the local Redis: three wrong registrations.
SHARED_LIMIT = """
import json
from webapp import create_app

# Lupa kata sandi: every request counts against its per-address limit, even one refused by
# the field checks (which need no database here).
app = create_app("production", RESET_LIMIT_PER_IP="4 per minute",
                 RESET_LIMIT_PER_EMAIL="100 per minute", RATELIMIT_KEY_PREFIX="%s",
                 RATELIMIT_STORAGE_URI="%s")
client = app.test_client()
HTTPS = "https://kpjku.example"
html = client.get("/lupa-sandi", base_url=HTTPS).get_data(as_text=True)
token = html.split('name="csrf_token" value="')[1].split('"')[0]
print(json.dumps([
    client.post("/lupa-sandi", base_url=HTTPS, data={"email": "x", "csrf_token": token},
                headers={"Referer": HTTPS + "/lupa-sandi"}).status_code
    for _ in range(3)
]))
"""


def production(tmp_path, **variables) -> dict[str, str]:
    return environment(
        KPJKU_CONFIG="production", SECRET_KEY="s" * 32, DATABASE_URL=sqlite_url(tmp_path),
        **variables,
    )


@pytest.mark.startup
def test_without_redis_login_registration_and_tambah_kpj_work_with_in_memory_limits(tmp_path):
    env = production(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    migrated = flask("db", "upgrade", env=env)
    assert migrated.returncode == 0, migrated.stderr
    started = time.monotonic()
    run = run_python(WITHOUT_REDIS, env)
    assert run.returncode == 0, run.stderr
    statuses = json.loads(run.stdout.splitlines()[-1])
    assert statuses == {
        "login page": 200,
        "login": 303,
        "tambah kpj": 303,
        "register": 303,
        "wrong logins": [422, 422, 422, 429],  # still limited, in this process's memory
    }
    assert "Rate limit storage unreachable - falling back to in-memory storage" in run.stderr
    assert "Traceback" not in run.stderr
    assert time.monotonic() - started < 20, "an unreachable store is given up on quickly"


def redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as error:
        missing_service(f"Redis at {LOCAL_REDIS} is unreachable: {error}")
    return client


@pytest.mark.startup
def test_with_redis_two_app_processes_share_the_limits(tmp_path):
    store = redis_or_skip()
    prefix = f"kpjku-test-{uuid.uuid4().hex}"
    env = production(tmp_path)
    try:
        first = run_python(SHARED_LIMIT % (prefix, LOCAL_REDIS), env)
        second = run_python(SHARED_LIMIT % (prefix, LOCAL_REDIS), env)
        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert json.loads(first.stdout) == [422, 422, 422]
        assert json.loads(second.stdout) == [422, 429, 429], "the second process counts on"
        assert list(store.scan_iter(f"*{prefix}*")), "the counts are in Redis"
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        store.close()


@pytest.fixture
def member(app, auth):
    person = factories.person(full_name="BUDI SANTOSO")
    account = factories.account(person, factories.membership(person), email="budi@contoh.id")
    assert auth.login("budi@contoh.id").status_code == 303
    return account


def sqlite_pragma(name: str):
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


@sqlite_only
def test_sqlite_uses_a_write_ahead_log_and_waits_for_the_write_lock(app):
    assert sqlite_pragma("journal_mode") == "wal"
    assert sqlite_pragma("busy_timeout") == SQLITE_BUSY_TIMEOUT_MS


@sqlite_only
def test_sqlite_requests_wait_out_a_long_write_instead_of_failing(app, client, member):
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    database = db.engine.url.database
    locked, page_read = threading.Event(), threading.Event()
    read_while_locked, released_at = [], []

    def long_write() -> None:
        # What a registry import does: one transaction holding the write lock for a while.
        # EXCLUSIVE is where a large one ends up once its changes spill out of the cache.
        holder = sqlite3.connect(database, isolation_level=None, timeout=30)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            holder.execute("CREATE TABLE long_write (x)")
            locked.set()
            read_while_locked.append(page_read.wait(5))
            time.sleep(1)  # the write below has to wait for this
            released_at.append(time.monotonic())
            holder.execute("ROLLBACK")
        finally:
            holder.close()

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert locked.wait(10)
        page = client.get("/")
        page_read.set()
        form = {"kpj": "99999999999", "segmen": "PU", "csrf_token": token}
        added = client.post("/pengaturan/tambah-kpj", data=form)
        written_at = time.monotonic()
    finally:
        page_read.set()
        writer.join(10)
    assert page.status_code == 200
    assert read_while_locked == [True], "pages are read while the write goes on"
    # A failed attempt is answered on the page, the number kept in the field.
    assert added.status_code == 200, "the attempt is recorded once the write lock is free"
    assert written_at > released_at[0]
    assert db.session.scalar(sa.select(sa.func.count(Transaction.id))) == 1
