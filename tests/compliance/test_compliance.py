"""The compliance rule, as a table; and the SQL version used by the reports agrees with it row by row."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Boolean, Date, literal, select

from elearn.compliance.compliance import ComplianceStatus as S
from elearn.compliance.compliance import compliance_status, status_sql
from elearn.extensions import db

TODAY = date(2026, 3, 15)

# assigned, due_on,             valid_until,          in_progress, expected
RULES = [
    (True,  date(2026, 4, 1),   date(2027, 1, 1),     False, S.COMPLIANT),    # valid for months
    (True,  date(2026, 1, 1),   date(2027, 1, 1),     False, S.COMPLIANT),    # due date passed, but certified
    (True,  date(2026, 4, 1),   date(2026, 4, 15),    False, S.COMPLIANT),    # ends in 31 days: not yet expiring
    (True,  date(2026, 4, 1),   date(2026, 4, 14),    False, S.EXPIRING),     # ends in exactly 30 days
    (True,  date(2026, 4, 1),   TODAY,                False, S.EXPIRING),     # valid up to and including its expiry date
    (True,  date(2026, 1, 1),   date(2026, 3, 14),    False, S.OVERDUE),      # expired yesterday, due date passed
    (True,  date(2026, 4, 1),   date(2026, 3, 14),    False, S.NOT_STARTED),  # expired, refresher not yet due
    (True,  date(2026, 4, 1),   date(2026, 3, 14),    True,  S.IN_PROGRESS),  # refresher under way
    (True,  date(2026, 3, 14),  None,                 True,  S.OVERDUE),      # overdue beats in progress
    (True,  TODAY,              None,                 False, S.NOT_STARTED),  # due today is not overdue yet
    (True,  date(2026, 3, 14),  None,                 False, S.OVERDUE),
    (True,  date(2026, 4, 1),   None,                 True,  S.IN_PROGRESS),
    (True,  date(2026, 4, 1),   None,                 False, S.NOT_STARTED),
    (False, None,               None,                 False, S.NOT_ASSIGNED),
    (False, None,               None,                 True,  S.IN_PROGRESS),
    (False, None,               date(2027, 1, 1),     False, S.COMPLIANT),
    (False, None,               date(2026, 3, 20),    False, S.EXPIRING),
    (False, None,               date(2026, 3, 1),     False, S.NOT_ASSIGNED),  # never overdue when not assigned
]


@pytest.mark.parametrize(("assigned", "due_on", "valid_until", "in_progress", "expected"), RULES)
def test_compliance_status(assigned, due_on, valid_until, in_progress, expected):
    assert compliance_status(assigned=assigned, due_on=due_on, valid_until=valid_until, in_progress=in_progress,
                             today=TODAY) == expected


def test_the_sql_rule_agrees_with_the_pure_rule(app):
    for assigned, due_on, valid_until, in_progress, expected in RULES:
        expression = status_sql(assigned=literal(assigned, Boolean), due_on=literal(due_on, Date),
                                valid_until=literal(valid_until, Date), in_progress=literal(in_progress, Boolean),
                                today=TODAY)
        assert db.session.scalar(select(expression)) == expected.value, (assigned, due_on, valid_until, in_progress)
