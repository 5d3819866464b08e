"""`flask --app wsgi claims advance CLAIM_ID [--reject REASON]`: move a claim one stage
through the same service the officers' pages will call."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.balances.services import today
from webapp.claims import services, terms

claims_cli = AppGroup("claims", help="JHT claims.")


@claims_cli.command("advance")
@click.argument("claim_id", type=int)
@click.option("--reject", "reason", help="Reject the claim with this reason instead.")
def advance_command(claim_id: int, reason: str | None) -> None:
    """Move CLAIM_ID to its next stage (Agenda Klaim → … → Selesai), or reject it."""
    try:
        claim = services.advance(claim_id, today(), reject=reason)
    except services.StageError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"claim {claim.id}: {terms.STAGE_LABELS[claim.stage_enum]}")
