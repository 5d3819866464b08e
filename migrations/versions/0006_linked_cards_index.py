"""linked cards index: memberships are looked up by account only for linked cards

Most cards of a national registry are never linked to an account (a worker with four
old cards links perhaps two), and no query looks a card up by a NULL account. The index
on memberships.account_id becomes partial (account_id IS NOT NULL): at a million
participants it holds the linked cards only instead of every card, so it stays in memory
beside the pages it serves (Beranda, Profil, the card page) and the registry import no
longer writes an entry for each card it loads. A lookup by account (account_id = ?)
implies the predicate, so PostgreSQL and SQLite use it as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LINKED = sa.text('account_id IS NOT NULL')


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(
            'ix_memberships_linked_account', ['account_id'], unique=False,
            postgresql_where=LINKED, sqlite_where=LINKED,
        )
        batch_op.drop_index(batch_op.f('ix_memberships_account_id'))


def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_account_id'), ['account_id'], unique=False)
        batch_op.drop_index('ix_memberships_linked_account')
