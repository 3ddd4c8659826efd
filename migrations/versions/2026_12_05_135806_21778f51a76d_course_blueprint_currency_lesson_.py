"""Course blueprint, currency, lesson minimum time, applied items

The outcomes' draw and critical marks live in course_versions.outcomes (JSON), so need no column. A course
version names the guidance editions it follows, its review date and its short "what changed" update; a lesson
the outcomes it teaches and its minimum time before "Mark complete"; a question whether it is an applied case.

Revision ID: 21778f51a76d
Revises: ac15eace7e48
Create Date: 2026-12-05 13:58:06.998231

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '21778f51a76d'
down_revision = 'ac15eace7e48'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aligned_to', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('review_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('what_changed_title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('what_changed_html', sa.Text(), nullable=True))

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('outcomes', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applied', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('applied')

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_column('outcomes')
        batch_op.drop_column('min_minutes')

    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('what_changed_html')
        batch_op.drop_column('what_changed_title')
        batch_op.drop_column('review_by')
        batch_op.drop_column('aligned_to')
