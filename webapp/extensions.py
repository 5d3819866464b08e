"""Unbound extension singletons; create_app() binds them with init_app().

Flask-Migrate is not among them: webapp/migrations_cli.py loads it only for `flask db`."""

import sqlite3

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
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
