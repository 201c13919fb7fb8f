"""order location and details api keys service attributes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 01:05:44.252198
"""
from alembic import op
import sqlalchemy as sa
import cityops.adapters.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', cityops.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('service_attributes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('datatype', sa.String(length=24), nullable=False),
    sa.Column('required', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('variable', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('description', sa.String(length=500), server_default='', nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['category'], ['categories.code'], name=op.f('fk_service_attributes_category_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_attributes')),
    sa.UniqueConstraint('category', 'code', name='uq_service_attributes_category_code')
    )
    with op.batch_alter_table('service_attributes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_attributes_category'), ['category'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lng', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('details')
        batch_op.drop_column('lng')
        batch_op.drop_column('lat')

    with op.batch_alter_table('service_attributes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_attributes_category'))

    op.drop_table('service_attributes')
    op.drop_table('api_keys')
