"""Unbound extension singletons; create_app() binds them with init_app().

Flask-Migrate is not among them: webapp/migrations_cli.py loads it only for `flask db`."""

import sqlite3
import time

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints so migrations can alter them on every backend.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
mail = Mail()
compress = Compress()


# How long a request waits for another writer (a registry import holds the write lock for
# seconds) before SQLite gives up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # SQLite leaves foreign keys unchecked unless every connection asks for them.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if _is_file(cursor):
        # Write-ahead log: pages keep reading while a long import writes.
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _is_file(cursor: sqlite3.Cursor) -> bool:
    """An in-memory database has no file, and no write-ahead log."""
    return any(name == "main" and path for _, name, path in cursor.execute("PRAGMA database_list"))


# A pooled connection that sat idle this long is tried before a request gets it: the
# database may have restarted, or a firewall dropped the idle socket, meanwhile. Not every
# checkout (SQLAlchemy's pool_pre_ping): that costs a round trip on every request, a fifth
# of a page's on PostgreSQL, to check a connection used a moment ago. If the database
# restarts under load, the statement that meets the dropped connection fails, and
# SQLAlchemy then discards every connection of the pool opened before it.
IDLE_PING_AFTER_S = 10.0


@event.listens_for(Pool, "checkin")
def _note_idle_since(dbapi_connection, connection_record) -> None:
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
    idle_since = connection_record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_AFTER_S:
        return  # new, or used a moment ago
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    except Exception as error:  # any driver's error: the connection is unusable
        # The pool drops this connection and hands out a new one (SQLAlchemy's documented
        # way to refuse a connection at checkout).
        raise exc.DisconnectionError() from error
