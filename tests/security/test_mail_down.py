"""With the mail server down, pages that send email answer normally and the email goes once it is back (issue 16
item 9: inviting and changing an email answered 500 after saving, and the "your email was changed" warning was lost)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from elearn import mail
from elearn.extensions import db
from elearn.jobs.tasks import sweep_outbox
from elearn.models import Invitation, OutboxEmail


@pytest.fixture
def smtp_down(monkeypatch):  # type: ignore[no-untyped-def]
    def refuse(message):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(mail, "_transmit", refuse)
    return monkeypatch


def back_up_and_sweep(smtp_down) -> None:  # type: ignore[no-untyped-def]
    smtp_down.undo()
    db.session.execute(update(OutboxEmail).values(next_attempt_at=OutboxEmail.created_at))  # back-off over
    db.session.commit()
    sweep_outbox()


def test_inviting_while_mail_is_down_answers_normally_and_the_invitation_goes_later(
        client, cast, login_as, outbox, smtp_down):
    login_as(cast.manager_a)
    response = client.post("/manage/people/invite", data={"display_name": "Ivy Invitee", "email": "ivy@alder.sch.uk"})
    assert response.status_code == 302
    assert db.session.scalar(select(Invitation.email)) == "ivy@alder.sch.uk"
    assert outbox == []
    back_up_and_sweep(smtp_down)
    assert [m["To"] for m in outbox] == ["ivy@alder.sch.uk"]


def test_changing_an_email_while_mail_is_down_keeps_the_warning_to_the_old_address(
        client, make, login_as, outbox, smtp_down):
    user = login_as(make.user(email="old@example.org"))
    response = client.post("/account/email", data={"current_password": make.PASSWORD, "email": "new@example.org"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "new@example.org"
    back_up_and_sweep(smtp_down)
    assert [m["To"] for m in outbox] == ["old@example.org"]
