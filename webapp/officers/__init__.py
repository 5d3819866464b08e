"""Officers (DESIGN §3, back office): a kind of account of their own, created by the CLI,
signing in with a password and a TOTP code on server-side sessions of their own."""

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.officers.cli import officers_cli

    app.cli.add_command(officers_cli)
