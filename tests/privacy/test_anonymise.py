"""`flask users anonymise`: leavers past their organisation's retention period; dry run; idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import AuditEvent, User
from elearn.privacy import service
from elearn.privacy.service import NAME_REMOVED, _months_before


def leaver(make, *, org=None, left_days_ago: int, name: str = "Former Staff"):  # type: ignore[no-untyped-def]
    user = make.user(org=org, name=name)
    user.is_active_account = False
    user.deactivated_at = now_utc() - timedelta(days=left_days_ago)
    db.session.commit()
    return user


@pytest.fixture
def leavers(make):  # type: ignore[no-untyped-def]
    org = make.org()  # 24 months
    short = make.org()
    short.retention_months = 6
    short.keep_certificate_names = False
    db.session.commit()
    return {
        "past": leaver(make, org=org, left_days_ago=760),
        "within": leaver(make, org=org, left_days_ago=700),
        "short_past": leaver(make, org=short, left_days_ago=200),
        "no_org_past": leaver(make, left_days_ago=760),
        "active": make.user(org=org),
    }


def test_dry_run_lists_and_changes_nothing(runner, leavers):
    result = runner.invoke(args=["users", "anonymise", "--dry-run"])
    assert result.exit_code == 0, result.output
    expected = sorted(leavers[k].id for k in ("past", "short_past", "no_org_past"))
    assert f"would anonymise 3 account(s): user ids {', '.join(map(str, expected))}" in result.output
    assert db.session.scalars(select(User).where(User.anonymised_at.is_not(None))).all() == []


def test_only_leavers_past_retention_are_anonymised_and_a_second_run_does_nothing(runner, leavers):
    result = runner.invoke(args=["users", "anonymise"])
    assert result.exit_code == 0 and "anonymised 3 account(s)" in result.output
    for key, user in leavers.items():
        db.session.refresh(user)
        assert (user.anonymised_at is not None) == (key in ("past", "short_past", "no_org_past")), key
    assert leavers["past"].display_name == "Deleted user" and leavers["within"].display_name == "Former Staff"
    again = runner.invoke(args=["users", "anonymise"])
    assert again.exit_code == 0 and "anonymised 0 account(s)" in again.output
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.anonymised")).all()
    assert len(events) == 3 and all(event.actor_id is None for event in events)


def test_anonymised_leavers_certificates_follow_the_organisations_rule(make):
    org = make.org()
    org.retention_months, org.keep_certificate_names = 6, False
    db.session.commit()
    certificate = make.passed_assessment(user=make.user(org=org, name="Old Teacher"))
    certificate.user.is_active_account = False
    certificate.user.deactivated_at = now_utc() - timedelta(days=400)
    db.session.commit()
    assert service.anonymise_leavers() == [certificate.user.id]
    db.session.refresh(certificate)
    assert certificate.learner_name == NAME_REMOVED


def test_a_manager_deactivating_a_leaver_starts_the_clock(make):
    user = make.user(org=make.org())
    user.is_active_account = False
    db.session.commit()
    assert user.deactivated_at is not None
    assert service.list_leavers_past_retention() == []
    assert service.list_leavers_past_retention(now=now_utc() + timedelta(days=24 * 31)) == [user]


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2026, 3, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), 24, datetime(2024, 1, 15, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
    (datetime(2028, 3, 30, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
])
def test_months_before(moment, months, expected):
    assert _months_before(moment, months) == expected
