"""Add organisations' retention rules and account anonymisation

Revision ID: c7429a4dbcd8
Revises: 2a0598c6043d
Create Date: 2026-11-23 12:40:07.253359

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7429a4dbcd8'
down_revision = '2a0598c6043d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), server_default='24', nullable=False))
        batch_op.add_column(sa.Column('keep_certificate_names', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))

    # Accounts deactivated before this revision: their retention period counts from now (the
    # conservative choice: nothing is anonymised earlier than it would have been).
    users = sa.table('users', sa.column('is_active', sa.Boolean()), sa.column('deactivated_at', sa.DateTime()))
    op.execute(users.update().where(users.c.is_active == sa.false()).values(deactivated_at=sa.func.current_timestamp()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('deactivated_at')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('keep_certificate_names')
        batch_op.drop_column('retention_months')
