"""Count sign-in failures from known browsers apart, and remember when the owner was told

The sign-in throttle (elearn/auth/throttle.py) keeps a second count and wait for browsers the account has
signed in from, so a stranger's guesses never hold those up, and the time of the last email telling the owner
about failed sign-ins (at most one a day). The existing failed_logins and locked_until keep their rows: they are
now the count and wait for every other browser.

Revision ID: 5401f8c3cedd
Revises: b2c37cf5ac5f
Create Date: 2026-12-05 12:24:22.714395

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5401f8c3cedd'
down_revision = 'b2c37cf5ac5f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('device_locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins_notified_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('failed_logins_notified_at')
        batch_op.drop_column('device_locked_until')
        batch_op.drop_column('device_failed_logins')
