"""Count the SQL statements a block of code sends, to keep pages at a fixed number of
queries however much data there is.

    with count_queries() as queries:
        client.get(f"/kartu/{card.link_ref}")
    assert queries.count == 6, queries.statements
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine

from webapp.extensions import db


@dataclass
class QueryLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(engine: Engine | None = None) -> Iterator[QueryLog]:
    """Every statement sent on engine (the app's by default) while the block runs."""
    engine = engine if engine is not None else db.engine
    log = QueryLog()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)
