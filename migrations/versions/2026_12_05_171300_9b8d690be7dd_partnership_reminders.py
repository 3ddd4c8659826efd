"""A partnership's reminders to member settings that have not returned their audit's training section

At most one per partnership, setting and ISO week (a unique constraint), so a double click sends nothing twice.

Revision ID: 9b8d690be7dd
Revises: c90b5add28be
Create Date: 2026-12-05 17:08:46.070010

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9b8d690be7dd'
down_revision = 'c90b5add28be'  # after h21b's, merged into this branch (was b62c2e294f1f)
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partnership_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partnership_reminders_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['organisations.id'], name=op.f('fk_partnership_reminders_partnership_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_partnership_reminders_sent_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_reminders')),
    sa.UniqueConstraint('partnership_id', 'organisation_id', 'week', name=op.f('uq_partnership_reminders_partnership_id_organisation_id_week'))
    )
    with op.batch_alter_table('partnership_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnership_reminders_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('partnership_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnership_reminders_organisation_id'))

    op.drop_table('partnership_reminders')
