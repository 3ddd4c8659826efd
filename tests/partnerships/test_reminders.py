"""Reminders to the settings that have not returned the year's training section: a confirmation page, then one
email to each of their managers and their DSL through the outbox, at most once a week per setting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from elearn.errors import Conflict
from elearn.extensions import db
from elearn.models import AuditEvent, OutboxEmail, PartnershipReminder
from elearn.partnerships import service
from tests.partnerships.conftest import TODAY, YEAR
from tests.partnerships.makers import SECRET_NAMES


def _queued() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.to_address)))


def test_the_confirmation_page_lists_the_outstanding_settings_and_sends_nothing(client, sign_in, network):
    sign_in(network.viewer)
    page = client.get("/partnership/reminders").get_data(as_text=True)
    assert "Hazel School" in page and "Oak Primary 1" not in page
    assert "hazel.example" not in page and SECRET_NAMES[0] not in page  # no address, no name
    assert _queued() == []


def test_a_reminder_goes_to_the_managers_and_dsl_of_each_outstanding_setting(client, sign_in, network, outbox):
    sign_in(network.viewer)
    response = client.post("/partnership/reminders", data={})
    assert response.status_code == 302
    emails = _queued()
    assert [e.to_address for e in emails] == ["dsl@hazel.example", "head@hazel.example"]
    assert all(e.sent_at is not None for e in emails)  # delivered by the job queue (inline without a broker)
    bodies = [message.get_content() for message in outbox]
    assert len(bodies) == 2 and all("Hazel School" in b and "2026/27" in b and "Riverside" in b for b in bodies)
    link = f"/returns/{network.settings['Hazel School'].id}/{YEAR}"
    assert all(link in b for b in bodies)  # the returns feature's page where the DSL reviews and signs it
    reminder = db.session.scalars(select(PartnershipReminder)).one()
    assert (reminder.organisation_id, reminder.academic_year, reminder.recipients) == (
        network.settings["Hazel School"].id, YEAR, 2)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "partnership.reminders_sent")).one()
    assert event.details["setting_ids"] == [network.settings["Hazel School"].id]
    assert "Last reminded" in client.get("/partnership/").get_data(as_text=True)


def test_a_second_click_the_same_week_sends_nothing_more(client, sign_in, network):
    sign_in(network.viewer)
    client.post("/partnership/reminders", data={})
    client.post("/partnership/reminders", data={})
    assert len(_queued()) == 2
    assert db.session.scalar(select(func.count()).select_from(PartnershipReminder)) == 1
    assert "Already reminded this week" in client.get("/partnership/reminders").get_data(as_text=True)


def test_next_week_the_setting_can_be_reminded_again(network, monkeypatch):
    service.send_reminders(network.partnership, YEAR, actor=network.viewer)
    assert service.send_reminders(network.partnership, YEAR, actor=network.viewer).sent == 0
    monkeypatch.setattr(service, "london_today", lambda: TODAY + timedelta(days=7))
    assert service.send_reminders(network.partnership, YEAR, actor=network.viewer).sent == 1
    assert len(_queued()) == 4


def test_two_clicks_at_the_same_moment_send_one_reminder(network, monkeypatch):
    stale = service.plan_reminders(network.partnership, YEAR)  # both requests planned before either committed
    service.send_reminders(network.partnership, YEAR, actor=network.viewer)
    monkeypatch.setattr(service, "plan_reminders", lambda *args, **kwargs: stale)
    with pytest.raises(Conflict):
        service.send_reminders(network.partnership, YEAR, actor=network.viewer)
    assert len(_queued()) == 2
    assert db.session.scalar(select(func.count()).select_from(PartnershipReminder)) == 1


def test_a_setting_with_nobody_to_write_to_is_named_and_not_recorded_as_reminded(network):
    from elearn.models import MemberDuty, User

    hazel = network.settings["Hazel School"]
    db.session.execute(MemberDuty.__table__.delete())
    network.school_manager.is_active_account = False
    db.session.commit()
    plan = service.plan_reminders(network.partnership, YEAR)
    assert plan.drafts == [] and [s.name for s in plan.nobody_to_write_to] == ["Hazel School"]
    assert service.send_reminders(network.partnership, YEAR, actor=network.viewer).sent == 0
    assert db.session.scalar(select(func.count()).select_from(PartnershipReminder)) == 0
    assert db.session.get(User, network.school_manager.id).organisation_id == hazel.id


def test_the_returned_settings_are_never_reminded(network):
    plan = service.plan_reminders(network.partnership, YEAR)
    assert [d.name for d in plan.drafts] == ["Hazel School"]


def test_the_reminders_emails_are_queued_in_one_statement_however_many_there_are(network, count_queries):
    with count_queries() as counter:
        service.send_reminders(network.partnership, YEAR, actor=network.viewer)
    inserts = [s for s in counter.statements if s.lstrip().upper().startswith("INSERT INTO OUTBOX_EMAILS")]
    assert len(_queued()) == 2 and len(inserts) == 1, counter.statements


def test_a_dsl_who_has_left_the_setting_is_not_sent_its_reminder(client, sign_in, network, make):
    """Their duty row stays (the audit's history), but the duty is held only while they work there
    (access.settings_with_duty), as everywhere else."""
    from datetime import date

    from elearn.models import Duty, MemberDuty

    hazel = network.settings["Hazel School"]
    gone = make.user(name="Former Lead", email="former@elsewhere.example", org=make.org(name="Elsewhere School"))
    db.session.add(MemberDuty(user_id=gone.id, organisation_id=hazel.id, duty=Duty.DSL, since=date(2024, 9, 1)))
    db.session.commit()
    sign_in(network.viewer)
    assert client.post("/partnership/reminders", data={}).status_code == 302
    assert [e.to_address for e in _queued()] == ["dsl@hazel.example", "head@hazel.example"]
