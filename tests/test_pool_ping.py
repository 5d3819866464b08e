"""A pooled connection idle for a while is tried before use; one used a moment ago is not
(webapp/extensions.py): a dead connection is never handed to a request that arrives after
a quiet spell, and a busy server pays no round trip per request for the check."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa

from webapp import extensions


@pytest.fixture
def engine(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'ping.sqlite'}"
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _checked_in_then_killed(engine: sa.Engine):
    """Use a connection, give it back to the pool, then break it under the pool's feet, as a
    database restart would. Returns the dead DBAPI connection."""
    with engine.connect() as connection:
        dbapi = connection.connection.dbapi_connection
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() if engine.dialect.name == "postgresql" else None
    if pid is None:
        dbapi.close()
    else:
        killer = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
        with killer.connect() as other:
            assert other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()
        killer.dispose()
    return dbapi


def test_a_dead_connection_idle_for_a_while_is_replaced_before_use(engine, monkeypatch):
    dead = _checked_in_then_killed(engine)
    monkeypatch.setattr(extensions, "IDLE_PING_AFTER_S", 0.0)  # "a while" has passed
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        assert connection.connection.dbapi_connection is not dead


def test_without_the_check_the_dead_connection_would_reach_the_request(engine, monkeypatch):
    """The control: a connection used a moment ago is handed out untried, dead or not."""
    _checked_in_then_killed(engine)
    monkeypatch.setattr(extensions, "IDLE_PING_AFTER_S", 3600.0)
    with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError):
        connection.exec_driver_sql("SELECT 1")


@pytest.mark.sqlite_only
def test_a_connection_used_a_moment_ago_is_not_tried(tmp_path, monkeypatch):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hot.sqlite'}", pool_size=1, max_overflow=0)
    seen: list[str] = []
    sa.event.listen(engine, "connect",
                    lambda dbapi, _: isinstance(dbapi, sqlite3.Connection) and dbapi.set_trace_callback(seen.append))
    try:
        for _ in range(3):
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 2")
        assert seen.count("SELECT 1") == 0 and seen.count("SELECT 2") == 3
        monkeypatch.setattr(extensions, "IDLE_PING_AFTER_S", 0.0)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 2")
        assert seen.count("SELECT 1") == 1
    finally:
        engine.dispose()
