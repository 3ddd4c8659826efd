"""`flask text check`: one line per stored value that breaks its text rule, exit 1; else a summary, exit 0."""

from __future__ import annotations

from sqlalchemy import select

from elearn.contacts.service import ContactInput, add_contact
from elearn.extensions import db
from elearn.models import Invitation
from elearn.people.invitations import invite_person
from elearn.people.service import create_group


def _world(make, cast):  # type: ignore[no-untyped-def]
    """The cast, with a certificate, an invitation, a group and a contact in organisation A: all clean."""
    org, manager, learner = cast.org_a, cast.manager_a, cast.learner_a
    certificate = make.certificate(user=learner)
    invite_person(org, "Ivy Invitee", "ivy@alder.sch.uk", group_id=None, actor=manager)
    group = create_group(org, "Teaching staff", actor=manager)
    contact = add_contact(org, ContactInput("dsl", "Dee Lead", "01632 960 123", notes="Room 4\nOut of hours: 101"),
                          actor=manager)
    return org, learner, certificate, group, contact


def test_clean_rows_pass_with_a_summary_and_exit_0(runner, make, cast):
    _world(make, cast)
    result = runner.invoke(args=["text", "check"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "in 8 tables: all follow the text rules" in result.stdout


def test_each_offending_value_is_one_line_and_the_exit_is_1(runner, make, cast):
    org, learner, certificate, group, contact = _world(make, cast)
    invitation = db.session.scalars(select(Invitation)).one()
    # Rows written before the rules (or by hand): the command reports them and changes none.
    learner.display_name = "An\u200bn Learner"
    learner.email = "Ann.Learner@Alder.example"
    certificate.learner_name = "Ann \u202erenraeL"
    invitation.display_name = "Ivy\u0007 Invitee"
    org.name = "E\u0301cole Alder"  # E + combining acute: NFC makes it É
    group.name = "Teaching  staff"
    contact.notes = "x" * 501
    db.session.commit()

    result = runner.invoke(args=["text", "check"])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"users:{learner.id}: display_name: invisible character U+200B",
        f"users:{learner.id}: email: not lower-case",
        f"invitations:{invitation.id}: display_name: control character U+0007",
        f"certificates:{certificate.id}: learner_name: text-direction character U+202E",
        f"organisations:{org.id}: name: not in Unicode NFC",
        f"groups:{group.id}: name: spaces or line breaks not as the rule stores them",
        f"safeguarding_contacts:{contact.id}: notes: longer than 500 characters (501)",
        "7 stored value(s) break the text rules",
    ]
    db.session.refresh(learner)
    assert learner.display_name == "An\u200bn Learner"
