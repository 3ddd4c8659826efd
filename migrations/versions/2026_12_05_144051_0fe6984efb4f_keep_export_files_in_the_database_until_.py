"""Keep export files in the database until they expire

Large exports (the inspection PDF, certificate ZIPs, big CSVs) are made by a job; the file is stored in
chunks in the database, so that every app server can hand it to the manager who asked, for 24 hours.

Revision ID: 0fe6984efb4f
Revises: 468e3ba4f7d6
Create Date: 2026-12-05 14:40:51.231511

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0fe6984efb4f'
down_revision = '468e3ba4f7d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('mimetype', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_export_files_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_export_files_requested_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_files'))
    )
    with op.batch_alter_table('export_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_files_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_files_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_files_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_export_files_requested_by_id_status', ['requested_by_id', 'status'], unique=False)

    op.create_table('export_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['export_files.id'], name=op.f('fk_export_chunks_export_id_export_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_chunks')),
    sa.UniqueConstraint('export_id', 'position', name=op.f('uq_export_chunks_export_id_position'))
    )


def downgrade():
    op.drop_table('export_chunks')
    with op.batch_alter_table('export_files', schema=None) as batch_op:
        batch_op.drop_index('ix_export_files_requested_by_id_status')
        batch_op.drop_index(batch_op.f('ix_export_files_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_export_files_expires_at'))
        batch_op.drop_index(batch_op.f('ix_export_files_created_at'))

    op.drop_table('export_files')
