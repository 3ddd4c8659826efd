"""Red, amber and green thresholds for the audit's training measures, set by a trust, partnership or setting

Revision ID: c90b5add28be
Revises: b62c2e294f1f
Create Date: 2026-12-05 17:12:17.611473

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c90b5add28be'
down_revision = 'b62c2e294f1f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rating_thresholds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('green_from', sa.Integer(), nullable=False),
    sa.Column('amber_from', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amber_from >= 0 AND amber_from <= green_from AND green_from <= 100', name=op.f('ck_rating_thresholds_order')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_rating_thresholds_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_rating_thresholds_set_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_thresholds')),
    sa.UniqueConstraint('organisation_id', 'measure', name=op.f('uq_rating_thresholds_organisation_id_measure'))
    )
    with op.batch_alter_table('rating_thresholds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_thresholds_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rating_thresholds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_thresholds_organisation_id'))

    op.drop_table('rating_thresholds')
