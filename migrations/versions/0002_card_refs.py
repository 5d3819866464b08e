"""card refs: linked cards are addressed in URLs by a random ref, never by their KPJ

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

BATCH = 10_000  # cards given a ref per UPDATE
# SQLite rebuilds the table from its reflection; following its foreign keys would also
# reflect accounts, whose lower(email) index SQLAlchemy cannot reflect and warns about.
REFLECT = {'resolve_fks': False}

memberships = sa.table(
    'memberships',
    sa.column('kpj', sa.String),
    sa.column('account_id', sa.Integer),
    sa.column('link_ref', sa.String),
)


def upgrade():
    with op.batch_alter_table('memberships', reflect_kwargs=REFLECT) as batch_op:
        batch_op.add_column(sa.Column('link_ref', sa.String(length=22), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_memberships_link_ref'), ['link_ref'])
    fill_refs()


def fill_refs():
    """Every card linked before this revision gets its ref, made as linking makes it
    (secrets.token_urlsafe(16)). Plain SELECT and UPDATE, so SQLite and PostgreSQL alike;
    in batches by KPJ, so memory stays bounded on a large registry."""
    connection = op.get_bind()
    set_ref = (
        memberships.update()
        .where(memberships.c.kpj == sa.bindparam('card'))
        .values(link_ref=sa.bindparam('ref'))
    )
    last = ''
    while batch := linked_after(connection, last):
        connection.execute(
            set_ref, [{'card': kpj, 'ref': secrets.token_urlsafe(16)} for kpj in batch]
        )
        last = batch[-1]


def linked_after(connection, last):
    return connection.execute(
        sa.select(memberships.c.kpj)
        .where(memberships.c.account_id.is_not(None), memberships.c.kpj > last)
        .order_by(memberships.c.kpj)
        .limit(BATCH)
    ).scalars().all()


def downgrade():
    with op.batch_alter_table('memberships', reflect_kwargs=REFLECT) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_memberships_link_ref'), type_='unique')
        batch_op.drop_column('link_ref')
