"""Invitations say what kind of member the invitee will be; assignments made by a training requirement keep its
renewal period

Revision ID: f35205fbb8cf
Revises: 9b8d690be7dd
Create Date: 2026-12-05 17:25:49.359368

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f35205fbb8cf'
down_revision = '9b8d690be7dd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_kind', sa.String(length=20), server_default='staff', nullable=False))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renew_every_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('renew_mode', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('renew_mode')
        batch_op.drop_column('renew_every_months')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('member_kind')
