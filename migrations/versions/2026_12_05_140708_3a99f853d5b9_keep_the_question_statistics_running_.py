"""keep the question statistics' running sums as exact integers

SQLite has no decimal type: the Numeric(24, 8) sums were kept to four places there, so Σx² drifted, the
discrimination index moved, and a question everybody scored the same on showed "0.00, discriminates
poorly" instead of "—". The sums are now whole numbers of ten-thousandths of a mark (Σx² in units of
10^-8), exact on both databases (elearn/models/evidence.py MARK_UNITS).

The sums already kept may be wrong and are in the old units, so they are forgotten: every submitted final
attempt goes back to "not counted", and the next view of a version's statistics counts them all again in
one batch (elearn/evidence/tallies.py), as `flask statistics recount` would.

Revision ID: 3a99f853d5b9
Revises: b24ce818eec1
Create Date: 2026-12-05 14:07:08.695633

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3a99f853d5b9'
down_revision = 'b24ce818eec1'
branch_labels = None
depends_on = None

SUMS = ('sum_x', 'sum_xx', 'sum_t', 'sum_tt', 'sum_xt')


def forget_running_sums(connection):
    """Empty the running sums and mark every attempt not yet counted; the statistics page recounts them."""
    for table in ('option_tallies', 'question_tallies', 'version_tallies'):
        connection.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
    connection.execute(sa.text("UPDATE attempts SET tally_batch = NULL WHERE tally_batch IS NOT NULL"))


def upgrade():
    forget_running_sums(op.get_bind())
    with op.batch_alter_table('question_tallies', schema=None) as batch_op:
        for name in SUMS:
            batch_op.alter_column(name, existing_type=sa.Numeric(precision=24, scale=8), type_=sa.BigInteger(),
                                  existing_nullable=False)


def downgrade():
    forget_running_sums(op.get_bind())
    with op.batch_alter_table('question_tallies', schema=None) as batch_op:
        for name in SUMS:
            batch_op.alter_column(name, existing_type=sa.BigInteger(), type_=sa.Numeric(precision=24, scale=8),
                                  existing_nullable=False)
