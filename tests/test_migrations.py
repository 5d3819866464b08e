"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection, warnings.catch_warnings():
        # Alembic cannot compare expression indexes (lower(email)) and says so.
        warnings.filterwarnings("ignore", message=".*expression.*", category=Warning)
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, db.metadata) == []

