"""member requests, corrections, officers, audit log, notifications

Perbaikan data and "Kartu ini milik saya" requests with their documents, the approved
corrections the registry import respects, officers and their server-side sessions, the
append-only audit log (on PostgreSQL a trigger refuses UPDATE and DELETE on it), the
Notifikasi inbox and Web Push subscriptions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 18:02:31.899915

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# Not even the application's own database user may change history: an UPDATE or DELETE of
# an audit row fails, whoever sends it. (TRUNCATE, which the test suite uses to empty every
# table between tests, is a table owner's privilege and no row-level event.)
_REFUSE_CHANGE_FUNCTION = """
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
_REFUSE_CHANGE_TRIGGER = """
CREATE TRIGGER audit_log_append_only
BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
"""


def upgrade():
    op.create_table('officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=True),
    sa.Column('totp_secret', sa.String(length=32), nullable=False),
    sa.Column('totp_enrolled_at', sa.DateTime(), nullable=True),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('reviewer', 'claims', 'admin')", name=op.f('ck_officers_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officers'))
    )
    op.create_index('uq_officers_email_lower', 'officers', [sa.text('lower(email)')], unique=True)
    op.create_table('officer_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('device', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_officer_sessions_officer_id_officers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_officer_sessions_token_hash'))
    )
    with op.batch_alter_table('officer_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officer_sessions_officer_id'), ['officer_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('member_nik', sa.String(length=16), nullable=True),
    sa.Column('target', sa.String(length=60), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.CheckConstraint("actor_kind IN ('OFFICER', 'PARTICIPANT', 'SYSTEM')", name=op.f('ck_audit_log_actor_kind')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_audit_log_account_id_accounts')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_audit_log_officer_id_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_member_nik'), ['member_nik'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_officer_id'), ['officer_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_REFUSE_CHANGE_FUNCTION)
        op.execute(_REFUSE_CHANGE_TRIGGER)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('subject', sa.String(length=22), nullable=True),
    sa.Column('detail', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('CORRECTION_APPROVED', 'CORRECTION_REJECTED', 'OWNERSHIP_APPROVED', 'OWNERSHIP_REJECTED', 'CLAIM_STAGE', 'CLAIM_PAID', 'CLAIM_REJECTED')", name=op.f('ck_notifications_kind')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_notifications_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_account_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notifications_account_read', ['account_id', 'read_at'], unique=False)

    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1000), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_push_subscriptions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_account_id'), ['account_id'], unique=False)

    op.create_table('member_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kpj', sa.String(length=11), nullable=False),
    sa.Column('open_correction_kpj', sa.String(length=11), nullable=True),
    sa.Column('differences', sa.String(length=60), nullable=True),
    sa.Column('employer_name', sa.String(length=150), nullable=True),
    sa.Column('worked_from', sa.SmallInteger(), nullable=True),
    sa.Column('worked_to', sa.SmallInteger(), nullable=True),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('CORRECTION', 'OWNERSHIP')", name=op.f('ck_member_requests_kind')),
    sa.CheckConstraint("status IN ('DIPROSES', 'DISETUJUI', 'DITOLAK')", name=op.f('ck_member_requests_status')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_member_requests_account_id_accounts')),
    sa.ForeignKeyConstraint(['decided_by'], ['officers.id'], name=op.f('fk_member_requests_decided_by_officers')),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], name=op.f('fk_member_requests_transaction_id_transactions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_requests')),
    sa.UniqueConstraint('open_correction_kpj', name=op.f('uq_member_requests_open_correction_kpj')),
    sa.UniqueConstraint('public_id', name=op.f('uq_member_requests_public_id'))
    )
    with op.batch_alter_table('member_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_requests_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_member_requests_queue', ['kind', 'status', 'created_at'], unique=False)

    op.create_table('card_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpj', sa.String(length=11), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('old_nik', sa.String(length=16), nullable=False),
    sa.Column('old_full_name', sa.String(length=100), nullable=False),
    sa.Column('old_birth_date', sa.Date(), nullable=False),
    sa.Column('old_mother_name', sa.String(length=100), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=False),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('mother_name', sa.String(length=100), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['kpj'], ['memberships.kpj'], name=op.f('fk_card_corrections_kpj_memberships')),
    sa.ForeignKeyConstraint(['request_id'], ['member_requests.id'], name=op.f('fk_card_corrections_request_id_member_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_corrections')),
    sa.UniqueConstraint('request_id', name=op.f('uq_card_corrections_request_id'))
    )
    with op.batch_alter_table('card_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_corrections_kpj'), ['kpj'], unique=False)

    op.create_table('request_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=22), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('KTP', 'KARTU_KELUARGA', 'SURAT_GANTI_NAMA', 'FOTO_KARTU', 'SURAT_PERUSAHAAN')", name=op.f('ck_request_documents_kind')),
    sa.ForeignKeyConstraint(['request_id'], ['member_requests.id'], name=op.f('fk_request_documents_request_id_member_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_documents')),
    sa.UniqueConstraint('public_id', name=op.f('uq_request_documents_public_id')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_request_documents_stored_name'))
    )
    with op.batch_alter_table('request_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_documents_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('request_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_documents_request_id'))

    op.drop_table('request_documents')
    with op.batch_alter_table('card_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_corrections_kpj'))

    op.drop_table('card_corrections')
    with op.batch_alter_table('member_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_member_requests_queue')
        batch_op.drop_index(batch_op.f('ix_member_requests_account_id'))

    op.drop_table('member_requests')
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_account_id'))

    op.drop_table('push_subscriptions')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_account_read')
        batch_op.drop_index('ix_notifications_account_created')

    op.drop_table('notifications')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_officer_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_member_nik'))
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_refuse_change()")
    op.drop_table('audit_log')
    with op.batch_alter_table('officer_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officer_sessions_officer_id'))

    op.drop_table('officer_sessions')
    op.drop_index('uq_officers_email_lower', table_name='officers')
    op.drop_table('officers')
