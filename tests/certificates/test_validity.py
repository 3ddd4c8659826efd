"""A certificate counts on a day while it is not revoked, up to and including its expiry date: the row's answer
(Certificate.is_valid_on) and the SQL one (Certificate.valid_on) are the same rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Certificate

DAY = date(2026, 12, 5)


@pytest.mark.parametrize(("expires_on", "revoked", "counts"), [
    (DAY + timedelta(days=1), False, True),
    (DAY, False, True),  # its last day
    (DAY - timedelta(days=1), False, False),
    (DAY + timedelta(days=300), True, False),
])
def test_the_row_and_the_sql_say_the_same(make, expires_on, revoked, counts):
    certificate = make.certificate()
    certificate.expires_on = expires_on
    certificate.revoked_at = now_utc() if revoked else None
    db.session.commit()
    assert certificate.is_valid_on(DAY) is counts
    found = db.session.scalar(select(Certificate.id).where(Certificate.id == certificate.id,
                                                           Certificate.valid_on(DAY)))
    assert (found is not None) is counts
