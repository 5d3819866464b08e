"""A request's transaction ends with COMMIT when it wrote nothing, and with ROLLBACK when
it wrote without committing, left ORM objects unflushed, or failed (webapp/transactions.py).
On PostgreSQL that keeps psycopg's prepared statements from one page view to the next."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import AuthActions
from webapp.extensions import db
from webapp.models import JhtRate
from webapp.transactions import end_read_only, is_read


@pytest.fixture
def endings(app):
    """'COMMIT' and 'ROLLBACK', in the order the engine ends transactions."""
    seen: list[str] = []
    listeners = [("commit", lambda conn: seen.append("COMMIT")), ("rollback", lambda conn: seen.append("ROLLBACK"))]
    for name, listener in listeners:
        sa.event.listen(db.engine, name, listener)
    db.session.remove()  # start from a session with no transaction
    yield seen
    for name, listener in listeners:
        sa.event.remove(db.engine, name, listener)


def rate_of(year: int) -> JhtRate | None:
    db.session.remove()
    return db.session.get(JhtRate, year)


def test_a_transaction_that_only_read_commits(endings):
    db.session.execute(sa.select(JhtRate)).all()
    db.session.execute(sa.text("  select 1")).scalar()
    end_read_only(None)
    assert endings == ["COMMIT"]
    assert not db.session().in_transaction()


def test_a_write_without_commit_is_rolled_back(endings):
    db.session.execute(sa.select(JhtRate)).all()
    db.session.execute(sa.insert(JhtRate).values(year=2001, rate=Decimal("5.00")))
    db.session.execute(sa.select(JhtRate)).all()  # a read after it does not clear the write
    end_read_only(None)
    assert endings == []
    assert rate_of(2001) is None
    assert endings == ["ROLLBACK"]


def test_a_write_in_text_is_a_write(endings):
    db.session.execute(sa.text("INSERT INTO jht_rates (year, rate) VALUES (2002, 5.0)"))
    end_read_only(None)
    assert endings == [] and rate_of(2002) is None


def test_orm_objects_not_yet_flushed_are_not_committed(endings):
    db.session.execute(sa.select(JhtRate)).all()
    db.session.add(JhtRate(year=2003, rate=Decimal("5.00")))
    end_read_only(None)
    assert endings == [] and rate_of(2003) is None


def test_a_failed_request_rolls_back(endings):
    db.session.execute(sa.select(JhtRate)).all()
    end_read_only(RuntimeError("the view failed"))
    assert endings == []


def test_after_a_commit_the_next_transaction_is_judged_on_its_own(endings):
    db.session.execute(sa.insert(JhtRate).values(year=2004, rate=Decimal("5.00")))
    db.session.commit()
    db.session.execute(sa.select(JhtRate)).all()
    end_read_only(None)
    assert endings == ["COMMIT", "COMMIT"]
    assert rate_of(2004) is not None


def test_nothing_is_begun_for_a_request_that_never_used_the_database(endings):
    end_read_only(None)
    assert endings == [] and not db.session().in_transaction()


@pytest.mark.parametrize(
    ("statement", "read"),
    [
        ("SELECT 1", True),
        ("\n  select kpj from memberships", True),
        ("INSERT INTO x VALUES (1)", False),
        ("UPDATE x SET a = 1", False),
        ("DELETE FROM x", False),
        ("WITH gone AS (DELETE FROM x RETURNING a) SELECT a FROM gone", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("PRAGMA foreign_keys=ON", False),
        ("SELECTED", True),  # not SQL: the first six letters decide, and nothing reads it
    ],
)
def test_what_counts_as_a_read(statement, read):
    assert is_read(statement) is read


@pytest.mark.postgres_only
def test_page_statements_stay_prepared_from_one_view_to_the_next(app, client):
    """psycopg prepares a statement on its fifth use on a connection and forgets them all on
    ROLLBACK: ended with COMMIT, the signed-in pages' statements are prepared."""
    person = factories.person()
    factories.account(person, factories.membership(person), email="budi@contoh.id")
    assert AuthActions(client).login("budi@contoh.id").status_code == 303
    db.session.remove()
    db.engine.dispose()  # one connection from here on, used by every request in turn
    # A thread of its own has no app context: each request opens and ends its own, as under
    # gunicorn (the test's context would otherwise keep one session throughout), with a
    # plain client carrying the signed-in cookie.
    browser = FlaskClient(app, app.response_class, use_cookies=True)
    browser.set_cookie("session", client.get_cookie("session").value)
    prepared: list[int] = []

    def views() -> None:
        for _ in range(7):
            assert browser.get("/").status_code == 200
        with app.app_context():
            prepared.append(db.session.execute(sa.text("SELECT count(*) FROM pg_prepared_statements")).scalar())

    thread = threading.Thread(target=views)
    thread.start()
    thread.join()
    assert prepared and prepared[0] >= 2  # Beranda's two: the session, the ledger
