"""The attempt policy (issue 14, items 3 and 7): what a failed attempt shows, the daily limit and a manager's
override, and the knowledge check named as what it is.

- Under `outcomes-on-fail` a failed result names the outcomes to revisit (critical first) with their lessons,
  and says nothing about any question: no verdict, no right answer, no feedback, no explanation.
- `max_attempts_per_day` is the one limit; a manager of the learner's organisation or an admin can allow one
  more attempt now (audited); nobody allows themselves one.
- The knowledge check is never "Attempt 0" and never promises answers "once you pass".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from elearn.assessment import allowances
from elearn.assessment.allowances import DailyLimit, daily_limit, grant_attempt
from elearn.assessment.review import LessonLink, OutcomeToRevisit, Shown, get_review, outcomes_to_revisit, shown_for
from elearn.assessment.service import save_answers, start_attempt, submit_attempt
from elearn.errors import Conflict, NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import Attempt, AttemptAllowance, AuditEvent, CourseVersion, Enrolment, ReviewPolicy
from elearn.privacy.service import export_personal_data
from tests.assessment.helpers import right, sheet, wrong
from tests.assessment.test_no_answer_leaks import MARKERS, QUESTIONS, write_marked_questions

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
LESSON_OUTCOMES = {"01-welcome.md": "[LO1, LO2]", "02-categories.md": "[LO1]", "03-next-steps.md": "[LO2]"}


def teach(folder: Path) -> Path:
    """Give the fixture course's lessons the outcomes they teach (LESSON_OUTCOMES)."""
    for name, outcomes in LESSON_OUTCOMES.items():
        path = folder / "lessons" / name
        path.write_text(path.read_text().replace("minutes: 5\n", f"minutes: 5\noutcomes: {outcomes}\n", 1))
    return folder


def policy_course(make, review: str, **options: object):  # type: ignore[no-untyped-def]
    """The marked course (every feedback and explanation carries a marker) with lessons that name their outcomes."""
    folder = teach(make.course_folder(options={"review": review, **options}))
    write_marked_questions(folder)
    return make.course(folder=folder)


def mark_critical(enrolment: Enrolment, key: str) -> None:
    """Declare one outcome critical on the enrolment's version, as a course.yaml blueprint would store it."""
    version = db.session.get_one(CourseVersion, enrolment.version_id)
    version.outcomes = [{**o, "critical": True, "critical_mark": 100} if o["id"] == key else o for o in version.outcomes]
    db.session.commit()


def sit(enrolment: Enrolment, pick) -> Attempt:  # type: ignore[no-untyped-def]
    attempt = start_attempt(enrolment, actor=enrolment.user)
    save_answers(attempt, sheet(attempt, pick), actor=enrolment.user)
    return submit_attempt(attempt, actor=enrolment.user)


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- what a result shows: the pure rules ------------------------------------------------------


@pytest.mark.parametrize(("policy", "passed", "shown"), [
    (ReviewPolicy.FULL, False, Shown.FULL),
    (ReviewPolicy.FULL, True, Shown.FULL),
    (ReviewPolicy.HIDE_CORRECT_ON_FAIL, False, Shown.VERDICTS),
    (ReviewPolicy.HIDE_CORRECT_ON_FAIL, True, Shown.FULL),
    (ReviewPolicy.OUTCOMES_ON_FAIL, False, Shown.OUTCOMES),
    (ReviewPolicy.OUTCOMES_ON_FAIL, True, Shown.FULL),
])
def test_what_a_result_shows_under_each_policy(policy, passed, shown):
    assert shown_for(policy, passed=passed) == shown


OUTCOMES = [{"id": "LO1", "text": "One"}, {"id": "LO2", "text": "Two"},
            {"id": "LO3", "text": "Three", "critical": True, "critical_mark": 100}, {"id": "LO4", "text": "Four"}]
LESSONS = [(1, "Welcome", ["LO1", "LO3"]), (2, "Duty", ["LO3"]), (3, "Routes", [])]


@pytest.mark.parametrize(("short", "expected"), [
    ([], []),  # nothing fell short
    (["LO2", "LO3"], ["LO3", "LO2"]),  # critical first
    (["LO4", "LO1"], ["LO1", "LO4"]),  # then in the course's order
    (["LO9"], []),  # an outcome the course no longer lists
])
def test_the_outcomes_to_revisit_are_listed_critical_first_then_in_course_order(short, expected):
    assert [o.key for o in outcomes_to_revisit(short, OUTCOMES, LESSONS)] == expected


def test_each_outcome_to_revisit_links_to_the_lessons_that_teach_it():
    revisit = outcomes_to_revisit(["LO3", "LO4"], OUTCOMES, LESSONS)
    assert revisit == (
        OutcomeToRevisit("LO3", "Three", True, (LessonLink(1, "Welcome"), LessonLink(2, "Duty"))),
        OutcomeToRevisit("LO4", "Four", False, ()),
    )


# --- what a result shows: the pages -----------------------------------------------------------


def fail_page(client, make, login_as, review: str, *, critical: str | None = None):  # type: ignore[no-untyped-def]
    enrolment = make.enrolment(course=policy_course(make, review), lessons_done="all")
    if critical:
        mark_critical(enrolment, critical)
    attempt = sit(enrolment, wrong)
    login_as(enrolment.user)
    response = client.get(f"/attempts/{attempt.id}/result")
    assert response.status_code == 200
    return attempt, response.get_data(as_text=True)


def test_a_failed_outcomes_on_fail_result_names_the_outcomes_and_their_lessons(client, make, login_as):
    _, page = fail_page(client, make, login_as, "outcomes-on-fail", critical="LO2")
    assert "not passed this time" in page and "Outcomes to revisit" in page
    # LO2 is critical, so it comes first and says so.
    assert page.index("Say who to tell about a concern.") < page.index("Name the four categories of abuse.")
    assert "<strong>Critical outcome:</strong> Say who to tell about a concern." in page
    assert "every critical outcome at its own mark" in page
    for position in (1, 2, 3):
        assert f'href="/courses/sample-course/lessons/{position}"' in page
    assert "Lesson 2: Categories of abuse" in page and "Lesson 3: What to do next" in page


def test_a_failed_outcomes_on_fail_result_says_nothing_about_any_question(client, make, login_as):
    attempt, page = fail_page(client, make, login_as, "outcomes-on-fail")
    for marker in MARKERS:  # no feedback, no explanation
        assert marker not in page, marker
    assert "ZQX" not in page
    for cue in ("Correct", "correct answer", "Not correct", "Partly correct", "your answer", "Your answers",
                "Question 1", "Stem of", "Explanation", "review-question"):
        assert cue not in page, cue
    option_texts = {text for _, _, kind, texts in QUESTIONS if kind != "true_false" for text in texts}
    assert not [text for text in option_texts if re.search(rf"\b{text}\b", page)]
    review = get_review(attempt, actor=attempt.user)
    assert review.shown == Shown.OUTCOMES and review.questions == () and not review.is_full


def test_a_failed_hide_correct_on_fail_result_keeps_its_verdicts_and_adds_the_outcomes(client, make, login_as):
    _, page = fail_page(client, make, login_as, "hide-correct-on-fail")
    assert "Outcomes to revisit" in page and "Not correct" in page and "The right answers are shown once you pass" in page
    for marker in MARKERS:
        assert marker not in page, marker


def test_a_failed_full_result_is_as_before_without_outcomes_to_revisit(client, make, login_as):
    _, page = fail_page(client, make, login_as, "full")
    assert "Outcomes to revisit" not in page and "(correct answer)" in page and "Explanation:" in page


def test_a_pass_under_outcomes_on_fail_shows_the_full_review(client, make, login_as):
    enrolment = make.enrolment(course=policy_course(make, "outcomes-on-fail"), lessons_done="all")
    attempt = sit(enrolment, right)
    login_as(enrolment.user)
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "you passed" in page and "(correct answer)" in page and "Outcomes to revisit" not in page
    assert get_review(attempt, actor=enrolment.user).shown == Shown.FULL


def test_a_failed_attempt_is_reviewed_in_full_once_the_course_is_passed(make):
    enrolment = make.enrolment(course=policy_course(make, "outcomes-on-fail"), lessons_done="all")
    failed = sit(enrolment, wrong)
    assert get_review(failed, actor=enrolment.user).shown == Shown.OUTCOMES
    sit(enrolment, right)
    db.session.refresh(enrolment)
    assert get_review(failed, actor=enrolment.user).shown == Shown.FULL


# --- the daily limit: the pure rule ------------------------------------------------------------

H = timedelta(hours=1)


@pytest.mark.parametrize(("limit", "starts", "allowance", "expected"), [
    (None, [NOW - H], True, DailyLimit(None, None, None, False)),
    (3, [], False, DailyLimit(3, 3, None, False)),
    (3, [NOW - 30 * H, NOW - 2 * H], False, DailyLimit(3, 2, None, False)),  # one start is older than 24 hours
    (2, [NOW - 5 * H, NOW - 2 * H], False, DailyLimit(2, 0, NOW + 19 * H, False)),  # the oldest frees first
    (2, [NOW - 5 * H, NOW - 2 * H], True, DailyLimit(2, 0, NOW + 19 * H, True)),
    (1, [NOW - 5 * H], True, DailyLimit(1, 0, NOW + 19 * H, True)),
    (2, [NOW - 5 * H], True, DailyLimit(2, 1, None, False)),  # below the limit an allowance waits, unused
    # An allowance used: three starts under a limit of two; one frees when only one is left in the window.
    (2, [NOW - 6 * H, NOW - 4 * H, NOW - 1 * H], False, DailyLimit(2, 0, NOW + 20 * H, False)),
])
def test_the_daily_limit(limit, starts, allowance, expected):
    assert daily_limit(limit, starts, now=NOW, has_allowance=allowance) == expected


# --- the daily limit and the manager's override -------------------------------------------------


@pytest.fixture
def at_limit(cast, make):  # type: ignore[no-untyped-def]
    """Learner A on a course allowing one attempt a day, which they used and failed."""
    enrolment = make.enrolment(user=cast.learner_a, course=make.course(options={"max_attempts_per_day": 1}),
                               lessons_done="all")
    sit(enrolment, wrong)
    with pytest.raises(NotAllowed):
        start_attempt(enrolment, actor=cast.learner_a)
    db.session.rollback()
    return enrolment


def test_a_managers_allowance_lets_the_learner_start_one_more_attempt(cast, at_limit):
    allowance = grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.manager_a)
    assert allowance.granted_by_id == cast.manager_a.id and allowance.used_at is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.attempt_allowed")).one()
    assert (event.actor_id, event.subject_user_id, event.organisation_id) == (cast.manager_a.id, cast.learner_a.id,
                                                                              cast.org_a.id)
    assert event.target == f"enrolment:{at_limit.id}"

    second = start_attempt(at_limit, actor=cast.learner_a)
    db.session.refresh(allowance)
    assert second.number == 2 and allowance.attempt_id == second.id and allowance.used_at is not None
    submit_attempt(second, actor=cast.learner_a)
    with pytest.raises(NotAllowed):  # one attempt, not the limit switched off
        start_attempt(at_limit, actor=cast.learner_a)


def test_an_allowance_is_not_used_while_the_limit_still_allows_a_start(cast, make):
    enrolment = make.enrolment(user=cast.learner_a, course=make.course(options={"max_attempts_per_day": 2}),
                               lessons_done="all")
    sit(enrolment, wrong)
    with pytest.raises(Conflict, match="not been reached"):
        grant_attempt(cast.org_a, cast.learner_a.id, enrolment.id, actor=cast.manager_a)
    sit(enrolment, wrong)
    grant_attempt(cast.org_a, cast.learner_a.id, enrolment.id, actor=cast.manager_a)
    assert allowances.daily_limits([enrolment])[enrolment.id].can_start


def test_an_admin_may_allow_another_attempt(cast, at_limit):
    grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.admin)
    assert count(AttemptAllowance) == 1


def test_a_second_allowance_waits_for_the_first_to_be_used(cast, at_limit):
    grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.manager_a)
    with pytest.raises(Conflict, match="already been allowed"):
        grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.admin)
    assert count(AttemptAllowance) == 1


def test_no_allowance_after_the_course_is_passed(cast, make):
    enrolment = make.enrolment(user=cast.learner_a, course=make.course(options={"max_attempts_per_day": 1}),
                               lessons_done="all")
    sit(enrolment, right)
    with pytest.raises(Conflict, match="passed"):
        grant_attempt(cast.org_a, cast.learner_a.id, enrolment.id, actor=cast.manager_a)


@pytest.mark.parametrize(("actor", "org", "refusal"), [
    ("manager_b", "org_b", NotFound),  # another organisation's learner is not found from B
    ("manager_b", "org_a", NotFound),  # nor by naming A: a manager manages only their own
    ("learner_a", "org_a", NotAllowed),  # nobody lifts their own limit
    ("second_learner_a", "org_a", NotFound),  # a fellow learner sees no one
])
def test_who_may_not_allow_another_attempt(cast, at_limit, actor, org, refusal):
    with pytest.raises(refusal):
        grant_attempt(getattr(cast, org), cast.learner_a.id, at_limit.id, actor=cast.persona(actor))
    db.session.rollback()
    assert count(AttemptAllowance) == 0


def test_a_manager_cannot_allow_an_attempt_for_a_fellow_manager_or_themselves(cast, make):
    for user in (cast.manager_a, make.two_factor_done(make.user(name="Mia Manager", role=cast.manager_a.role,
                                                                org=cast.org_a))):
        enrolment = make.enrolment(user=user, course=make.course(options={"max_attempts_per_day": 1}),
                                   lessons_done="all")
        sit(enrolment, wrong)
        with pytest.raises(NotAllowed):
            grant_attempt(cast.org_a, user.id, enrolment.id, actor=cast.manager_a)
        db.session.rollback()
    assert count(AttemptAllowance) == 0


def test_an_enrolment_of_someone_else_is_not_found_under_this_persons_address(cast, make, at_limit):
    with pytest.raises(NotFound):
        grant_attempt(cast.org_a, cast.second_learner_a.id, at_limit.id, actor=cast.manager_a)


def test_the_assessment_page_says_when_the_next_attempt_frees_and_who_can_allow_one(client, cast, at_limit, sign_in):
    sign_in(cast.learner_a)
    page = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "up to 1 are allowed in any 24 hours. You can try again from" in page
    assert "a manager of your organisation can allow you one more attempt" in page
    assert "Start the assessment" not in page
    grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.manager_a)
    page = client.get("/courses/sample-course/assessment").get_data(as_text=True)
    assert "you have been allowed one more attempt now" in page and "Start the assessment" in page
    assert client.post("/courses/sample-course/assessment/start").status_code == 302


# --- the knowledge check -----------------------------------------------------------------------


def test_the_knowledge_check_pages_never_call_it_an_attempt(client, make, sign_in):
    course = make.course(options={"precheck_questions": 2, "review": "hide-correct-on-fail"})
    enrolment = make.enrolment(user=make.user(), course=course)
    sign_in(enrolment.user)
    response = client.post("/courses/sample-course/knowledge-check")
    assert response.status_code == 302
    check = db.session.scalars(select(Attempt).where(Attempt.kind == "precheck")).one()
    pages = [client.get(f"/attempts/{check.id}/questions/1").get_data(as_text=True),
             client.get(f"/attempts/{check.id}/all").get_data(as_text=True),
             client.get(f"/attempts/{check.id}/confirm").get_data(as_text=True)]
    client.post(f"/attempts/{check.id}/submit")
    pages.append(client.get(f"/attempts/{check.id}/result").get_data(as_text=True))
    for page in pages:
        assert "Attempt 0" not in page and "attempt 0" not in page
        assert "Knowledge check" in page or "knowledge check" in page
        assert "once you pass" not in page and "– Assessment" not in page
    assert "does not count towards your certificate" in pages[2] and "does not count towards your certificate" in pages[3]
    assert "Knowledge check: 0 of 2 answered" in pages[0] and "<h1>Knowledge check: all questions</h1>" in pages[1]
    assert "before the course" in pages[3]


def test_a_learner_cannot_see_anothers_result(client, cast, make, sign_in):
    enrolment = make.enrolment(user=cast.learner_a, course=policy_course(make, "outcomes-on-fail"), lessons_done="all")
    attempt = sit(enrolment, wrong)
    sign_in(cast.learner_b)
    assert client.get(f"/attempts/{attempt.id}/result").status_code == 404
    sign_in(cast.manager_a)
    assert client.get(f"/attempts/{attempt.id}/result").status_code == 404



def test_the_learners_data_export_lists_the_allowance_but_not_who_granted_it(cast, at_limit):
    grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.manager_a)
    [entry] = export_personal_data(cast.learner_a, actor=cast.learner_a)["attempt_allowances"]
    assert entry["course"] == "Sample safeguarding refresher" and entry["used_at"] is None
    assert cast.manager_a.display_name not in str(entry)


def test_the_database_keeps_at_most_one_unused_allowance_per_enrolment(cast, at_limit):
    grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.manager_a)
    db.session.add(AttemptAllowance(enrolment_id=at_limit.id, granted_by_id=cast.admin.id))
    with pytest.raises(IntegrityError):  # two managers pressing the button at the same moment
        db.session.commit()
    db.session.rollback()
    start_attempt(at_limit, actor=cast.learner_a)  # once used, another may be granted
    grant_attempt(cast.org_a, cast.learner_a.id, at_limit.id, actor=cast.admin)
    assert count(AttemptAllowance) == 2
