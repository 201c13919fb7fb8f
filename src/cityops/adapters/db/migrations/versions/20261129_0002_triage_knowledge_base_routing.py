"""triage knowledge base routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:34:04.549423
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gazetteer_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('committee_code', sa.String(length=64), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gazetteer_entries'))
    )
    with op.batch_alter_table('gazetteer_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gazetteer_entries_committee_code'), ['committee_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_gazetteer_entries_name'), ['name'], unique=False)

    op.create_table('kb_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('question', sa.String(length=500), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=300), server_default='', nullable=False),
    sa.Column('valid_from', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_to', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_entries')),
    sa.UniqueConstraint('key', 'version', name='uq_kb_entries_key_version')
    )
    with op.batch_alter_table('kb_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_entries_key'), ['key'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    op.create_table('triage_models',
    sa.Column('version', sa.String(length=80), nullable=False),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('corrections', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_triage_models'))
    )
    op.create_table('order_triage',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=80), nullable=False),
    sa.Column('suggested_category', sa.String(length=64), nullable=True),
    sa.Column('suggested_urgency', sa.String(length=16), nullable=True),
    sa.Column('suggested_groups', sa.String(length=200), server_default='', nullable=False),
    sa.Column('suggestion', sa.JSON(), nullable=False),
    sa.Column('corrected', sa.Boolean(), nullable=False),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_triage_order_id_orders')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_triage'))
    )


def downgrade() -> None:
    op.drop_table('order_triage')
    op.drop_table('triage_models')
    op.drop_table('routing_rules')
    with op.batch_alter_table('kb_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_entries_key'))

    op.drop_table('kb_entries')
    with op.batch_alter_table('gazetteer_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gazetteer_entries_name'))
        batch_op.drop_index(batch_op.f('ix_gazetteer_entries_committee_code'))

    op.drop_table('gazetteer_entries')
