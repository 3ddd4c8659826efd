"""Views compose pages: no template (and no context processor) issues a database query.

Every GET route in app.url_map is requested by each persona, with its URL arguments naming objects
that persona may reach. While a page is being rendered (from the template context being built until
the template has rendered), any SQL statement on the engine is a failure, reported with the template
and the statement. A lazy-loaded relationship used in a template counts: the view's service must load
it, or pass plain values.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, before_render_template, request_started, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import event, select

from elearn.assessment import service as assessment
from elearn.auth import service as auth
from elearn.auth.registration import request_registration
from elearn.auth.sessions import start_session
from elearn.auth.views import PENDING_KEY
from elearn.clock import london_today
from elearn.contacts import service as contacts
from elearn.evidence import service as evidence
from elearn.extensions import db
from elearn.jobs import exports as export_jobs
from elearn.models import Certificate, ContactRole, OrganisationKind, Role, SignoffKind, User
from elearn.people import service as manage
from elearn.people.invitations import invite_person
from elearn.returns import service as returns
from elearn.returns.measures import AcademicYear
from elearn.signoffs import service as signoffs
from elearn.training.sessions import SessionInput, record_session
from elearn.uploads import Upload
from tests.assessment.helpers import right, sheet
from tests.conftest import Cast
from tests.makers import Makers
from tests.partnerships.makers import join
from tests.updates.helpers import add_currency

# Routes that answer with a file, JSON or a redirect, never an HTML page.
NOT_PAGES = {
    "static", "pages.favicon", "pages.healthz", "pages.readyz", "privacy.export_data", "certificates.download",
    "compliance.export_csv", "compliance.export_pdf", "compliance.export_zip", "evidence_manage.gain_course_csv",
    "compliance.export_download", "compliance.person_record",
    "assessment.resume", "learning.resume",
    "sso.start", "sso.callback",  # redirects to and from Microsoft or Google (tests/sso runs them against a provider)
    "training.download_register", "signoffs.export_csv", "signoffs.export_grid_csv",
    "signoffs_learner.download_pdf",
    "returns.export", "returns.schema", "returns.trust_export",
    "partnerships.export_returns", "partnerships.returns_schema", "partnerships.export_figures",
    "partnerships.figures_schema",
}
PERSONAS = ("anonymous", "learner", "learner_open", "manager", "admin", "trust_lead", "partnership")


@dataclass
class TemplateQueries:
    """The statements issued while a page was being rendered, as (template, statement)."""

    rendering: str | None = None
    seen: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def template_queries(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[TemplateQueries]:
    """Record every SQL statement issued from a template or a context processor."""
    queries = TemplateQueries()
    build_context = app.update_template_context

    def building(context: dict[str, Any]) -> None:
        # Context processors run here, before before_render_template is sent: they count as the template.
        queries.rendering = "(context processors)"
        build_context(context)

    def started(sender: Flask, **extra: Any) -> None:
        queries.rendering = None  # a template that raised never sent template_rendered

    def rendered(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        queries.rendering = None

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if queries.rendering is not None:
            queries.seen.append((queries.rendering, " ".join(statement.split())[:300]))

    def naming(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        queries.rendering = template.name

    monkeypatch.setattr(app, "update_template_context", building)
    event.listen(db.engine, "before_cursor_execute", before)
    with request_started.connected_to(started, app), before_render_template.connected_to(naming, app), \
            template_rendered.connected_to(rendered, app):
        yield queries
    event.remove(db.engine, "before_cursor_execute", before)


@dataclass
class World:
    users: dict[str, User | None]
    values: dict[str, dict[str, object]]  # persona -> URL argument -> value
    org_id: int


def _token(outbox: list, marker: str) -> str:
    return str(outbox[-1].get_content().split(marker)[1].split()[0])


@pytest.fixture
def world(make: Makers, cast: Cast, outbox: list) -> World:
    """On the cast: a course with a knowledge check; learner_a did everything (and holds a certificate about to
    expire, from version 1, so version 2's "what changed" update is offered); second_learner_a is part-way through
    the assessment; manager_a; the platform admin."""
    folder = make.course_folder(options={"precheck_questions": 2})
    course = make.course(folder=folder)
    org, manager, admin, learner = cast.org_a, cast.manager_a, cast.admin, cast.learner_a
    enrolment = make.enrolment(user=learner, course=course, lessons_done="all")
    precheck = evidence.start_precheck(enrolment, actor=learner)
    assessment.save_answers(precheck, sheet(precheck, right), actor=learner)
    assessment.submit_attempt(precheck, actor=learner)
    evidence.record_confidence(enrolment, "before", {"LO1": 2}, actor=learner)
    attempt = assessment.start_attempt(enrolment, actor=learner)
    assessment.save_answers(attempt, sheet(attempt, right), actor=learner)
    assessment.submit_attempt(attempt, actor=learner)
    evidence.record_confidence(enrolment, "after", {"LO1": 4}, actor=learner)
    evidence.submit_evaluation(enrolment, 4, 5, "Clear.", actor=learner)
    certificate = db.session.scalars(select(Certificate).where(Certificate.user_id == learner.id)).one()
    certificate.expires_on = london_today() + timedelta(days=10)  # a refresher is offered
    db.session.commit()
    learner_open = cast.second_learner_a
    open_attempt = assessment.start_attempt(make.enrolment(user=learner_open, course=course, lessons_done="all"),
                                            actor=learner_open)
    add_currency(folder)  # version 2, with an update for learner_a
    make.course(folder=folder)
    assignment = make.assignment(user=learner, course=course, due_in_days=30)
    make.assignment(user=learner_open, course=course, due_in_days=-3)  # overdue: the reminder page has someone
    group = manage.create_group(org, "Teaching staff", actor=manager)
    rule = manage.save_new_starter_rule(org, course.id, 30, actor=manager)
    contact = contacts.add_contact(org, contacts.ContactInput(role=ContactRole.DSL.value, name="Dee Lead",
                                                              phone="01632 960000"), actor=manager)
    invitation = invite_person(org, "Ivy Invitee", "ivy@alder.sch.uk", group_id=group.id, actor=manager)
    invitation_token = _token(outbox, "/invitations/")
    session = record_session(org, SessionInput("INSET", "Dee Lead", london_today(), Decimal(2), [course.id], True,
                                               london_today() + timedelta(days=365)),
                             user_ids=[learner.id], group_ids=[group.id], register=None, actor=manager)
    document = signoffs.publish_document(org, SignoffKind.POLICY, "Child protection policy", signoffs.DocumentInput(
        "v1", pdf=Upload(b"%PDF-1.4", "application/pdf", "policy.pdf")), actor=manager)
    signoffs.assign_document(org, document.id, london_today() + timedelta(days=14), actor=manager)
    export = export_jobs.start_export(org, "csv", actor=manager)
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)  # org_a is one of its schools
    org.trust_id = trust.id
    db.session.commit()
    trust_lead = make.two_factor_done(make.user(role=Role.MANAGER, org=trust))
    year = AcademicYear.containing(london_today())
    signed = returns.sign_return(org, year, {}, returns.draft_return(org, year).digest, actor=manager)
    shared = {"export_id": export.id, "slug": course.slug, "position": 1, "stage": "before", "code": certificate.code,
              "course_id": course.id, "version_id": enrolment.version_id, "org_id": org.id, "contact_id": contact.id,
              "certificate_id": certificate.id, "user_id": learner.id, "attempt_id": attempt.id,
              "token": invitation_token, "reset_email": learner_open.email, "name": "microsoft",
              "assignment_id": assignment.id, "invitation_id": invitation.id, "group_id": group.id,
              "rule_id": rule.id,
              "training_session_id": session.id,
              "document_id": document.id, "signoff_version_id": signoffs.current_version(document).id,
              "setting_id": org.id, "year": signed.academic_year, "version": signed.version,
              "file": "measures.csv", "table": "training-return-measures", "fmt": "csv"}
    values = {persona: dict(shared) for persona in PERSONAS}
    values["learner_open"].update(attempt_id=open_attempt.id, user_id=learner_open.id)
    partnership = make.org(name="Riverside Safeguarding Partnership", kind=OrganisationKind.PARTNERSHIP)
    officer = make.two_factor_done(make.user(name="Pat Partnership", role=Role.MANAGER, org=partnership))
    join(partnership, org)  # the partnership's pages list org's signed return
    return World({"anonymous": None, "learner": learner, "learner_open": learner_open, "manager": manager,
                  "admin": admin, "trust_lead": trust_lead, "partnership": officer}, values, org.id)


def _get_routes(app: Flask) -> list[Any]:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in (rule.methods or set()) and rule.endpoint != "static"), key=lambda r: r.rule)


def _url(app: Flask, rule: Any, values: dict[str, object], outbox: list) -> str:
    arguments = {name: values[name] for name in rule.arguments}
    if rule.endpoint == "auth.reset_password":  # a fresh token each time: a reset page may spend it
        auth.request_password_reset(str(values["reset_email"]))
        arguments["token"] = _token(outbox, "/reset-password/")
    if rule.endpoint == "auth.finish_registration":  # a link to finish creating an account for a new address
        request_registration("Nia New", "nia.new@example.org")
        arguments["token"] = _token(outbox, "/register/")
    return app.url_map.bind("localhost").build(rule.endpoint, arguments)


def _sign_in(client: FlaskClient, user: User | None, *, password_step_done_by: User) -> None:
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = start_session(user, user_agent=None, ip=None).key
            session["_fresh"] = True
        else:  # for the second step of signing in: someone has given their password
            session[PENDING_KEY] = {"user": password_step_done_by.id, "at": int(time.time())}


def test_no_page_issues_a_query_from_its_template(app, client, world, template_queries, outbox):
    rendered: set[str] = set()
    failures: list[str] = []
    for persona in PERSONAS:
        user = world.users[persona]
        for rule in _get_routes(app):
            missing = set(rule.arguments) - set(world.values[persona])
            assert not missing, f"{rule.rule}: give {missing} a value in the world fixture"
            url = _url(app, rule, world.values[persona], outbox)
            if persona == "admin" and url.startswith("/manage"):
                url += f"?org={world.org_id}"
            _sign_in(client, user, password_step_done_by=world.users["manager"])  # type: ignore[arg-type]
            template_queries.seen.clear()
            response = client.get(url)
            assert response.status_code < 500, f"{persona} GET {url} → {response.status_code}"
            if response.status_code == 200 and response.mimetype == "text/html":
                rendered.add(rule.endpoint)
                # A title is what a screen reader announces first and what a tab shows: words, never markup.
                title = response.get_data(as_text=True).split("<title>", 1)[-1].split("</title>", 1)[0]
                if "<" in title or not title.strip():
                    failures.append(f"{persona} GET {url} → its <title> is not plain text: {title[:80]!r}")
            failures.extend(f"{persona} GET {url} → {template}: {statement}"
                            for template, statement in template_queries.seen)
    assert not failures, "queries issued while rendering, or titles broken:\n" + "\n".join(failures)
    assert NOT_PAGES <= set(app.view_functions), "a renamed route is still listed in NOT_PAGES"
    pages = {rule.endpoint for rule in _get_routes(app)} - NOT_PAGES
    assert pages - rendered == set(), "pages no persona could open: give them data in the world fixture"
