"""The registry import: `flask --app wsgi registry import DIR` (DESIGN §4)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.registry.cli import registry_cli

    app.cli.add_command(registry_cli)
