"""duty: field teams and members, shift patterns, rosters and shifts, member assignments, inspections

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 02:15:00
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UTC = cityops.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('duty_patterns',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('builtin', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_duty_patterns'))
    )
    op.create_table('duty_inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_at', UTC, nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['team_unit_id'], ['units.id'], name=op.f('fk_duty_inspections_team_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_inspections'))
    )
    with op.batch_alter_table('duty_inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_inspections_team_unit_id'), ['team_unit_id'], unique=False)

    op.create_table('duty_rosters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_unit_id', sa.Integer(), nullable=False),
    sa.Column('pattern_code', sa.String(length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('pattern', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['team_unit_id'], ['units.id'], name=op.f('fk_duty_rosters_team_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_rosters'))
    )
    with op.batch_alter_table('duty_rosters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_rosters_team_unit_id'), ['team_unit_id'], unique=False)

    op.create_table('duty_teams',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('area_unit_ids', sa.JSON(), nullable=False),
    sa.Column('polygons', sa.JSON(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('min_on_duty', sa.Integer(), server_default='1', nullable=False),
    sa.Column('accept_minutes', sa.Integer(), server_default='15', nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_duty_teams_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_duty_teams'))
    )
    op.create_table('duty_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('team_unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('assigned_at', UTC, nullable=False),
    sa.Column('accept_due_at', UTC, nullable=False),
    sa.Column('accepted_at', UTC, nullable=True),
    sa.Column('arrived_at', UTC, nullable=True),
    sa.Column('resolved_at', UTC, nullable=True),
    sa.Column('escalated_at', UTC, nullable=True),
    sa.Column('ended_at', UTC, nullable=True),
    sa.Column('outside_area', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('note', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('next_due_at', UTC, nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_duty_assignments_order_id_orders')),
    sa.ForeignKeyConstraint(['team_unit_id'], ['units.id'], name=op.f('fk_duty_assignments_team_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_assignments'))
    )
    with op.batch_alter_table('duty_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_assignments_next_due_at'), ['next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_assignments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_assignments_team_unit_id'), ['team_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('duty_inspection_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), server_default='', nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('checked_by', sa.Integer(), nullable=True),
    sa.Column('checked_at', UTC, nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['duty_inspections.id'], name=op.f('fk_duty_inspection_items_inspection_id_duty_inspections')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_duty_inspection_items_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_inspection_items')),
    sa.UniqueConstraint('inspection_id', 'seq', name='uq_duty_inspection_items_seq')
    )
    op.create_table('duty_members',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('team_unit_id', sa.Integer(), nullable=False),
    sa.Column('is_leader', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('devices', sa.JSON(), nullable=False),
    sa.Column('area_unit_ids', sa.JSON(), nullable=False),
    sa.Column('polygons', sa.JSON(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('position_at', UTC, nullable=True),
    sa.Column('position_warning', sa.String(length=500), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['team_unit_id'], ['units.id'], name=op.f('fk_duty_members_team_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_members_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_duty_members'))
    )
    with op.batch_alter_table('duty_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_members_team_unit_id'), ['team_unit_id'], unique=False)

    op.create_table('duty_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', UTC, nullable=False),
    sa.Column('ends_at', UTC, nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('shift_code', sa.String(length=32), server_default='', nullable=False),
    sa.Column('group_code', sa.String(length=32), server_default='', nullable=False),
    sa.Column('roster_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['roster_id'], ['duty_rosters.id'], name=op.f('fk_duty_shifts_roster_id_duty_rosters')),
    sa.ForeignKeyConstraint(['team_unit_id'], ['units.id'], name=op.f('fk_duty_shifts_team_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_duty_shifts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shifts'))
    )
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_duty_shifts_team_ends', ['team_unit_id', 'ends_at'], unique=False)
        batch_op.create_index('ix_duty_shifts_user_ends', ['user_id', 'ends_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_shifts_user_ends')
        batch_op.drop_index('ix_duty_shifts_team_ends')

    op.drop_table('duty_shifts')
    with op.batch_alter_table('duty_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_members_team_unit_id'))

    op.drop_table('duty_members')
    op.drop_table('duty_inspection_items')
    with op.batch_alter_table('duty_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_duty_assignments_team_unit_id'))
        batch_op.drop_index(batch_op.f('ix_duty_assignments_order_id'))
        batch_op.drop_index(batch_op.f('ix_duty_assignments_next_due_at'))

    op.drop_table('duty_assignments')
    op.drop_table('duty_teams')
    with op.batch_alter_table('duty_rosters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_rosters_team_unit_id'))

    op.drop_table('duty_rosters')
    with op.batch_alter_table('duty_inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_inspections_team_unit_id'))

    op.drop_table('duty_inspections')
    op.drop_table('duty_patterns')
