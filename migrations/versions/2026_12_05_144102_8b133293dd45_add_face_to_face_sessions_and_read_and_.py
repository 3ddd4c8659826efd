"""Add face-to-face sessions and read-and-understood sign-offs

A face-to-face session (an INSET day) is recorded once with its attendees, the courses it covers and an
optional register; when it counts towards compliance it keeps an external_training row per attendee and
course (external_training.session_id), so the one status rule reads it. Sign-off documents have versions;
a confirmation belongs to one version, so a new version asks everyone again.

Revision ID: 8b133293dd45
Revises: dfc5d1295daa
Create Date: 2026-12-05 14:41:02.992076

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8b133293dd45'
down_revision = 'dfc5d1295daa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signoff_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_signoff_documents_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_signoff_documents_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoff_documents'))
    )
    with op.batch_alter_table('signoff_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoff_documents_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('trainer', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('counts_towards_compliance', sa.Boolean(), nullable=False),
    sa.Column('counts_until', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('register_filename', sa.String(length=200), nullable=True),
    sa.Column('register_type', sa.String(length=40), nullable=True),
    sa.Column('register_size', sa.Integer(), nullable=True),
    sa.Column('register_data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_training_sessions_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_training_sessions_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('signoff_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_signoff_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['signoff_documents.id'], name=op.f('fk_signoff_assignments_document_id_signoff_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signoff_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoff_assignments')),
    sa.UniqueConstraint('document_id', 'user_id', name=op.f('uq_signoff_assignments_document_id_user_id'))
    )
    with op.batch_alter_table('signoff_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoff_assignments_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signoff_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('signoff_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('pdf_filename', sa.String(length=200), nullable=True),
    sa.Column('pdf_size', sa.Integer(), nullable=True),
    sa.Column('pdf_data', sa.LargeBinary(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['signoff_documents.id'], name=op.f('fk_signoff_versions_document_id_signoff_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_signoff_versions_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoff_versions'))
    )
    with op.batch_alter_table('signoff_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoff_versions_document_id'), ['document_id'], unique=False)

    op.create_table('training_session_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_session_attendees_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_session_attendees_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session_attendees')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_training_session_attendees_session_id_user_id'))
    )
    with op.batch_alter_table('training_session_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_attendees_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_session_attendees_user_id'), ['user_id'], unique=False)

    op.create_table('training_session_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_session_courses_course_id_courses')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_session_courses_session_id_training_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session_courses')),
    sa.UniqueConstraint('session_id', 'course_id', name=op.f('uq_training_session_courses_session_id_course_id'))
    )
    with op.batch_alter_table('training_session_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_courses_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_session_courses_session_id'), ['session_id'], unique=False)

    op.create_table('signoff_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signoff_confirmations_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['signoff_versions.id'], name=op.f('fk_signoff_confirmations_version_id_signoff_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoff_confirmations')),
    sa.UniqueConstraint('version_id', 'user_id', name=op.f('uq_signoff_confirmations_version_id_user_id'))
    )
    with op.batch_alter_table('signoff_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoff_confirmations_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signoff_confirmations_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('external_training', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_external_training_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_external_training_session_id_training_sessions'), 'training_sessions', ['session_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('external_training', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_external_training_session_id_training_sessions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_external_training_session_id'))
        batch_op.drop_column('session_id')

    with op.batch_alter_table('signoff_confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoff_confirmations_version_id'))
        batch_op.drop_index(batch_op.f('ix_signoff_confirmations_user_id'))

    op.drop_table('signoff_confirmations')
    with op.batch_alter_table('training_session_courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_courses_session_id'))
        batch_op.drop_index(batch_op.f('ix_training_session_courses_course_id'))

    op.drop_table('training_session_courses')
    with op.batch_alter_table('training_session_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_attendees_user_id'))
        batch_op.drop_index(batch_op.f('ix_training_session_attendees_session_id'))

    op.drop_table('training_session_attendees')
    with op.batch_alter_table('signoff_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoff_versions_document_id'))

    op.drop_table('signoff_versions')
    with op.batch_alter_table('signoff_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoff_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_signoff_assignments_document_id'))

    op.drop_table('signoff_assignments')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_organisation_id'))

    op.drop_table('training_sessions')
    with op.batch_alter_table('signoff_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoff_documents_organisation_id'))

    op.drop_table('signoff_documents')
