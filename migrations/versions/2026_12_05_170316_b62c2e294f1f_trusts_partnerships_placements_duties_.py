"""The tier above the setting: trusts, partnerships, placements, duties and training requirements

Organisations get a kind (setting, trust, partnership), an owning trust, a phase and whether they are
independent (Section 157 rather than 175). Every existing organisation is a setting and every existing person
a member of staff. A person may work at other settings (placements) and hold duties there (DSL, deputy, safer
recruiter); training requirements say what each kind or duty needs and how often; a setting's signed
training section of its annual safeguarding audit is kept as a reproducible snapshot.

Revision ID: b62c2e294f1f
Revises: ab5e909e9824
Create Date: 2026-12-05 17:03:16.576506

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b62c2e294f1f'
down_revision = 'ab5e909e9824'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_by_name', sa.String(length=120), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_audit_returns_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_audit_returns_signed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_returns')),
    sa.UniqueConstraint('organisation_id', 'academic_year', 'version', name=op.f('uq_audit_returns_organisation_id_academic_year_version'))
    )
    with op.batch_alter_table('audit_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_returns_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('member_duties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('duty', sa.String(length=20), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_member_duties_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_member_duties_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_member_duties_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_duties')),
    sa.UniqueConstraint('user_id', 'organisation_id', 'duty', name=op.f('uq_member_duties_user_id_organisation_id_duty'))
    )
    with op.batch_alter_table('member_duties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_duties_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_duties_user_id'), ['user_id'], unique=False)

    op.create_table('partnership_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partnership_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('consent_given_by', sa.String(length=120), nullable=False),
    sa.Column('consent_given_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_partnership_members_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['organisations.id'], name=op.f('fk_partnership_members_partnership_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_partnership_members_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership_members')),
    sa.UniqueConstraint('partnership_id', 'organisation_id', name=op.f('uq_partnership_members_partnership_id_organisation_id'))
    )
    with op.batch_alter_table('partnership_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnership_members_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partnership_members_partnership_id'), ['partnership_id'], unique=False)

    op.create_table('placements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_placements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_placements_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_placements_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placements')),
    sa.UniqueConstraint('user_id', 'organisation_id', name=op.f('uq_placements_user_id_organisation_id'))
    )
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placements_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placements_user_id'), ['user_id'], unique=False)

    op.create_table('training_requirements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('applies_to', sa.String(length=20), nullable=False),
    sa.Column('item', sa.String(length=20), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('session_topic', sa.String(length=200), nullable=True),
    sa.Column('document_kind', sa.String(length=20), nullable=True),
    sa.Column('every_months', sa.Integer(), nullable=False),
    sa.Column('due_mode', sa.String(length=20), nullable=False),
    sa.Column('induction_days', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_requirements_course_id_courses')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_requirements_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_training_requirements_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_requirements'))
    )
    with op.batch_alter_table('training_requirements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_requirements_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_requirements_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='setting', nullable=False))
        batch_op.add_column(sa.Column('trust_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('phase', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('is_independent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_organisations_trust_id'), ['trust_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_organisations_trust_id_organisations'), 'organisations', ['trust_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('member_kind', sa.String(length=20), server_default='staff', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('member_kind')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_organisations_trust_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_organisations_trust_id'))
        batch_op.drop_column('is_independent')
        batch_op.drop_column('phase')
        batch_op.drop_column('trust_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('training_requirements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_requirements_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_training_requirements_course_id'))

    op.drop_table('training_requirements')
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placements_user_id'))
        batch_op.drop_index(batch_op.f('ix_placements_organisation_id'))

    op.drop_table('placements')
    with op.batch_alter_table('partnership_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnership_members_partnership_id'))
        batch_op.drop_index(batch_op.f('ix_partnership_members_organisation_id'))

    op.drop_table('partnership_members')
    with op.batch_alter_table('member_duties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_duties_user_id'))
        batch_op.drop_index(batch_op.f('ix_member_duties_organisation_id'))

    op.drop_table('member_duties')
    with op.batch_alter_table('audit_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_returns_organisation_id'))

    op.drop_table('audit_returns')
