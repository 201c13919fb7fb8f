"""alerts: sources, devices, rules, events (idempotency), tracks (dedup), sites, counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 03:00:00
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC = cityops.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('alert_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_sources')),
    sa.UniqueConstraint('code', name=op.f('uq_alert_sources_code'))
    )
    op.create_table('alert_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), server_default='', nullable=False),
    sa.Column('place_kind', sa.String(length=24), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['alert_sources.id'], name=op.f('fk_alert_devices_source_id_alert_sources')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_alert_devices_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_devices')),
    sa.UniqueConstraint('code', name=op.f('uq_alert_devices_code'))
    )
    with op.batch_alter_table('alert_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_devices_unit_id'), ['unit_id'], unique=False)

    op.create_table('alert_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules'))
    )
    op.create_table('alert_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.Column('received_at', UTC, nullable=False),
    sa.Column('processed_at', UTC, nullable=False),
    sa.Column('transport', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['alert_devices.id'], name=op.f('fk_alert_events_device_id_alert_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_events')),
    sa.UniqueConstraint('device_id', 'event_id', name='uq_alert_events_device_event')
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_events_received_at'), ['received_at'], unique=False)

    op.create_table('alert_tracks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_seen', UTC, nullable=True),
    sa.Column('last_seen', UTC, nullable=True),
    sa.Column('breach_since', UTC, nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('flapping', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('cleared_at', UTC, nullable=True),
    sa.Column('opened', sa.Integer(), server_default='0', nullable=False),
    sa.Column('pending', sa.JSON(), nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['alert_devices.id'], name=op.f('fk_alert_tracks_device_id_alert_devices')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_alert_tracks_order_id_orders')),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rules.id'], name=op.f('fk_alert_tracks_rule_id_alert_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_tracks')),
    sa.UniqueConstraint('rule_id', 'device_id', name='uq_alert_tracks_rule_device')
    )
    with op.batch_alter_table('alert_tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_tracks_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_tracks_order_id'), ['order_id'], unique=False)

    op.create_table('alert_sites',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.JSON(), nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('reported_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['alert_devices.id'], name=op.f('fk_alert_sites_device_id_alert_devices')),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_alert_sites'))
    )
    op.create_table('alert_counters',
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('last_at', UTC, nullable=False),
    sa.Column('last_message', sa.String(length=300), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('reason', name=op.f('pk_alert_counters'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_external_ref', ['external_ref'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_external_ref')
    op.drop_table('alert_counters')
    op.drop_table('alert_sites')
    with op.batch_alter_table('alert_tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_tracks_order_id'))
        batch_op.drop_index(batch_op.f('ix_alert_tracks_device_id'))
    op.drop_table('alert_tracks')
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_events_received_at'))
    op.drop_table('alert_events')
    op.drop_table('alert_rules')
    with op.batch_alter_table('alert_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_devices_unit_id'))
    op.drop_table('alert_devices')
    op.drop_table('alert_sources')
