"""intake keys: one order per submitted intake form (double-click safe)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:00:00
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intake_keys',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_intake_keys_order_id_orders')),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_intake_keys'))
    )


def downgrade() -> None:
    op.drop_table('intake_keys')
