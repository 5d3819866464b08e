"""contribution years: each card's contributions folded by the year they were paid in

Every page with a balance folded each card's contributions of past years by year in SQL
(for a card paid monthly for ten years, 120 rows grouped on every view: half the ledger
statement's time). contribution_years holds the fold, per card and year: per programme the
total and the total weighted by month paid, rebuilt by webapp/ledger.py refresh_years() in
the transaction of every write to contributions. The upgrade folds what is already there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 01:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contribution_years',
        sa.Column('kpj', sa.String(length=11), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('jht', sa.BigInteger(), nullable=False),
        sa.Column('jht_by_month', sa.BigInteger(), nullable=False),
        sa.Column('jp', sa.BigInteger(), nullable=False),
        sa.Column('jp_by_month', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['kpj'], ['memberships.kpj'], name=op.f('fk_contribution_years_kpj_memberships')),
        sa.PrimaryKeyConstraint('kpj', 'year', name=op.f('pk_contribution_years')),
    )
    contributions = sa.table(
        'contributions', sa.column('kpj'), sa.column('paid_on'), sa.column('jht'), sa.column('jp'),
    )
    year = sa.cast(sa.extract('year', contributions.c.paid_on), sa.Integer)
    month = sa.cast(sa.extract('month', contributions.c.paid_on), sa.Integer)
    fold = sa.select(
        contributions.c.kpj, year,
        sa.func.sum(contributions.c.jht), sa.func.sum(contributions.c.jht * month),
        sa.func.sum(contributions.c.jp), sa.func.sum(contributions.c.jp * month),
    ).group_by(contributions.c.kpj, year)
    years = sa.table('contribution_years', *(sa.column(name) for name in (
        'kpj', 'year', 'jht', 'jht_by_month', 'jp', 'jp_by_month')))
    op.execute(years.insert().from_select([column.name for column in years.columns], fold))


def downgrade():
    op.drop_table('contribution_years')
