"""The name rule holds through every form that accepts a person's name, and through the CSV import.

Each hostile name is refused beside its field with a message that names the character, and
nothing is written: no account, no invitation, no renamed learner, no re-issued certificate.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from elearn.extensions import db
from elearn.models import AuditEvent, Invitation, User
from elearn.people.invitations import invite_person
from elearn.people.service import create_group
from elearn.text_rules import PERSON_NAME_MAX

PASSWORD = "a long invitee passphrase"

# One name per forbidden class (and each bidirectional and invisible character), with what the
# message must say; then the over-long name the forms used to disagree about.
HOSTILE_NAMES = [
    pytest.param("Ali\u0007ce Able", "control character U+0007", id="C0 bell"),
    pytest.param("Ali\u0085ce Able", "control character U+0085", id="C1 next line"),
    *(pytest.param(f"Ali{ch}ce Able", f"text-direction character U+{ord(ch):04X}", id=f"bidi U+{ord(ch):04X}")
      for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    *(pytest.param(f"Ali{ch}ce Able", f"invisible character U+{ord(ch):04X}", id=f"invisible U+{ord(ch):04X}")
      for ch in "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c"),
    pytest.param("x" * (PERSON_NAME_MAX + 1), f"at most {PERSON_NAME_MAX} characters", id="too long"),
]


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _refused(response, message: str) -> None:  # type: ignore[no-untyped-def]
    body = response.get_data(as_text=True)
    assert response.status_code == 422, body
    assert "There is a problem" in body and message in body


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES)
def test_registration_refuses_the_name_and_creates_no_account(client, name, message):
    response = client.post("/register", data={"display_name": name, "email": "jane@example.org",
                                              "password": PASSWORD, "confirm": PASSWORD})
    _refused(response, message)
    assert _count(User) == 0


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES)
def test_an_invitation_refuses_the_name_and_sends_nothing(client, sign_in, cast, outbox, name, message):
    sign_in(cast.manager_a)
    response = client.post("/manage/people/invite", data={"display_name": name, "email": "ivy@alder.sch.uk"})
    _refused(response, message)
    assert _count(Invitation) == 0 and outbox == []


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES)
def test_accepting_an_invitation_refuses_the_name_and_creates_no_account(client, cast, outbox, name, message):
    invitation = invite_person(cast.org_a, "Ivy Invitee", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    token = outbox[-1].get_content().split("/invitations/")[1].split()[0]
    accounts = _count(User)
    response = client.post(f"/invitations/{token}", data={"display_name": name, "password": PASSWORD, "confirm": PASSWORD})
    _refused(response, message)
    db.session.refresh(invitation)
    assert _count(User) == accounts and invitation.accepted_at is None


@pytest.mark.parametrize("who", ["learner_a", "manager_a", "admin"])
@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES)
def test_a_name_correction_refuses_the_name_and_changes_nothing(client, sign_in, cast, who, name, message):
    sign_in(getattr(cast, who))
    url = {"learner_a": "/account/name", "manager_a": f"/manage/learners/{cast.learner_a.id}/name",
           "admin": f"/manage/learners/{cast.learner_a.id}/name?org={cast.org_a.id}"}[who]
    _refused(client.post(url, data={"display_name": name}), message)
    db.session.refresh(cast.learner_a)
    assert cast.learner_a.display_name == "Ann Learner"
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "account.name_corrected")) == 0


@pytest.mark.parametrize(("name", "message"), HOSTILE_NAMES)
def test_the_csv_import_refuses_the_row_with_the_reason_and_invites_nobody(client, sign_in, cast, outbox, name, message):
    sign_in(cast.manager_a)
    content = f"name,email\n{name},ivy@alder.sch.uk\n".encode()
    response = client.post("/manage/people/import", data={"file": (io.BytesIO(content), "staff.csv")},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "0 invited, 1 not imported" in body and message in body
    assert _count(Invitation) == 0 and outbox == []


def test_registration_stores_the_name_in_nfc_with_single_spaces(client, outbox):
    client.post("/register", data={"display_name": "Renee Able", "email": "renee@example.org"})
    link = "/register/" + outbox[-1].get_content().split("/register/")[1].split()[0]
    response = client.post(link, data={"display_name": "  Rene\u0301e \t Able ", "password": PASSWORD,
                                       "confirm": PASSWORD})
    assert response.status_code == 302
    assert db.session.scalars(select(User.display_name)).one() == "Ren\u00e9e Able"


def test_the_csv_import_stores_names_in_nfc_and_emails_lower_case(client, sign_in, cast, outbox):
    sign_in(cast.manager_a)
    content = "name,email\nRene\u0301e  Able, Renee@Alder.SCH.uk\n".encode()
    client.post("/manage/people/import", data={"file": (io.BytesIO(content), "staff.csv")},
                content_type="multipart/form-data")
    invitation = db.session.scalars(select(Invitation)).one()
    assert (invitation.display_name, invitation.email) == ("Ren\u00e9e Able", "renee@alder.sch.uk")


def test_the_csv_import_finds_a_group_whatever_the_unicode_form_of_its_name(client, sign_in, cast, outbox):
    group = create_group(cast.org_a, "\u00c9quipe enseignante", actor=cast.manager_a)
    sign_in(cast.manager_a)
    content = "name,email,group\nIvy Invitee,ivy@alder.sch.uk,E\u0301quipe  enseignante\n".encode()
    client.post("/manage/people/import", data={"file": (io.BytesIO(content), "staff.csv")},
                content_type="multipart/form-data")
    assert db.session.scalars(select(Invitation.group_id)).one() == group.id
