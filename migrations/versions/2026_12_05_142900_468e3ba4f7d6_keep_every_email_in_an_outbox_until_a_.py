"""Keep every email in an outbox until a worker sends it

An email is written in the transaction of the change that causes it and sent by a job-queue worker,
so a committed change and its email can never be out of step and a page never waits for SMTP.

Revision ID: 468e3ba4f7d6
Revises: 3a99f853d5b9
Create Date: 2026-12-05 14:29:00.512683

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '468e3ba4f7d6'
down_revision = '3a99f853d5b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_emails'))
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_emails_due', ['sent_at', 'failed_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_emails_to_address'), ['to_address'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_emails_to_address'))
        batch_op.drop_index('ix_outbox_emails_due')

    op.drop_table('outbox_emails')