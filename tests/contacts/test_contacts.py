"""Our safeguarding contacts: managers keep them; the organisation's learners see them on the Worried page and
at the end of every course; nobody else does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.contacts import service as contacts
from elearn.contacts.service import ContactInput, add_contact
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import AuditEvent, SafeguardingContact


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(SafeguardingContact)) or 0


@pytest.mark.parametrize(("data", "field"), [
    (ContactInput("dsl", "", "01632 960 101"), "name"),
    (ContactInput("dsl", "x" * 121, "01632 960 101"), "name"),
    (ContactInput("boss", "Dee", "01632 960 101"), "role"),
    (ContactInput("dsl", "Dee"), "phone"),  # neither phone nor email
    (ContactInput("dsl", "Dee", "call me"), "phone"),
    (ContactInput("dsl", "Dee", "12"), "phone"),
    (ContactInput("dsl", "Dee", "0" * 16), "phone"),
    (ContactInput("dsl", "Dee", "01632 960101; DROP"), "phone"),
    (ContactInput("dsl", "Dee", "+44 (0)1632 960 101 ext 12345678"), "phone"),
    (ContactInput("dsl", "Dee", "", "not-an-email"), "email"),
    (ContactInput("dsl", "Dee", "", "dee@localhost"), "email"),
    (ContactInput("dsl", "Dee", "", "dee@school.sch.uk\r\nBcc: x@evil.example"), "email"),
    (ContactInput("dsl", "Dee", "", "a" * 250 + "@x.uk"), "email"),
    (ContactInput("dsl", "Dee", "101", "", "n" * 501), "notes"),
])
def test_a_contact_is_refused_with_a_message_on_the_right_field(cast, data, field):
    with pytest.raises(InvalidInput) as error:
        add_contact(cast.org_a, data, actor=cast.manager_a)
    assert error.value.field == field
    assert _count() == 0


@pytest.mark.parametrize("phone", ["101", "999", "0800 1111", "01632 960 101", "+44 1632 960101",
                                   "+44 (0)20 7946 0000", "020-7946-0000", "01632 960101 ext 12"])
def test_real_phone_numbers_are_accepted(cast, phone):
    assert add_contact(cast.org_a, ContactInput("police", "Police", phone), actor=cast.manager_a).phone == phone


def test_contacts_are_listed_leads_first_and_audited(cast):
    add_contact(cast.org_a, ContactInput("police", "Police", "101"), actor=cast.manager_a)
    add_contact(cast.org_a, ContactInput("deputy", "Tom Deputy", "01632 960 102"), actor=cast.manager_a)
    add_contact(cast.org_a, ContactInput("dsl", "Dee Lead", "", "dsl@alder.sch.uk"), actor=cast.manager_a)
    assert [c.name for c in contacts.list_contacts(cast.org_a.id)] == ["Dee Lead", "Tom Deputy", "Police"]
    assert contacts.list_contacts(cast.org_b.id) == []
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "contact.added")) == 3


def test_a_manager_adds_edits_and_removes_a_contact_through_the_pages(client, cast, sign_in):
    sign_in(cast.manager_a)
    response = client.post("/manage/contacts", data={"role": "dsl", "name": "Dee Lead", "phone": "01632 960 101",
                                                     "email": "dsl@alder.sch.uk", "notes": "Room 4"})
    assert response.status_code == 302
    [contact] = contacts.list_contacts(cast.org_a.id)
    assert client.get("/manage/contacts").get_data(as_text=True).count("Dee Lead") >= 1
    response = client.post(f"/manage/contacts/{contact.id}/edit", data={"role": "dsl", "name": "Dee Lead-Smith",
                                                                         "phone": "01632 960 109", "email": "", "notes": ""})
    assert response.status_code == 302
    db.session.refresh(contact)
    assert (contact.name, contact.phone, contact.email) == ("Dee Lead-Smith", "01632 960 109", None)
    assert client.post(f"/manage/contacts/{contact.id}/delete").status_code == 302
    assert _count() == 0


def test_an_invalid_contact_form_is_shown_again_with_the_error(client, cast, sign_in):
    sign_in(cast.manager_a)
    response = client.post("/manage/contacts", data={"role": "dsl", "name": "Dee", "phone": "call me"})
    assert response.status_code == 422
    assert "Enter a phone number like" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_manager_cannot_reach_another_organisations_contact(client, cast, sign_in):
    contact = add_contact(cast.org_a, ContactInput("dsl", "Dee Lead", "101"), actor=cast.manager_a)
    sign_in(cast.manager_b)
    assert client.get(f"/manage/contacts/{contact.id}/edit").status_code == 404
    assert client.post(f"/manage/contacts/{contact.id}/edit", data={"role": "dsl", "name": "Hacked",
                                                                     "phone": "101"}).status_code == 404
    assert client.post(f"/manage/contacts/{contact.id}/delete").status_code == 404
    assert "Dee Lead" not in client.get("/manage/contacts").get_data(as_text=True)
    db.session.refresh(contact)
    assert contact.name == "Dee Lead" and _count() == 1


def test_learners_cannot_manage_contacts(client, cast, sign_in):
    sign_in(cast.learner_a)
    assert client.get("/manage/contacts").status_code == 403
    assert client.post("/manage/contacts", data={"role": "dsl", "name": "X", "phone": "101"}).status_code == 403


def test_the_worried_page_shows_the_learners_own_organisations_contacts(client, cast, sign_in):
    add_contact(cast.org_a, ContactInput("dsl", "Dee <b>Lead</b>", "01632 960 101", "dsl@alder.sch.uk"),
                actor=cast.manager_a)
    add_contact(cast.org_b, ContactInput("dsl", "Bob Birch", "01632 960 555"), actor=cast.manager_b)
    sign_in(cast.learner_a)
    page = client.get("/worried-about-a-child").get_data(as_text=True)
    assert "Your organisation's safeguarding contacts" in page
    assert "Dee &lt;b&gt;Lead&lt;/b&gt;" in page and "01632 960 101" in page and "Bob Birch" not in page
    assert page.index("Your organisation's safeguarding contacts") < page.index("NSPCC")  # above the national text


def test_the_worried_page_stays_public_and_generic(client, cast, sign_in):
    add_contact(cast.org_a, ContactInput("dsl", "Dee Lead", "101"), actor=cast.manager_a)
    page = client.get("/worried-about-a-child")
    assert page.status_code == 200
    assert "Dee Lead" not in page.get_data(as_text=True)
    assert "Your organisation's safeguarding contacts" not in page.get_data(as_text=True)


def test_the_last_lesson_of_a_course_shows_the_contacts(client, cast, course, make, sign_in):
    add_contact(cast.org_a, ContactInput("dsl", "Dee Lead", "101"), actor=cast.manager_a)
    enrolment = make.enrolment(user=cast.learner_a, course=course)
    last = len(learning.list_lessons(enrolment))
    sign_in(cast.learner_a)
    assert "Dee Lead" not in client.get(f"/courses/{course.slug}/lessons/1").get_data(as_text=True)
    page = client.get(f"/courses/{course.slug}/lessons/{last}").get_data(as_text=True)
    assert "Your organisation's safeguarding contacts" in page and "Dee Lead" in page
    assert page.index("Dee Lead") < page.index('class="lesson-body"')
