"""The email and free-text rules hold in every service that stores an address or free text, and each
limit is one constant that the form, the service and the column share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

import pytest
from sqlalchemy import func, select
from wtforms.validators import Length

from elearn.admin import service as admin
from elearn.admin.forms import OrganisationForm
from elearn.auth.forms import ChangeEmailForm, RegisterForm
from elearn.auth.service import change_email, register_user
from elearn.certificates import names
from elearn.certificates import service as certificates
from elearn.certificates.forms import RevokeForm
from elearn.contacts.forms import ContactForm
from elearn.contacts.service import ContactInput, add_contact
from elearn.errors import InvalidInput
from elearn.evidence import service as evidence
from elearn.evidence.forms import EvaluationForm
from elearn.extensions import db
from elearn.forms import NameCorrectionForm
from elearn.models import (
    Certificate,
    CourseEvaluation,
    Enrolment,
    ExternalTraining,
    Group,
    Invitation,
    Organisation,
    SafeguardingContact,
    User,
)
from elearn.people import service as manage
from elearn.people.forms import AcceptInvitationForm, GroupForm, InviteForm
from elearn.people.invitations import invite_person
from elearn.text_rules import (
    CONTACT_NAME_MAX,
    CONTACT_NOTES_MAX,
    EMAIL_MAX,
    EVALUATION_COMMENT_MAX,
    GROUP_NAME_MAX,
    ORGANISATION_NAME_MAX,
    PERSON_NAME_MAX,
    PHONE_MAX,
    REVOKE_REASON_MAX,
    TRAINING_NOTE_MAX,
    TRAINING_PROVIDER_MAX,
    TRAINING_TITLE_MAX,
)
from elearn.training.forms import ExternalTrainingForm
from elearn.training.service import ExternalInput, record_external
from tests.makers import Makers

# One character of each forbidden class.
HOSTILE = [pytest.param(ch, id=f"U+{ord(ch):04X}") for ch in "\u0007\u0085\u202e\u2067\u200b\ufeff\u200f"]


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@dataclass(frozen=True)
class Store:
    """A service that stores one field; `rows` is what must not change when it refuses."""

    field: str
    call: Callable[..., object]
    rows: Callable[..., object]


def _email_stores(cast, make: Makers) -> dict[str, Store]:  # type: ignore[no-untyped-def]
    return {
        "registration": Store("email", lambda v: register_user("Jane Smith", v, Makers.PASSWORD), lambda: _count(User)),
        "email change": Store("email", lambda v: change_email(cast.learner_a, Makers.PASSWORD, v),
                              lambda: db.session.scalars(select(User.email)).all()),
        "invitation": Store("email", lambda v: invite_person(cast.org_a, "Ivy", v, group_id=None, actor=cast.manager_a),
                            lambda: _count(Invitation)),
        "contact": Store("email", lambda v: add_contact(cast.org_a, ContactInput("dsl", "Dee", "", v), actor=cast.manager_a),
                         lambda: _count(SafeguardingContact)),
    }


@pytest.mark.parametrize("ch", HOSTILE)
@pytest.mark.parametrize("store", ["registration", "email change", "invitation", "contact"])
def test_every_service_that_stores_an_email_refuses_a_forbidden_character(cast, make, store, ch):
    target = _email_stores(cast, make)[store]
    before = target.rows()
    with pytest.raises(InvalidInput) as refused:
        target.call(f"ivy{ch}@alder.sch.uk")
    assert refused.value.field == "email" and "Remove the" in refused.value.message
    db.session.rollback()
    assert target.rows() == before


@pytest.mark.parametrize("store", ["registration", "invitation", "contact"])
def test_every_service_that_stores_an_email_stores_it_normalised(cast, make, store):
    _email_stores(cast, make)[store].call("  Ivy.Invitee@Alder.SCH.uk ")
    stored = {*db.session.scalars(select(User.email)), *db.session.scalars(select(Invitation.email)),
              *db.session.scalars(select(SafeguardingContact.email))}
    assert "ivy.invitee@alder.sch.uk" in stored and not any(e and e != e.strip().lower() for e in stored)


def _text_stores(cast, make: Makers) -> dict[str, Store]:  # type: ignore[no-untyped-def]
    def contact(**fields: str) -> object:
        return add_contact(cast.org_a, ContactInput(**{"role": "dsl", "name": "Dee", "phone": "101", **fields}),
                           actor=cast.manager_a)

    def training(**fields: object) -> object:
        values: dict[str, object] = {"course_id": None, "title": "Safeguarding", "provider": "County",
                                     "completed_on": date(2026, 1, 5), "expires_on": None, **fields}
        return record_external(cast.org_a, cast.learner_a.id, ExternalInput(**values), actor=cast.manager_a)  # type: ignore[arg-type]

    @cache
    def certificate() -> Certificate:  # made when first needed: most stores do not need one
        return make.certificate(user=cast.learner_a)

    def revoke(reason: str) -> object:
        return certificates.revoke_certificate(certificate().id, reason, actor=cast.admin)

    def evaluate(comment: str) -> object:
        enrolment = db.session.get_one(Enrolment, certificate().enrolment_id)
        return evidence.submit_evaluation(enrolment, 4, 4, comment, actor=cast.learner_a)

    return {
        "group name": Store("name", lambda v: manage.create_group(cast.org_a, v, actor=cast.manager_a), lambda: _count(Group)),
        "new organisation": Store("name", lambda v: admin.create_organisation(v, 24, True, actor=cast.admin),
                                  lambda: _count(Organisation)),
        "organisation rename": Store("name", lambda v: admin.update_organisation(cast.org_a, v, 24, True, actor=cast.admin),
                                     lambda: db.session.scalars(select(Organisation.name)).all()),
        "contact name": Store("name", lambda v: contact(name=v), lambda: _count(SafeguardingContact)),
        "contact phone": Store("phone", lambda v: contact(phone=v), lambda: _count(SafeguardingContact)),
        "contact notes": Store("notes", lambda v: contact(notes=v), lambda: _count(SafeguardingContact)),
        "training title": Store("title", lambda v: training(title=v), lambda: _count(ExternalTraining)),
        "training provider": Store("provider", lambda v: training(provider=v), lambda: _count(ExternalTraining)),
        "training note": Store("note", lambda v: training(note=v), lambda: _count(ExternalTraining)),
        "revoke reason": Store("reason", revoke, lambda: certificate().revoked_at),
        "evaluation comment": Store("comment", evaluate, lambda: (certificate(), _count(CourseEvaluation))),
    }


TEXT_STORES = ["group name", "new organisation", "organisation rename", "contact name", "contact phone",
               "contact notes", "training title", "training provider", "training note", "revoke reason",
               "evaluation comment"]


@pytest.mark.parametrize("ch", HOSTILE)
@pytest.mark.parametrize("store", TEXT_STORES)
def test_every_service_that_stores_free_text_refuses_a_forbidden_character(cast, make, store, ch):
    target = _text_stores(cast, make)[store]
    before = target.rows()
    with pytest.raises(InvalidInput) as refused:
        target.call(f"0800 {ch}028 0285" if store == "contact phone" else f"Safe{ch}guarding")
    assert refused.value.field == target.field and "Remove the" in refused.value.message
    db.session.rollback()
    assert target.rows() == before


@pytest.mark.parametrize(("store", "column"), [
    ("contact notes", SafeguardingContact.notes),
    ("training note", ExternalTraining.note),
    ("evaluation comment", CourseEvaluation.comment),
])
def test_notes_keep_their_line_breaks_as_newlines(cast, make, store, column):
    target = _text_stores(cast, make)[store]
    target.rows()
    target.call("Out of hours:\r\n- call the duty number\r\n- then email")
    assert db.session.scalar(select(column)) == "Out of hours:\n- call the duty number\n- then email"


# --- one constant per limit -----------------------------------------------------------------------

LIMITS = [
    # form, its field, the column (None for Text), the constant, the service that checks it (a name in _*_stores)
    (RegisterForm, "display_name", User.display_name, PERSON_NAME_MAX, None),
    (InviteForm, "display_name", Invitation.display_name, PERSON_NAME_MAX, None),
    (AcceptInvitationForm, "display_name", User.display_name, PERSON_NAME_MAX, None),
    (NameCorrectionForm, "display_name", Certificate.learner_name, PERSON_NAME_MAX, None),
    (RegisterForm, "email", User.email, EMAIL_MAX, "registration"),
    (ChangeEmailForm, "email", User.email, EMAIL_MAX, "email change"),
    (InviteForm, "email", Invitation.email, EMAIL_MAX, "invitation"),
    (ContactForm, "email", SafeguardingContact.email, EMAIL_MAX, "contact"),
    (GroupForm, "name", Group.name, GROUP_NAME_MAX, "group name"),
    (OrganisationForm, "name", Organisation.name, ORGANISATION_NAME_MAX, "new organisation"),
    (ContactForm, "name", SafeguardingContact.name, CONTACT_NAME_MAX, "contact name"),
    (ContactForm, "phone", SafeguardingContact.phone, PHONE_MAX, "contact phone"),
    (ContactForm, "notes", None, CONTACT_NOTES_MAX, "contact notes"),
    (ExternalTrainingForm, "title", ExternalTraining.title, TRAINING_TITLE_MAX, "training title"),
    (ExternalTrainingForm, "provider", ExternalTraining.provider, TRAINING_PROVIDER_MAX, "training provider"),
    (ExternalTrainingForm, "note", None, TRAINING_NOTE_MAX, "training note"),
    (RevokeForm, "reason", None, REVOKE_REASON_MAX, "revoke reason"),
    (EvaluationForm, "comment", None, EVALUATION_COMMENT_MAX, "evaluation comment"),
]


def _of_length(n: int, store: str | None) -> str:
    if store in ("registration", "email change", "invitation", "contact"):
        return "a" * (n - len("@alder.sch.uk")) + "@alder.sch.uk"
    return "1" * n if store == "contact phone" else "x" * n


@pytest.mark.parametrize(("form", "field", "column", "limit", "store"), LIMITS,
                         ids=[f"{form.__name__}.{field}" for form, field, *_ in LIMITS])
def test_the_form_the_service_and_the_column_share_one_limit(app, cast, make, form, field, column, limit, store):
    with app.test_request_context():
        lengths = [v.max for v in getattr(form(), field).validators if isinstance(v, Length)]
    assert lengths == [limit]
    if column is not None:
        assert column.type.length == limit
    if store is None:  # a person's name: clean_person_name through the services, checked below
        return
    target = {**_email_stores(cast, make), **_text_stores(cast, make)}[store]
    target.rows()  # anything the store needs first
    with pytest.raises(InvalidInput) as refused:
        target.call(_of_length(limit + 1, store))
    assert refused.value.field == target.field and f"at most {limit} characters" in refused.value.message


@pytest.mark.parametrize("call", [
    lambda cast: register_user("x" * (PERSON_NAME_MAX + 1), "jane@example.org", Makers.PASSWORD),
    lambda cast: invite_person(cast.org_a, "x" * (PERSON_NAME_MAX + 1), "ivy@alder.sch.uk", group_id=None,
                               actor=cast.manager_a),
    lambda cast: names.correct_name(cast.learner_a, "x" * (PERSON_NAME_MAX + 1), actor=cast.learner_a),
], ids=["registration", "invitation", "name correction"])
def test_every_service_that_stores_a_name_refuses_one_over_the_name_limit(cast, call):
    with pytest.raises(InvalidInput) as refused:
        call(cast)
    assert refused.value.field == "display_name" and f"at most {PERSON_NAME_MAX} characters" in refused.value.message
