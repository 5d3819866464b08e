"""ledger entries (merges, payouts), claims, their timeline and documents

Money the portal moves (Gabung saldo, JHT payouts) is written as ledger entries beside the
registry's contributions; no balance is stored.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 13:19:06.254567

"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


@contextmanager
def _reflecting():
    """SQLite's batch mode reflects the tables memberships refers to; accounts has an
    expression index (lower(email)) that reflection skips with a warning. memberships
    itself has none, so nothing is lost."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        yield


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with _reflecting(), op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into', sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column('member_since', sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_memberships_merged_into_memberships'), 'memberships', ['merged_into'], ['kpj']
        )

    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('open_account_id', sa.Integer(), nullable=True),
    sa.Column('partial_nik', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('gross', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('npwp', sa.String(length=16), nullable=True),
    sa.Column('bank_code', sa.String(length=12), nullable=False),
    sa.Column('account_number', sa.String(length=20), nullable=False),
    sa.Column('account_holder', sa.String(length=100), nullable=False),
    sa.Column('video_slot', sa.DateTime(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=300), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('FULL', 'PARTIAL_10', 'PARTIAL_30')", name=op.f('ck_claims_kind')),
    sa.CheckConstraint("reason IN ('MENGUNDURKAN_DIRI', 'PHK', 'HABIS_KONTRAK', 'USIA_56', 'MENINGGALKAN_INDONESIA', 'CACAT_TOTAL_TETAP', 'KLAIM_SEBAGIAN')", name=op.f('ck_claims_reason')),
    sa.CheckConstraint("stage IN ('AGENDA', 'PENETAPAN', 'PERSETUJUAN', 'PEMBAYARAN', 'SELESAI', 'DITOLAK')", name=op.f('ck_claims_stage')),
    sa.CheckConstraint('gross >= 0 AND tax >= 0 AND net >= 0', name=op.f('ck_claims_amounts_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_claims_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('open_account_id', name=op.f('uq_claims_open_account_id')),
    sa.UniqueConstraint('partial_nik', name=op.f('uq_claims_partial_nik')),
    sa.UniqueConstraint('public_id', name=op.f('uq_claims_public_id')),
    sa.UniqueConstraint('video_slot', name=op.f('uq_claims_video_slot'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_account_id'), ['account_id'], unique=False)

    op.create_table('claim_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('KTP', 'BUKU_TABUNGAN', 'BUKTI_ALASAN')", name=op.f('ck_claim_documents_kind')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_documents_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_documents')),
    sa.UniqueConstraint('public_id', name=op.f('uq_claim_documents_public_id')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_claim_documents_stored_name'))
    )
    with op.batch_alter_table('claim_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_documents_claim_id'), ['claim_id'], unique=False)

    op.create_table('claim_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("stage IN ('AGENDA', 'PENETAPAN', 'PERSETUJUAN', 'PEMBAYARAN', 'SELESAI', 'DITOLAK')", name=op.f('ck_claim_events_stage')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_events_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_events'))
    )
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_events_claim_id'), ['claim_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpj', sa.String(length=11), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('counterpart_kpj', sa.String(length=11), nullable=True),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('MERGE_IN', 'MERGE_OUT', 'PAYOUT', 'PARTIAL_PAYOUT')", name=op.f('ck_ledger_entries_kind')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_ledger_entries_amount_not_negative')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_ledger_entries_claim_id_claims')),
    sa.ForeignKeyConstraint(['kpj'], ['memberships.kpj'], name=op.f('fk_ledger_entries_kpj_memberships')),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], name=op.f('fk_ledger_entries_transaction_id_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_kpj_booked', ['kpj', 'booked_on'], unique=False)



def downgrade():
    with _reflecting(), op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_memberships_merged_into_memberships'), type_='foreignkey')
        batch_op.drop_column('member_since')
        batch_op.drop_column('merged_into')

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_kpj_booked')

    op.drop_table('ledger_entries')
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_events_claim_id'))

    op.drop_table('claim_events')
    with op.batch_alter_table('claim_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_documents_claim_id'))

    op.drop_table('claim_documents')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_account_id'))

    op.drop_table('claims')
