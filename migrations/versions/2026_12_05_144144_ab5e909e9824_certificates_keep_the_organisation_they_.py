"""Certificates keep the organisation they were issued for and the accrediting body

A certificate says "Issued for <organisation>" and, only when the deployment names one, "Accredited by <body>".
Both are stored at issue, like the title, so a learner moving school or a changed setting cannot alter a
certificate already issued. Certificates issued before this take their learner's organisation now: the
best record there is. None was issued under an accrediting body.

Revision ID: ab5e909e9824
Revises: 8b133293dd45
Create Date: 2026-12-05 14:41:44.979794

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'ab5e909e9824'
down_revision = '8b133293dd45'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('accredited_by', sa.String(length=200), nullable=True))
    certificates = sa.table('certificates', sa.column('user_id', sa.Integer),
                            sa.column('organisation_name', sa.String))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer))
    organisations = sa.table('organisations', sa.column('id', sa.Integer), sa.column('name', sa.String))
    name_now = (sa.select(organisations.c.name)
                .select_from(users.join(organisations, organisations.c.id == users.c.organisation_id))
                .where(users.c.id == certificates.c.user_id).scalar_subquery())
    op.execute(certificates.update().values(organisation_name=name_now))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('accredited_by')
        batch_op.drop_column('organisation_name')
