"""index unrevoked certificates and open enrolments for the compliance reports

Revision ID: 5b1d3c7e9a42
Revises: eb2689122b20
Create Date: 2026-11-23 13:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b1d3c7e9a42'
down_revision = 'eb2689122b20'
branch_labels = None
depends_on = None


def upgrade():
    # Partial indexes: the reports read only unrevoked certificates and enrolments not yet passed
    # (bench/manage/RESULTS.md: the dashboard of a 2,000-person organisation among 100,000 learners).
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_unrevoked_user_id_course_id', ['user_id', 'course_id', 'expires_on'],
                              unique=False, sqlite_where=sa.text('revoked_at IS NULL'),
                              postgresql_where=sa.text('revoked_at IS NULL'))
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_open_user_id_course_id', ['user_id', 'course_id'], unique=False,
                              sqlite_where=sa.text('passed_at IS NULL'), postgresql_where=sa.text('passed_at IS NULL'))


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_open_user_id_course_id', sqlite_where=sa.text('passed_at IS NULL'),
                            postgresql_where=sa.text('passed_at IS NULL'))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_unrevoked_user_id_course_id', sqlite_where=sa.text('revoked_at IS NULL'),
                            postgresql_where=sa.text('revoked_at IS NULL'))
