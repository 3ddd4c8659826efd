"""The query counter: a budget that fails says which statements were run."""

import pytest
from sqlalchemy import text

from elearn.extensions import db


def test_an_exceeded_budget_lists_the_statements(count_queries):
    with count_queries() as counter:
        db.session.execute(text("SELECT 1"))
        db.session.execute(text("SELECT   2"))
    assert counter.count == 2
    with pytest.raises(AssertionError) as failure:
        assert counter.count <= 1
    assert "2 statements: [1] SELECT 1 [2] SELECT 2" in str(failure.value)
