"""Record "what changed" updates against certificates; certificates keep the editions they were aligned to

A learner who holds a valid certificate from an earlier course version reads the newer version's short update
instead of retaking the course (issue 15 item 6); certificate_updates records that, once per certificate and
version, so their manager can see who has done it and the verification page can say so.

certificates.aligned_to is a snapshot of the passed version's guidance editions, taken at issue like the
title and outcomes, so the PDF stays the same whatever happens to the course later. No backfill: versions
only gained aligned_to in the previous revision, and every version synced before it has none.

Revision ID: 32f9a5875a11
Revises: 21778f51a76d
Create Date: 2026-12-05 14:01:24.773020

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '32f9a5875a11'
down_revision = '21778f51a76d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_updates_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_certificate_updates_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_updates')),
    sa.UniqueConstraint('certificate_id', 'version_id', name=op.f('uq_certificate_updates_certificate_id_version_id'))
    )
    with op.batch_alter_table('certificate_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_updates_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aligned_to', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('aligned_to')

    with op.batch_alter_table('certificate_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_updates_version_id'))

    op.drop_table('certificate_updates')
