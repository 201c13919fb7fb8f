"""passes: test results (shared with the community registry), areas, checkpoints, rulesets,
signing keys, one-time codes, applications, passes, revocations, scans

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:15:00
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

UTC = cityops.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('test_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('name_masked', sa.String(length=100), server_default='', nullable=False),
    sa.Column('sample_time', UTC, nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('test_type', sa.String(length=24), nullable=False),
    sa.Column('site', sa.String(length=200), server_default='', nullable=False),
    sa.Column('tube_id', sa.String(length=64), server_default='', nullable=False),
    sa.Column('source', sa.String(length=64), server_default='', nullable=False),
    sa.Column('imported_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_results')),
    sa.UniqueConstraint('id_hash', 'sample_time', 'tube_id', name='uq_test_results_person_sample_tube')
    )
    op.create_index('ix_test_results_id_hash_sample_time', 'test_results', ['id_hash', 'sample_time'], unique=False)
    op.create_table('pass_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('manual_approval', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_pass_areas_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_areas')),
    sa.UniqueConstraint('code', name=op.f('uq_pass_areas_code'))
    )
    op.create_table('pass_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['pass_areas.id'], name=op.f('fk_pass_checkpoints_area_id_pass_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_checkpoints')),
    sa.UniqueConstraint('code', name=op.f('uq_pass_checkpoints_code'))
    )
    op.create_index(op.f('ix_pass_checkpoints_area_id'), 'pass_checkpoints', ['area_id'], unique=False)
    op.create_table('pass_rulesets',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_pass_rulesets'))
    )
    op.create_table('pass_keys',
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('certificate', sa.Text(), nullable=False),
    sa.Column('spki', sa.Text(), nullable=False),
    sa.Column('private_enc', sa.Text(), nullable=False),
    sa.Column('not_after', UTC, nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('retired_at', UTC, nullable=True),
    sa.Column('withdrawn_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_pass_keys'))
    )
    op.create_table('pass_otps',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('used_at', UTC, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_otps'))
    )
    op.create_index(op.f('ix_pass_otps_phone'), 'pass_otps', ['phone'], unique=False)
    op.create_table('pass_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('id_masked', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('directions', sa.JSON(), nullable=False),
    sa.Column('period_start', UTC, nullable=False),
    sa.Column('period_end', UTC, nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('failures', sa.JSON(), nullable=False),
    sa.Column('last_test_at', UTC, nullable=True),
    sa.Column('last_test_result', sa.String(length=16), nullable=True),
    sa.Column('ruleset_version', sa.Integer(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', UTC, nullable=True),
    sa.Column('decision_note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['pass_areas.id'], name=op.f('fk_pass_applications_area_id_pass_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_applications'))
    )
    op.create_index(op.f('ix_pass_applications_area_id'), 'pass_applications', ['area_id'], unique=False)
    op.create_index(op.f('ix_pass_applications_created_at'), 'pass_applications', ['created_at'], unique=False)
    op.create_index(op.f('ix_pass_applications_id_hash'), 'pass_applications', ['id_hash'], unique=False)
    op.create_index(op.f('ix_pass_applications_status'), 'pass_applications', ['status'], unique=False)
    op.create_table('passes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('holder_name', sa.String(length=100), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('id_masked', sa.String(length=32), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('directions', sa.JSON(), nullable=False),
    sa.Column('sample_time', UTC, nullable=False),
    sa.Column('issued_at', UTC, nullable=False),
    sa.Column('valid_from', UTC, nullable=False),
    sa.Column('expires_at', UTC, nullable=False),
    sa.Column('qr_text', sa.Text(), nullable=False),
    sa.Column('revoked_at', UTC, nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['pass_applications.id'], name=op.f('fk_passes_application_id_pass_applications')),
    sa.ForeignKeyConstraint(['area_id'], ['pass_areas.id'], name=op.f('fk_passes_area_id_pass_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passes')),
    sa.UniqueConstraint('application_id', name=op.f('uq_passes_application_id'))
    )
    op.create_index(op.f('ix_passes_employer'), 'passes', ['employer'], unique=False)
    op.create_index(op.f('ix_passes_id_hash'), 'passes', ['id_hash'], unique=False)
    op.create_index(op.f('ix_passes_issued_at'), 'passes', ['issued_at'], unique=False)
    op.create_table('pass_revocations',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('pass_id', sa.String(length=32), nullable=False),
    sa.Column('hash', sa.String(length=32), nullable=False),
    sa.Column('revoked_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['pass_id'], ['passes.id'], name=op.f('fk_pass_revocations_pass_id_passes')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_pass_revocations')),
    sa.UniqueConstraint('pass_id', name=op.f('uq_pass_revocations_pass_id'))
    )
    op.create_table('pass_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.String(length=64), nullable=False),
    sa.Column('pass_id', sa.String(length=32), nullable=True),
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=4), nullable=False),
    sa.Column('scanned_at', UTC, nullable=False),
    sa.Column('received_at', UTC, nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('server_reason', sa.String(length=24), nullable=True),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['pass_checkpoints.id'], name=op.f('fk_pass_scans_checkpoint_id_pass_checkpoints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pass_scans')),
    sa.UniqueConstraint('scan_id', name=op.f('uq_pass_scans_scan_id'))
    )
    op.create_index('ix_pass_scans_checkpoint_scanned_at', 'pass_scans', ['checkpoint_id', 'scanned_at'], unique=False)
    op.create_index(op.f('ix_pass_scans_pass_id'), 'pass_scans', ['pass_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pass_scans_checkpoint_scanned_at', table_name='pass_scans')
    op.drop_table('pass_scans')
    op.drop_table('pass_revocations')
    op.drop_table('passes')
    op.drop_table('pass_applications')
    op.drop_table('pass_otps')
    op.drop_table('pass_keys')
    op.drop_table('pass_rulesets')
    op.drop_table('pass_checkpoints')
    op.drop_table('pass_areas')
    op.drop_index('ix_test_results_id_hash_sample_time', table_name='test_results')
    op.drop_table('test_results')
