"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 00:02:07.319718
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    op.create_table('categories',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('en', sa.String(length=200), server_default='', nullable=False),
    sa.Column('about', sa.Text(), server_default='', nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['categories.code'], name=op.f('fk_categories_parent_code_categories')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_categories'))
    )
    op.create_table('deadline_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=64), server_default='', nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_policies')),
    sa.UniqueConstraint('mode', 'urgency', 'category', name='uq_deadline_policies_scope')
    )
    op.create_table('district_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_district_settings'))
    )
    op.create_table('order_number_seq',
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_order_number_seq'))
    )
    op.create_table('special_groups',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('en', sa.String(length=200), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_special_groups'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('hotline_lead_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('hotline_lead_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('leader_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('leader_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('email', sa.String(length=200), server_default='', nullable=False),
    sa.Column('webhook_url', sa.String(length=500), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_path'), ['path'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('caller_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('caller_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('address', sa.String(length=300), server_default='', nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('special_groups', sa.String(length=200), server_default='', nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('lead_unit_id', sa.Integer(), nullable=True),
    sa.Column('area_unit_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('received_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('feedback_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_start_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accept_due_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('feedback_due_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_due_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('supervised', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('urge_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('return_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reopen_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('extension', sa.JSON(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('fired', sa.JSON(), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('next_due_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_unit_id'], ['units.id'], name=op.f('fk_orders_area_unit_id_units')),
    sa.ForeignKeyConstraint(['category'], ['categories.code'], name=op.f('fk_orders_category_categories')),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_orders_lead_unit_id_units')),
    sa.ForeignKeyConstraint(['parent_id'], ['orders.id'], name=op.f('fk_orders_parent_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_lead_unit_id'), ['lead_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_next_due_at'), ['next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_state'), ['state'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('email', sa.String(length=200), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_users_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_unit_id'), ['unit_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_api_tokens'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_attachments_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_order_id'), ['order_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dedup_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_notifications_order_id_orders')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_notifications_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_notifications_dedup_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('order_co_units',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_co_units_order_id_orders')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_order_co_units_unit_id_units')),
    sa.PrimaryKeyConstraint('order_id', 'unit_id', name=op.f('pk_order_co_units'))
    )
    with op.batch_alter_table('order_co_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_co_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_unit_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_events_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_events_order_id'), ['order_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dedup_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_outbox_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_outbox_dedup_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_order_id'))
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_events_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_events_kind'))

    op.drop_table('order_events')
    with op.batch_alter_table('order_co_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_co_units_unit_id'))

    op.drop_table('order_co_units')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_unit_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_order_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_order_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_unit_id'))

    op.drop_table('users')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_state'))
        batch_op.drop_index(batch_op.f('ix_orders_received_at'))
        batch_op.drop_index(batch_op.f('ix_orders_parent_id'))
        batch_op.drop_index(batch_op.f('ix_orders_next_due_at'))
        batch_op.drop_index(batch_op.f('ix_orders_lead_unit_id'))
        batch_op.drop_index(batch_op.f('ix_orders_category'))

    op.drop_table('orders')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_path'))

    op.drop_table('units')
    op.drop_table('special_groups')
    op.drop_table('order_number_seq')
    op.drop_table('district_settings')
    op.drop_table('deadline_policies')
    op.drop_table('categories')
    op.drop_table('calendar_days')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
