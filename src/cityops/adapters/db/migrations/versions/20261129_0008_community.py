"""community: building registers, resident ledger, rounds, progress, notes, notice templates,
notices and deliveries, import log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 02:15:00
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UTC = cityops.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('community_buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('compound', sa.String(length=100), server_default='', nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['units.id'], name=op.f('fk_community_buildings_committee_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_buildings')),
    sa.UniqueConstraint('committee_id', 'compound', 'number', name='uq_community_buildings_place')
    )
    with op.batch_alter_table('community_buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_buildings_committee_id'), ['committee_id'], unique=False)

    op.create_table('community_residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), server_default='', nullable=False),
    sa.Column('room', sa.String(length=16), server_default='', nullable=False),
    sa.Column('household', sa.String(length=32), server_default='', nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('id_masked', sa.String(length=24), nullable=False),
    sa.Column('tags', sa.String(length=100), server_default='', nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('moved_in', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('source', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['community_buildings.id'], name=op.f('fk_community_residents_building_id_community_buildings')),
    sa.ForeignKeyConstraint(['committee_id'], ['units.id'], name=op.f('fk_community_residents_committee_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_residents')),
    sa.UniqueConstraint('id_hash', name=op.f('uq_community_residents_id_hash'))
    )
    with op.batch_alter_table('community_residents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_residents_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_residents_committee_id'), ['committee_id'], unique=False)

    op.create_table('community_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('area_unit_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', UTC, nullable=False),
    sa.Column('ends_at', UTC, nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('building_ids', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('matched_at', UTC, nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['area_unit_id'], ['units.id'], name=op.f('fk_community_rounds_area_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_rounds'))
    )
    with op.batch_alter_table('community_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_rounds_area_unit_id'), ['area_unit_id'], unique=False)

    op.create_table('community_progress',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('must', sa.Integer(), nullable=False),
    sa.Column('tested', sa.Integer(), nullable=False),
    sa.Column('exempted', sa.Integer(), nullable=False),
    sa.Column('untested', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.Column('computed_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['community_buildings.id'], name=op.f('fk_community_progress_building_id_community_buildings')),
    sa.ForeignKeyConstraint(['round_id'], ['community_rounds.id'], name=op.f('fk_community_progress_round_id_community_rounds')),
    sa.PrimaryKeyConstraint('round_id', 'building_id', 'unit', name=op.f('pk_community_progress'))
    )
    with op.batch_alter_table('community_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_progress_committee_id'), ['committee_id'], unique=False)

    op.create_table('community_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('exempt', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('text', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['community_residents.id'], name=op.f('fk_community_notes_resident_id_community_residents')),
    sa.ForeignKeyConstraint(['round_id'], ['community_rounds.id'], name=op.f('fk_community_notes_round_id_community_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_notes'))
    )
    with op.batch_alter_table('community_notes', schema=None) as batch_op:
        batch_op.create_index('ix_community_notes_round_resident', ['round_id', 'resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_notes_resident_id'), ['resident_id'], unique=False)

    op.create_table('community_templates',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('body', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_community_templates'))
    )
    op.create_table('community_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('template_code', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('building_ids', sa.JSON(), nullable=False),
    sa.Column('channels', sa.String(length=32), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['units.id'], name=op.f('fk_community_notices_committee_id_units')),
    sa.ForeignKeyConstraint(['round_id'], ['community_rounds.id'], name=op.f('fk_community_notices_round_id_community_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_notices'))
    )
    with op.batch_alter_table('community_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_notices_committee_id'), ['committee_id'], unique=False)

    op.create_table('community_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['community_notices.id'], name=op.f('fk_community_deliveries_notice_id_community_notices')),
    sa.ForeignKeyConstraint(['resident_id'], ['community_residents.id'], name=op.f('fk_community_deliveries_resident_id_community_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_deliveries')),
    sa.UniqueConstraint('notice_id', 'resident_id', 'channel', name='uq_community_deliveries_once')
    )
    with op.batch_alter_table('community_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_deliveries_dedup_key'), ['dedup_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_deliveries_resident_id'), ['resident_id'], unique=False)

    op.create_table('community_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_imports'))
    )
    with op.batch_alter_table('community_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_imports_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('community_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_imports_sha256'))
    op.drop_table('community_imports')
    with op.batch_alter_table('community_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_deliveries_resident_id'))
        batch_op.drop_index(batch_op.f('ix_community_deliveries_dedup_key'))
    op.drop_table('community_deliveries')
    with op.batch_alter_table('community_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_notices_committee_id'))
    op.drop_table('community_notices')
    op.drop_table('community_templates')
    with op.batch_alter_table('community_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_notes_resident_id'))
        batch_op.drop_index('ix_community_notes_round_resident')
    op.drop_table('community_notes')
    with op.batch_alter_table('community_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_progress_committee_id'))
    op.drop_table('community_progress')
    with op.batch_alter_table('community_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_rounds_area_unit_id'))
    op.drop_table('community_rounds')
    with op.batch_alter_table('community_residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_residents_committee_id'))
        batch_op.drop_index(batch_op.f('ix_community_residents_building_id'))
    op.drop_table('community_residents')
    with op.batch_alter_table('community_buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_buildings_committee_id'))
    op.drop_table('community_buildings')
