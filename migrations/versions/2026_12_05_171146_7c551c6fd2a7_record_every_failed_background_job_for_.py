"""Record every failed background job for the admins

A job that raises (a scheduled job, an email batch, an export) leaves a row the admins see on /admin/jobs,
with its error, and may run again with the same arguments.

Revision ID: 7c551c6fd2a7
Revises: b62c2e294f1f
Create Date: 2026-12-05 17:11:46.166267

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c551c6fd2a7'
down_revision = 'b62c2e294f1f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('failed_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_name', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('failed_at', sa.DateTime(), nullable=False),
    sa.Column('retried_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_jobs'))
    )
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_jobs_failed_at'), ['failed_at'], unique=False)



def downgrade():
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_jobs_failed_at'))

    op.drop_table('failed_jobs')
