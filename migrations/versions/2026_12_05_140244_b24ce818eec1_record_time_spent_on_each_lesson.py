"""record time spent on each lesson

A lesson_progress row is now made when the server first shows a learner the lesson, not when they mark it
complete: it holds when they first opened it, when the server last saw them on it and the seconds spent
(capped gaps), so "Mark complete" can wait for a lesson's min_minutes and managers can see quick
completions. completed_at is NULL while the lesson is still being read. Rows completed before this
revision keep first_opened_at NULL: their time was never recorded, and the reports say so.

Revision ID: b24ce818eec1
Revises: 859fcaf896f3
Create Date: 2026-12-05 14:02:44.243832

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b24ce818eec1'
down_revision = '859fcaf896f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_opened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('seconds_spent', sa.Integer(), server_default='0', nullable=False))
        batch_op.alter_column('completed_at', existing_type=sa.DateTime(), nullable=True)


def downgrade():
    # Lessons opened but not completed were not progress before this revision.
    op.execute("DELETE FROM lesson_progress WHERE completed_at IS NULL")
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.alter_column('completed_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_column('seconds_spent')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('first_opened_at')
