"""`flask --app wsgi registry import DIR`: thin wrapper; the rules live in services."""

from pathlib import Path

import click
from flask.cli import AppGroup

from webapp import audit
from webapp.extensions import db
from webapp.registry import corrections
from webapp.registry.services import MEMBERSHIPS, ImportResult, import_directory

registry_cli = AppGroup("registry", help="Data from the core membership system.")

# Enough to fix a file by; a wholly wrong file would otherwise print one line per cell.
MAX_ERRORS_SHOWN = 200


@registry_cli.command("import")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def import_command(directory: Path) -> None:
    """Import the registry CSV files found in DIRECTORY, all or nothing.

    Reads whichever of population.csv, employers.csv, memberships.csv,
    contributions.csv and jht_rates.csv are present; rows upsert on their natural key.
    """
    result = import_directory(directory)
    for name in result.ignored:
        click.echo(f"{name}: ignored, not a registry file", err=True)
    if not result.ok:
        _report_errors(result)
        raise click.exceptions.Exit(1)
    for name, read in result.counts.items():
        changes = result.changes[name]
        click.echo(
            f"{name}: {read} rows read, {changes.inserted} inserted, "
            f"{changes.updated} updated, {changes.unchanged} unchanged"
        )
    if result.kept_corrected:
        click.echo(f"memberships: kept {result.kept_corrected} corrected cards")
    if "contributions.csv" in result.changes:
        click.echo(
            f"contributions: {result.cards_with_new_contributions} cards "
            "with new or changed contributions"
        )


def _report_errors(result: ImportResult) -> None:
    for problem in result.errors[:MAX_ERRORS_SHOWN]:
        click.echo(str(problem), err=True)
    hidden = result.error_count - MAX_ERRORS_SHOWN
    if hidden > 0:
        click.echo(f"… and {hidden} more", err=True)
    click.echo(f"{result.error_count} error(s): nothing was imported.", err=True)


corrections_cli = AppGroup("corrections", help="Biodata corrections approved in the portal.")
registry_cli.add_command(corrections_cli)


@corrections_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=False))
def export_command(file) -> None:
    """Write the approved corrections to FILE ('-': standard output) as memberships.csv:
    the same header and columns, one row per corrected card in its current state, for the
    core system to apply. Importing the file back changes nothing."""
    count = corrections.export(file, list(MEMBERSHIPS.columns))
    # Personal data left the portal: who and how much, never what.
    audit.record("corrections.export", after={"cards": count})
    db.session.commit()
    click.echo(f"exported {count} corrected cards", err=file.name == "<stdout>")
