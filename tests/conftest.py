"""Fixtures. The schema is built once per run by the migrations themselves; every test
starts from empty tables.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL points at
one. With KPJKU_REQUIRE_SERVICES=1 (CI) a missing PostgreSQL or Chromium fails the run
instead of skipping the tests that need it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade

from config import TestingConfig
from tests.smtp import SmtpServer
from webapp import create_app, migrations_cli
from webapp.extensions import db, limiter
from webapp.mail import wait_for_mail

REQUIRE_SERVICES = os.environ.get("KPJKU_REQUIRE_SERVICES") == "1"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


def missing_service(reason: str) -> None:
    """Skip on a laptop; fail in CI, where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (KPJKU_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)  # the reason names the missing PostgreSQL or Chromium


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of one database's own behaviour are deselected, not skipped, on the other:
    sqlite_only on PostgreSQL; postgres_only (its query plans) and cluster (a PostgreSQL
    database, Redis and nginx of their own) on SQLite."""
    on_sqlite = os.environ.get("TEST_DATABASE_URL", "sqlite").startswith("sqlite")
    other = {"postgres_only", "cluster"} if on_sqlite else {"sqlite_only"}
    chosen = [
        item for item in items
        if not any(item.get_closest_marker(marker) for marker in other)
    ]
    if len(chosen) == len(items):
        return
    config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
    items[:] = chosen


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            # A clean schema: whatever an earlier run left behind goes.
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as error:
        missing_service(f"PostgreSQL at {engine.url.render_as_string()} is unreachable: {error.orig}")
    finally:
        engine.dispose()
    return url


class IsolatedClient(FlaskClient):
    """A request reuses the app context the test holds open, and with it `g`, where
    flask-login caches the current user and Flask-WTF the CSRF token: empty it around
    each request so every client is only what its own cookie says, as in production."""

    def open(self, *args, **kwargs):
        vars(g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            vars(g).clear()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    wait_for_mail()  # nothing still on its way to a server that is gone
    server.stop()


@pytest.fixture(autouse=True)
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The suite's SMTP server, empty: every test starts with no mail received, and can
    assert that none was sent (wait_for_mail(), then smtp.messages == [])."""
    wait_for_mail()  # what an earlier test queued lands before the slate is wiped
    smtp_server.clear()
    return smtp_server


@pytest.fixture(scope="session")
def _schema_app(
    database_url: str, smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    # Flask-Mailman reads its settings once, in init_app: they go in with the app's creation.
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")),  # never the demo's instance/
        MAIL_BACKEND="smtp",
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
    )
    app.test_client_class = IsolatedClient
    migrations_cli.load(app)  # Flask-Migrate, which the app itself loads only for `flask db`
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_schema_app: Flask) -> Iterator[Flask]:
    app = _schema_app
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
    limiter.reset()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(sa.text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def csrf_token(client: FlaskClient, path: str = "/masuk") -> str:
    """The token a real browser would have: read from a page the user has open."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(html) or CSRF_HEADER.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = "rahasia-Benar-123"):
        token = csrf_token(self.client, "/masuk")
        return self.client.post(
            "/masuk", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = csrf_token(self.client, "/profil")
        return self.client.post("/keluar", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def chromium_path() -> Path:
    return Path(os.environ.get("KPJKU_CHROMIUM", "/usr/bin/chromium"))
