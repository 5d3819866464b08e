from pathlib import Path

import click
from flask.cli import AppGroup

from webapp.demo.generate import DATA_DIR, write_dataset
from webapp.demo.guide import logins_text
from webapp.demo.services import load_demo

demo_cli = AppGroup("demo", help="The demo dataset.")


@demo_cli.command("load")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the population table already has rows."
)
def load_command(if_empty: bool) -> None:
    """Import webapp/demo/data/ and create the demo accounts, then print the logins."""
    result = load_demo(if_empty=if_empty)
    if not result.ok:
        for error in result.errors:
            click.echo(error, err=True)
        click.echo("The demo data did not import: nothing was loaded.", err=True)
        raise click.exceptions.Exit(1)
    if result.skipped:
        click.echo("The database already has data: the demo was not loaded again.")
    else:
        rows = ", ".join(f"{name} {count}" for name, count in result.counts.items())
        click.echo(f"Demo loaded ({rows}).")
    click.echo()
    click.echo(logins_text(), nl=False)


@demo_cli.command("logins")
def logins_command() -> None:
    """Print the demo logins and which case each card shows."""
    click.echo(logins_text(), nl=False)


@demo_cli.command("generate")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DATA_DIR,
    show_default=True,
    help="Where to write the CSV files and README.md.",
)
def generate_command(out: Path) -> None:
    """Regenerate the demo dataset from webapp/demo/dataset.py."""
    for path in write_dataset(out):
        click.echo(path)
