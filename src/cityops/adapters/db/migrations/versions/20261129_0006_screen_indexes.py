"""screen indexes: a partial, covering index over open orders by resolve deadline (big screen)

The big screen reads the open orders on every refresh: SLA risk and special groups (one
pass over all of them) and the urgent ticker (most pressing deadline first). This index
holds only the open orders, so its size follows the open orders, not the history; its
columns are all the pass needs (and ``lead_unit_id``/``id`` for a street's scope), so
PostgreSQL answers it with an index-only scan, and the ticker walks it in deadline order.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OPEN_STATES = "state IN ('received', 'dispatched', 'returned', 'accepted', 'in_progress', 'feedback_submitted', 'callback_done')"


def upgrade() -> None:
    op.create_index('ix_orders_open_due', 'orders',
                    ['resolve_due_at', 'urgency', 'state', 'special_groups', 'paused_at', 'lead_unit_id', 'id'], unique=False,
                    postgresql_where=sa.text(OPEN_STATES), sqlite_where=sa.text(OPEN_STATES))


def downgrade() -> None:
    op.drop_index('ix_orders_open_due', table_name='orders')
