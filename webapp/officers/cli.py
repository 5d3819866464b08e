"""`flask --app wsgi officers create|list|deactivate|code`."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.officers import services, totp

officers_cli = AppGroup("officers", help="Back-office officers.")

# `officers code` prints a valid second factor: only where the app runs the development
# configuration (config.py DevelopmentConfig sets it), read when the command runs.
CODE_HELPER_SETTING = "OFFICER_CODE_HELPER"


@officers_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, help="reviewer, claims or admin.")
@click.option("--nik", default=None, help="The officer's own NIK, if they are also a participant.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
def create_command(email: str, role: str, nik: str | None, password_stdin: bool) -> None:
    """Create an officer and print the TOTP secret to enrol their authenticator app."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        confirm = password
    else:
        password = click.prompt("Password", hide_input=True)
        confirm = click.prompt("Password (again)", hide_input=True)
    result = services.create(email, role, password, confirm, nik)
    if isinstance(result, dict):
        for option, message in result.items():
            click.echo(f"{option}: {message}", err=True)
        click.echo("No officer was created.", err=True)
        raise click.exceptions.Exit(1)
    officer = result.officer
    click.echo(f"Officer {officer.email} ({officer.role}) created.")
    click.echo("Enrol an authenticator app (the QR is also shown at the first sign-in):")
    click.echo(f"  secret: {officer.totp_secret}")
    click.echo(f"  {result.uri}")


@officers_cli.command("list")
def list_command() -> None:
    """Every officer: e-mail, role, enrolled, active."""
    for officer in services.everyone():
        enrolled = "enrolled" if officer.totp_enrolled_at else "not enrolled"
        state = "active" if officer.active else "deactivated"
        click.echo(f"{officer.email}\t{officer.role}\t{enrolled}\t{state}")


@officers_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop an officer signing in; their sessions end."""
    if services.deactivate(email) is None:
        raise click.ClickException(f"no officer {email}")
    click.echo(f"Officer {email} deactivated; their sessions have ended.")


@officers_cli.command("code")
@click.argument("email")
def code_command(email: str) -> None:
    """Print the officer's current TOTP code (development only)."""
    if not current_app.config.get(CODE_HELPER_SETTING, False):
        raise click.ClickException("officers code works only in development (KPJKU_CONFIG=development).")
    officer = services.find(email)
    if officer is None:
        raise click.ClickException(f"no officer {email}")
    click.echo(totp.current_code(officer.totp_secret))


