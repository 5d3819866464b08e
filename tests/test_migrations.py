"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and carry existing data forward."""

import os
import re
import secrets
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app

from webapp.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection, warnings.catch_warnings():
        # Alembic cannot compare expression indexes (lower(email)) and says so.
        warnings.filterwarnings("ignore", message=".*expression.*", category=Warning)
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, db.metadata) == []


# A scratch database of its own: a fresh SQLite file, and a fresh schema of the suite's
# PostgreSQL database when the suite runs on one.
SCRATCH = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
NIK = "3171012301900001"
# Columns as revision 0001 has them: the models already describe later revisions.
population = sa.table(
    "population", *map(sa.column, ["nik", "full_name", "birth_place", "birth_date", "gender",
                                   "mother_name"])
)
accounts = sa.table(
    "accounts", *map(sa.column, ["id", "nik", "email", "phone", "password_hash",
                                 "session_token", "created_at"])
)
memberships = sa.table(
    "memberships", *map(sa.column, ["kpj", "segment", "nik", "full_name", "birth_date",
                                    "mother_name", "status", "registered_on", "account_id"])
)
contributions = sa.table(
    "contributions", *map(sa.column, ["kpj", "period", "wage", "jht", "jp", "jkk", "jkm",
                                      "jkp", "paid_on"])
)


@pytest.fixture(params=SCRATCH)
def scratch(request, app, tmp_path) -> Iterator[sa.Connection]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'scratch.sqlite'}")
        yield from _connected(engine)
        return
    schema = f"scratch_{secrets.token_hex(4)}"
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = sa.create_engine(db.engine.url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield from _connected(engine)
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def _connected(engine: sa.Engine) -> Iterator[sa.Connection]:
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def migrate(connection: sa.Connection, revision: str, *, down: bool = False) -> None:
    """Run alembic's command on the scratch connection (env.py takes it from attributes)."""
    connection.commit()
    config = current_app.extensions["migrate"].migrate.get_config()
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


def add_cards(connection: sa.Connection) -> None:
    """One member with three linked cards (one with contributions) and two unlinked."""
    connection.execute(population.insert().values(
        nik=NIK, full_name="BUDI", birth_place="JAKARTA", birth_date="1990-01-23", gender="L",
        mother_name="SITI",
    ))
    connection.execute(accounts.insert().values(
        id=1, nik=NIK, email="budi@contoh.id", phone="081234567890", password_hash="x",
        session_token="t" * 32, created_at="2024-01-01 00:00:00",
    ))
    connection.execute(memberships.insert(), [
        dict(kpj=f"1000000000{i}", segment="BPU", nik=NIK, full_name="BUDI",
             birth_date="1990-01-23", mother_name="SITI", status="NONAKTIF",
             registered_on="2015-01-05", account_id=1 if i < 3 else None)
        for i in range(5)
    ])
    connection.execute(contributions.insert().values(
        kpj="10000000000", period="2016-01-01", wage=1, jht=1, jp=0, jkk=1, jkm=1, jkp=0,
        paid_on="2016-01-10",
    ))


def refs(connection: sa.Connection) -> dict[str, str | None]:
    return dict(connection.execute(sa.text("SELECT kpj, link_ref FROM memberships")).all())


def test_0002_gives_every_linked_card_its_own_ref(scratch):
    migrate(scratch, "0001")
    add_cards(scratch)

    migrate(scratch, "0002")

    found = refs(scratch)
    linked = [found[f"1000000000{i}"] for i in range(3)]
    assert all(ref and re.fullmatch(r"[A-Za-z0-9_-]{22}", ref) for ref in linked), linked
    assert len(set(linked)) == 3
    assert found["10000000003"] is found["10000000004"] is None
    count = sa.text("SELECT count(*) FROM contributions")
    assert scratch.execute(count).scalar() == 1  # the rebuilt table kept what refers to it


def test_0002_downgrades_to_0001_keeping_the_links(scratch):
    migrate(scratch, "0001")
    add_cards(scratch)
    migrate(scratch, "0002")

    migrate(scratch, "0001", down=True)

    columns = {c["name"] for c in sa.inspect(scratch).get_columns("memberships")}
    assert "link_ref" not in columns
    linked = sa.text("SELECT kpj FROM memberships WHERE account_id = 1 ORDER BY kpj")
    assert scratch.execute(linked).scalars().all() == ["10000000000", "10000000001",
                                                        "10000000002"]
