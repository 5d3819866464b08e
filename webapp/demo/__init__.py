"""The demo dataset: `flask --app wsgi demo load`."""

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
