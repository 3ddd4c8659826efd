"""Standing assignment rules for groups, courses on invitations, organisations' reminder schedules

Why: an assignment to a group or to everyone is a standing rule (new_starter_rules gains group_id, one
rule per course for everyone and one per course and group, hence two partial unique indexes); an
invitation can carry courses assigned when the invitee joins (invitation_courses); each organisation
sets its own automatic reminders (reminder_schedules; no row means all on).

Revision ID: 4149887ff842
Revises: 0fe6984efb4f
Create Date: 2026-12-05 14:40:58.620589

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4149887ff842'
down_revision = '0fe6984efb4f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_schedules',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('on_assignment', sa.Boolean(), nullable=False),
    sa.Column('week_before_due', sa.Boolean(), nullable=False),
    sa.Column('on_due_day', sa.Boolean(), nullable=False),
    sa.Column('weekly_overdue', sa.Boolean(), nullable=False),
    sa.Column('before_expiry', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_reminder_schedules_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_reminder_schedules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_reminder_schedules'))
    )
    op.create_table('invitation_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('due_in_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_invitation_courses_course_id_courses')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_courses_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_courses')),
    sa.UniqueConstraint('invitation_id', 'course_id', name=op.f('uq_invitation_courses_invitation_id_course_id'))
    )
    with op.batch_alter_table('invitation_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_courses_invitation_id'), ['invitation_id'], unique=False)

    with op.batch_alter_table('new_starter_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_new_starter_rules_organisation_id_course_id'), type_='unique')
        batch_op.create_index('uq_new_starter_rules_organisation_id_course_id', ['organisation_id', 'course_id'], unique=True, sqlite_where=sa.text('group_id IS NULL'), postgresql_where=sa.text('group_id IS NULL'))
        batch_op.create_index(batch_op.f('ix_new_starter_rules_group_id'), ['group_id'], unique=False)
        batch_op.create_index('uq_new_starter_rules_group_id_course_id', ['group_id', 'course_id'], unique=True, sqlite_where=sa.text('group_id IS NOT NULL'), postgresql_where=sa.text('group_id IS NOT NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_new_starter_rules_group_id_groups'), 'groups', ['group_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('new_starter_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_new_starter_rules_group_id_groups'), type_='foreignkey')
        batch_op.drop_index('uq_new_starter_rules_group_id_course_id', sqlite_where=sa.text('group_id IS NOT NULL'), postgresql_where=sa.text('group_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_new_starter_rules_group_id'))
        batch_op.drop_index('uq_new_starter_rules_organisation_id_course_id', sqlite_where=sa.text('group_id IS NULL'), postgresql_where=sa.text('group_id IS NULL'))
        batch_op.create_unique_constraint(batch_op.f('uq_new_starter_rules_organisation_id_course_id'), ['organisation_id', 'course_id'])
        batch_op.drop_column('group_id')

    with op.batch_alter_table('invitation_courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_courses_invitation_id'))

    op.drop_table('invitation_courses')
    op.drop_table('reminder_schedules')
