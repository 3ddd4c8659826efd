"""My learning shows a designated safeguarding lead the way to the audit's training section (/returns), manager or
not: a link per setting where they hold Duty.DSL and work now, within My learning's statement budget. A deputy
does not sign the return (returns.service.may_sign: the DSL or a manager), so a deputy gets no link."""

from __future__ import annotations

from datetime import date, timedelta

from elearn.clock import london_today
from elearn.extensions import db
from elearn.models import Duty, MemberKind, Placement
from elearn.returns import service
from elearn.returns.measures import AcademicYear
from tests.test_learner_page_budgets import MY_LEARNING_BUDGET

LINK = "Safeguarding audit for"


def _review_url(setting_id: int) -> str:
    return f"/returns/{setting_id}/{AcademicYear.containing(london_today()).starts}"


def test_a_dsl_who_is_not_a_manager_finds_the_audit_on_my_learning_and_may_open_it(client, school, sign_in):
    dee = school.person("Dee Lead")
    school.duty(dee, Duty.DSL)
    sign_in(dee)
    page = client.get("/my-learning").get_data(as_text=True)
    assert f"{LINK} Alder Primary" in page
    assert f'href="{_review_url(school.alder.id)}"' in page
    assert "Birch Academy" not in page
    assert client.get(_review_url(school.alder.id)).status_code == 200


def test_a_deputy_gets_no_link_as_a_deputy_may_not_sign(client, school, sign_in):
    deputy = school.person("Dan Deputy")
    school.duty(deputy, Duty.DEPUTY_DSL)
    assert not service.may_sign(deputy, school.alder)
    sign_in(deputy)
    assert LINK not in client.get("/my-learning").get_data(as_text=True)
    assert client.get(_review_url(school.alder.id)).status_code == 404


def test_a_learner_gets_no_link(client, school, sign_in):
    sign_in(school.person("Lee Learner"))
    assert LINK not in client.get("/my-learning").get_data(as_text=True)


def test_a_dsl_on_a_current_placement_gets_the_link_and_none_once_the_placement_has_ended(client, school,
                                                                                          sign_in):
    visitor = school.person("Vi Visiting", home=school.birch)
    placement = Placement(user_id=visitor.id, organisation_id=school.alder.id, kind=MemberKind.PERIPATETIC,
                          started_on=date(2024, 9, 1))
    db.session.add(placement)
    school.duty(visitor, Duty.DSL)  # the DSL at Alder, on a placement there
    sign_in(visitor)
    assert f"{LINK} Alder Primary" in client.get("/my-learning").get_data(as_text=True)
    placement.ended_on = london_today() - timedelta(days=1)
    db.session.commit()
    assert LINK not in client.get("/my-learning").get_data(as_text=True)


def test_the_link_costs_no_statement(client, school, sign_in, count_queries):
    dee = school.person("Dee Lead")
    school.duty(dee, Duty.DSL)
    sign_in(dee)
    client.get("/my-learning")
    with count_queries() as counter:
        assert LINK in client.get("/my-learning").get_data(as_text=True)
    assert counter.count <= MY_LEARNING_BUDGET, counter.statements
