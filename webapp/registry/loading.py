"""Staging the files of an import, one after the other in FILES order (DESIGN §4).

On PostgreSQL a thread with a connection of its own reads and COPYs the next file while the
import's transaction checks and merges the one before: reading is Python's work and merging
the database's, so on two cores they overlap. Its staging tables are UNLOGGED (a temporary
table is seen by its own connection only) and committed as each file is loaded, so the
import sees them; close() drops them, whatever happened. The import's own tables are only
ever written by the import's transaction, so it stays all or nothing.

On SQLite (one writer, the demo) the files load in the import's own connection into
temporary tables, one after the other.
"""

from __future__ import annotations

import queue
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from webapp.extensions import db
from webapp.registry import staging
from webapp.registry.formats import FileSpec
from webapp.registry.reading import FileReading, Problems, StagedRow, read_rows

# Rows read between two looks at whether the import gave up.
_CANCEL_EVERY = 10_000


@dataclass
class StagedFile:
    spec: FileSpec
    table: sa.Table
    reading: FileReading
    problems: Problems  # found while reading it


class _Cancelled(Exception):
    pass


def _begin_now(connection: sa.Connection) -> None:
    """pysqlite opens a transaction only before a row is written, so a CREATE TABLE
    before that would commit at once and survive a rollback: open it first."""
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection) and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")


class Loader:
    """Iterate over files() to get each file once it is staged; close() in any case."""

    def __init__(self, files: Sequence[tuple[FileSpec, Path]]) -> None:
        self._files = files
        self.tables: list[sa.Table] = []
        self._background = db.session.get_bind().dialect.name == "postgresql"
        self._ready: queue.Queue[StagedFile | BaseException | None] = queue.Queue()
        self._cancelled = threading.Event()
        self._thread: threading.Thread | None = None

    def files(self) -> Iterator[StagedFile]:
        if not self._background:
            connection = db.session.connection()
            _begin_now(connection)
            for spec, path in self._files:
                table = staging.staging_table(spec)
                self.tables.append(table)
                yield self._stage(connection, spec, path, table)
            return
        engine = db.engine  # the thread has no application context of its own
        self._thread = threading.Thread(target=self._run, args=(engine,), daemon=True)
        self._thread.start()
        while (item := self._ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def before_commit(self) -> None:
        """Drop the temporary tables within the import's transaction: on SQLite they would
        otherwise outlive it on a pooled connection that the session may not get again."""
        if not self._background:
            for table in self.tables:
                staging.drop(db.session.connection(), table)

    def close(self) -> None:
        """After the import's commit or rollback: stop the thread, then drop the unlogged
        tables it staged, in a transaction of their own. (A rollback took the temporary
        ones of SQLite with it: they were created within the import's transaction.)"""
        self._cancelled.set()
        if self._thread is not None:
            self._thread.join()
        if self._background and self.tables:
            connection = db.session.connection()
            for table in self.tables:
                staging.drop(connection, table)
            db.session.commit()

    def _run(self, engine: sa.Engine) -> None:
        token = secrets.token_hex(4)
        try:
            with engine.connect() as connection:
                staging.drop_abandoned(connection)
                connection.commit()
                # Named after the connection's server process, which lives as long as this
                # import does: an import killed outright leaves tables the next one drops.
                pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                for spec, path in self._files:
                    name = f"{staging.ABANDONED_PREFIX}{spec.table.name}_{pid}_{token}"
                    table = staging.staging_table(spec, name, unlogged=True)
                    self.tables.append(table)
                    staged = self._stage(connection, spec, path, table)
                    connection.commit()
                    self._ready.put(staged)
        except _Cancelled:
            pass
        except BaseException as error:  # handed to the import, which raises it
            self._ready.put(error)
        self._ready.put(None)

    def _stage(
        self, connection: sa.Connection, spec: FileSpec, path: Path, table: sa.Table
    ) -> StagedFile:
        staging.create(connection, table)
        reading, problems = FileReading(spec), Problems()
        staging.load(connection, table, self._unless_cancelled(read_rows(path, reading, problems)))
        return StagedFile(spec, table, reading, problems)

    def _unless_cancelled(self, rows: Iterator[StagedRow]) -> Iterator[StagedRow]:
        for count, row in enumerate(rows):
            if count % _CANCEL_EVERY == 0 and self._cancelled.is_set():
                raise _Cancelled
            yield row
