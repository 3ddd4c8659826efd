"""The audit log: filters, pagination, London times, bounded queries; and `flask audit prune`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from elearn.admin import service
from elearn.admin.service import AuditFilter
from elearn.audit import record_event
from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import AuditEvent


def add_event(action: str, *, at: datetime, actor=None, subject=None, organisation_id=None) -> AuditEvent:  # type: ignore[no-untyped-def]
    event = record_event(action, actor=actor, subject=subject, organisation_id=organisation_id)
    event.at = at
    db.session.commit()
    return event


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.fixture
def scene(cast):  # type: ignore[no-untyped-def]
    """A few events on known dates, by and about the cast's admin, Ann (org A) and Bea (org B); no others."""
    ann, bea, admin = cast.learner_a, cast.learner_b, cast.admin
    db.session.execute(AuditEvent.__table__.delete())  # forget the sign-ups
    db.session.commit()
    day = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    add_event("login.succeeded", at=day, actor=ann, subject=ann)
    add_event("login.failed", at=day + timedelta(days=1), subject=bea)
    add_event("role.changed", at=day + timedelta(days=2), actor=admin, subject=bea, organisation_id=cast.org_b.id)
    add_event("certificate.downloaded", at=day + timedelta(days=3), actor=admin, subject=ann,
              organisation_id=cast.org_a.id)


def actions(filters: AuditFilter, actor) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.event.action for row in service.list_audit_events(filters, 1, actor=actor).items]


def test_events_come_newest_first(scene, cast):
    assert actions(AuditFilter(), cast.admin) == ["certificate.downloaded", "role.changed", "login.failed",
                                                  "login.succeeded"]


@pytest.mark.parametrize(("filters", "expected"), [
    ({"action": "login."}, ["login.failed", "login.succeeded"]),
    ({"action": "ROLE.changed"}, ["role.changed"]),
    ({"action": "login_"}, []),  # the underscore is not a wildcard
    ({"person": "ann.learner@"}, ["certificate.downloaded", "login.succeeded"]),
    ({"person": "ada.admin"}, ["certificate.downloaded", "role.changed"]),  # as actor
    ({"person": "BIRCH.EXAMPLE"}, ["role.changed", "login.failed"]),  # as subject
    ({"date_from": date(2026, 7, 2), "date_to": date(2026, 7, 3)}, ["role.changed", "login.failed"]),
    ({"date_to": date(2026, 7, 1)}, ["login.succeeded"]),
])
def test_filters(scene, cast, filters, expected):
    assert actions(AuditFilter(**filters), cast.admin) == expected


def test_filter_by_organisation(scene, cast):
    assert actions(AuditFilter(organisation_id=cast.org_b.id), cast.admin) == ["role.changed", "login.failed"]


def test_dates_are_london_dates(make, cast):
    db.session.execute(AuditEvent.__table__.delete())
    db.session.commit()
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    add_event("late.night", at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    assert actions(AuditFilter(date_from=date(2026, 7, 2), date_to=date(2026, 7, 2)), cast.admin) == ["late.night"]
    assert actions(AuditFilter(date_to=date(2026, 7, 1)), cast.admin) == []


def test_the_page_shows_times_in_london_and_filters_from_the_query_string(client, scene, cast, sign_in):
    sign_in(cast.admin)
    page = client.get("/admin/audit", query_string={"person": "ada.admin@", "organisation": cast.org_b.id})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "role.changed" in text and "login.failed" not in text and "certificate.downloaded" not in text
    assert "3 July 2026, 13:00" in text  # 12:00 UTC in British Summer Time


def test_the_audit_log_is_paginated(client, make, cast, sign_in):
    sign_in(cast.admin)
    start = now_utc() - timedelta(days=1)
    for n in range(service.PER_PAGE * 2 + 10):
        add_event(f"bulk.event{n:03}", at=start + timedelta(minutes=n))
    first = client.get("/admin/audit", query_string={"action": "bulk."}).get_data(as_text=True)
    third = client.get("/admin/audit", query_string={"action": "bulk.", "page": 3}).get_data(as_text=True)
    assert "bulk.event109" in first and "bulk.event060" in first and "bulk.event059" not in first
    assert "action=bulk." in first and 'rel="next"' in first
    assert "bulk.event009" in third and "bulk.event010" not in third and 'rel="next"' not in third


def test_the_audit_page_runs_a_fixed_number_of_queries(client, make, cast, sign_in, count_queries):
    admin = sign_in(cast.admin)

    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/admin/audit").status_code == 200
        return counter.count

    few = queries()
    for n in range(40):
        person = make.user(org=make.org())
        add_event("some.event", at=now_utc(), actor=admin, subject=person, organisation_id=person.organisation_id)
    assert queries() == few


@pytest.mark.parametrize("args", [
    {"action": "' OR 1=1 --"}, {"person": "<script>alert(1)</script>"}, {"person": "%"},
    {"date_from": "2026-13-45"}, {"date_to": "yesterday"}, {"organisation": "1 OR 1=1"},
    {"organisation": "999999"}, {"page": "-1"}, {"action": "x" * 1000}, {"person": "a\x00b"}, {"action": "\x00"},
])
def test_hostile_filters_are_refused_or_escaped_never_a_500(client, scene, cast, sign_in, args):
    sign_in(cast.admin)
    before = audit_count()
    response = client.get("/admin/audit", query_string=args)
    assert response.status_code in (200, 400)
    text = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text
    assert audit_count() == before
    if args.get("person") == "%":
        assert "No audit events match" in text


def test_hostile_details_are_escaped(client, make, cast, sign_in):
    admin = sign_in(cast.admin)
    record_event("odd.event", actor=admin, target="<b>x</b>", note="<script>alert(1)</script>")
    db.session.commit()
    text = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text


# --- flask audit prune -------------------------------------------------------------------------


def test_prune_removes_only_old_rows(runner, make):
    db.session.execute(AuditEvent.__table__.delete())
    db.session.commit()
    add_event("old.one", at=now_utc() - timedelta(days=800))
    add_event("old.two", at=now_utc() - timedelta(days=731))
    add_event("recent", at=now_utc() - timedelta(days=700))
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0, result.output
    assert "removed 2 audit event(s) older than 730 days" in result.output
    left = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert left == ["recent", "audit.pruned"]


def test_prune_with_a_shorter_period(runner, make):
    db.session.execute(AuditEvent.__table__.delete())
    db.session.commit()
    add_event("forty.days", at=now_utc() - timedelta(days=40))
    add_event("ten.days", at=now_utc() - timedelta(days=10))
    result = runner.invoke(args=["audit", "prune", "--older-than-days", "30"])
    assert result.exit_code == 0 and "removed 1 " in result.output
    assert "ten.days" in db.session.scalars(select(AuditEvent.action)).all()


@pytest.mark.parametrize("days", ["29", "0", "-5"])
def test_prune_refuses_less_than_30_days(runner, make, days):
    add_event("recent", at=now_utc() - timedelta(days=1))
    before = audit_count()
    result = runner.invoke(args=["audit", "prune", "--older-than-days", days])
    assert result.exit_code == 1
    assert "error:" in result.output
    assert audit_count() == before
