"""`flask db ...` (Flask-Migrate), loaded only when a command needs it.

Alembic and Flask-Migrate take time and memory to import and no request ever uses them:
the app process (gunicorn's workers) never imports them. create_app() registers a `db`
command group that stands in for Flask-Migrate's: the first time the flask CLI asks it
for its commands, it sets Flask-Migrate up on the app and hands over to the real group.
Code that migrates without the CLI (the tests, the benchmarks) calls load(app) first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask import Flask

from config import BASE_DIR

if TYPE_CHECKING:
    from flask_migrate import Migrate

MIGRATIONS_DIR = BASE_DIR / "migrations"
COMMAND = "db"


def init(app: Flask) -> None:
    """Register `flask db` without importing Flask-Migrate."""
    app.cli.add_command(_LazyGroup(app, name=COMMAND, help="Database migrations (Flask-Migrate)."))


def load(app: Flask) -> Migrate:
    """Set Flask-Migrate up on app now (once): for flask_migrate.upgrade() and the like
    outside the CLI. Returns the Migrate instance."""
    existing = app.extensions.get("migrate")
    if existing is not None:
        return existing.migrate
    from flask_migrate import Migrate

    from webapp.extensions import db

    migrate = Migrate()
    # Replaces the stand-in group in app.cli with Flask-Migrate's own.
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), command=COMMAND)
    return migrate


class _LazyGroup(click.Group):
    """Stands in for Flask-Migrate's `db` group until the CLI looks inside it."""

    def __init__(self, app: Flask, **kwargs) -> None:
        super().__init__(**kwargs)
        self._app = app

    def _real(self) -> click.Group:
        load(self._app)
        from flask_migrate.cli import db as real_group

        return real_group

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # Invoked: the real group parses the arguments (its -d and -x options included).
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)
