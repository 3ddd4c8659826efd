"""Allow one more attempt past the daily limit

A course's max_attempts_per_day is the cool-down between attempts. A manager of the learner's organisation, or
an admin, can lift it for one learner on one course: attempt_allowances holds each grant (who, when) and the
attempt that used it. A partial unique index keeps at most one unused allowance per enrolment.

Revision ID: 859fcaf896f3
Revises: 32f9a5875a11
Create Date: 2026-12-05 14:01:33.986033

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '859fcaf896f3'
down_revision = '32f9a5875a11'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attempt_allowances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_allowances_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_attempt_allowances_enrolment_id_enrolments')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_attempt_allowances_granted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_allowances')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_attempt_allowances_attempt_id'))
    )
    with op.batch_alter_table('attempt_allowances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_allowances_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_allowances_granted_by_id'), ['granted_by_id'], unique=False)
        batch_op.create_index('uq_attempt_allowances_one_unused_per_enrolment', ['enrolment_id'], unique=True, sqlite_where=sa.text('used_at IS NULL'), postgresql_where=sa.text('used_at IS NULL'))


def downgrade():
    with op.batch_alter_table('attempt_allowances', schema=None) as batch_op:
        batch_op.drop_index('uq_attempt_allowances_one_unused_per_enrolment', sqlite_where=sa.text('used_at IS NULL'), postgresql_where=sa.text('used_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_attempt_allowances_granted_by_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_allowances_enrolment_id'))

    op.drop_table('attempt_allowances')
