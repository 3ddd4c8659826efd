"""Connect organisations to Entra tenants and Workspace domains for single sign-on

An organisation's staff may sign in with Microsoft or Google (OpenID Connect): sso_connections names the tenant
or domain each organisation owns (one organisation per tenant), whether its people join automatically or must
use it, and when it was confirmed (a manager's connection works once they have signed in through that tenant);
sso_identities links a provider's account (issuer and subject) to an elearn account.

Revision ID: dfc5d1295daa
Revises: 4149887ff842
Create Date: 2026-12-05 14:41:00.351037

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'dfc5d1295daa'
down_revision = '4149887ff842'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sso_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('tenant', sa.String(length=253), nullable=False),
    sa.Column('auto_join', sa.Boolean(), nullable=False),
    sa.Column('require_sso', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sso_connections_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_sso_connections_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_connections')),
    sa.UniqueConstraint('provider', 'tenant', name=op.f('uq_sso_connections_provider_tenant'))
    )
    with op.batch_alter_table('sso_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_connections_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('sso_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('tenant', sa.String(length=253), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identities')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_sso_identities_issuer_subject'))
    )
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_identities_user_id'))

    op.drop_table('sso_identities')
    with op.batch_alter_table('sso_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_connections_organisation_id'))

    op.drop_table('sso_connections')
