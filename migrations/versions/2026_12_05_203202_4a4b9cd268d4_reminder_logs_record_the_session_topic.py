"""Reminder logs record the face-to-face session topic, and "sent once" is per topic

Revision ID: 4a4b9cd268d4
Revises: f35205fbb8cf
Create Date: 2026-12-05 20:32:02.904840

Rows logged before have topic "": a session event already sent this week or for this date was sent for some
topic, unknown now, so each topic may be reminded once more of it; nothing is lost, at most one extra line.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4a4b9cd268d4'
down_revision = 'f35205fbb8cf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminder_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=200), server_default='', nullable=False))
        batch_op.drop_index('uq_reminder_logs_user_kind_week', sqlite_where=sa.text('course_id IS NULL'),
                            postgresql_where=sa.text('course_id IS NULL'))
        batch_op.create_index('uq_reminder_logs_user_kind_topic_week', ['user_id', 'kind', 'topic', 'week'],
                              unique=True, sqlite_where=sa.text('course_id IS NULL'),
                              postgresql_where=sa.text('course_id IS NULL'))


def downgrade():
    # Several topics' rows for one person, event and key: keep the first, as the old index allows one.
    op.execute(sa.text(
        "DELETE FROM reminder_logs WHERE course_id IS NULL AND id NOT IN ("
        "SELECT MIN(id) FROM reminder_logs WHERE course_id IS NULL GROUP BY user_id, kind, week)"))
    with op.batch_alter_table('reminder_logs', schema=None) as batch_op:
        batch_op.drop_index('uq_reminder_logs_user_kind_topic_week', sqlite_where=sa.text('course_id IS NULL'),
                            postgresql_where=sa.text('course_id IS NULL'))
        batch_op.create_index('uq_reminder_logs_user_kind_week', ['user_id', 'kind', 'week'], unique=True,
                              sqlite_where=sa.text('course_id IS NULL'), postgresql_where=sa.text('course_id IS NULL'))
        batch_op.drop_column('topic')
