"""Hostile and repeated requests: each is refused (400/404/409 or the same result), never a 500, and changes nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from elearn.assessment import service
from elearn.assessment.kinds import spec_for
from elearn.extensions import db
from elearn.models import Attempt, AttemptAnswer, AttemptQuestion, AuditEvent, Certificate, Enrolment
from tests.assessment.helpers import attempt_id_from, form_data, right, sheet
from tests.conftest import ON_POSTGRES


def snapshot() -> tuple[Any, ...]:
    """Everything an assessment request could change, to compare before and after."""
    db.session.expire_all()

    def rows(*columns):  # type: ignore[no-untyped-def]
        return sorted(tuple(row) for row in db.session.execute(select(*columns)))

    return (
        rows(Attempt.id, Attempt.number, Attempt.submitted_at, Attempt.score_percent, Attempt.passed),
        rows(AttemptQuestion.id, AttemptQuestion.question_id, AttemptQuestion.position, AttemptQuestion.answered_at,
             AttemptQuestion.mark),
        rows(AttemptAnswer.attempt_question_id, AttemptAnswer.option_id),
        rows(Certificate.id, Certificate.attempt_id),
        rows(Enrolment.id, Enrolment.passed_at),
    )


@pytest.fixture
def attempt(client, make, login_as) -> Attempt:  # type: ignore[no-untyped-def]
    """An open attempt of a logged-in learner, with question 1 answered."""
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    response = client.post("/courses/sample-course/assessment/start")
    started = db.session.get_one(Attempt, attempt_id_from(response.location))
    client.post(f"/attempts/{started.id}/questions/1", data={"answer-1": "1"})
    return started


def foreign_option_id(attempt: Attempt, position: int) -> int:
    """The database id of an option of another question of the same attempt, too large to be a shown position.

    Answers are posted as the option's shown position (1, 2, 3 …), so a small id would be a valid
    answer by coincidence: take the largest, and check it is out of the question's range.
    """
    rows = list(db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)))
    shown = next(row for row in rows if row.position == position)
    foreign = max(option_id for row in rows if row.position != position for option_id in row.option_order)
    assert foreign > len(shown.option_order)
    return foreign


BAD_VALUES = ["abc", "-1", "0", "1e309", "1 OR 1=1", "", " 1", "1.0", "٢", "99", "1000000000000000000000"]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_an_option_that_is_not_a_number_on_the_page_is_refused(client, attempt, value):
    before = snapshot()
    for path in (f"/attempts/{attempt.id}/questions/1", f"/attempts/{attempt.id}/all"):
        response = client.post(path, data={"answer-1": value})
        assert response.status_code == 400, (path, value)
        assert "There is a problem" in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_database_id_of_another_questions_option_is_refused(client, attempt):
    before = snapshot()
    response = client.post(f"/attempts/{attempt.id}/questions/1", data={"answer-1": str(foreign_option_id(attempt, 1))})
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("field", ["answer-5", "answer-0", "answer-01", "answer-x", "answer-", "answer-2"])
def test_an_answer_naming_a_question_not_on_the_page_is_refused(client, attempt, field):
    """Question 2 exists but is not on the page of question 1; the others are not in the attempt at all."""
    before = snapshot()
    response = client.post(f"/attempts/{attempt.id}/questions/1", data={field: "1", "answer-1": "2"})
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("field", ["answer-5", "answer-99"])
def test_the_one_page_view_refuses_a_question_not_in_the_attempt(client, attempt, field):
    before = snapshot()
    assert client.post(f"/attempts/{attempt.id}/all", data={field: "1", **form_data({2: [1]})}).status_code == 400
    assert snapshot() == before


def test_two_options_for_a_single_answer_question_are_refused(client, attempt):
    rows = db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id))
    single = next(row for row in rows if not spec_for(row.question.kind).selects_many)
    before = snapshot()
    response = client.post(f"/attempts/{attempt.id}/questions/{single.position}",
                           data={f"answer-{single.position}": ["1", "2"]})
    assert response.status_code == 400
    assert snapshot() == before


def test_the_same_option_twice_is_refused(client, attempt):
    before = snapshot()
    assert client.post(f"/attempts/{attempt.id}/questions/1", data={"answer-1": ["1", "1"]}).status_code == 400
    assert snapshot() == before


def test_a_question_position_outside_the_attempt_is_not_found(client, attempt):
    before = snapshot()
    for position in (0, 5, 999):
        assert client.get(f"/attempts/{attempt.id}/questions/{position}").status_code == 404
        assert client.post(f"/attempts/{attempt.id}/questions/{position}", data={"answer-1": "1"}).status_code == 404
    assert snapshot() == before


def test_thousands_of_fields_are_refused_without_an_error_page(client, attempt):
    before = snapshot()
    response = client.post(f"/attempts/{attempt.id}/all", data={f"answer-{n}": "1" for n in range(1, 10_001)})
    assert response.status_code in (400, 413)
    assert snapshot() == before


def attempt_routes(attempt_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/attempts/{attempt_id}"),
        ("GET", f"/attempts/{attempt_id}/questions/1"),
        ("POST", f"/attempts/{attempt_id}/questions/1"),
        ("GET", f"/attempts/{attempt_id}/all"),
        ("POST", f"/attempts/{attempt_id}/all"),
        ("GET", f"/attempts/{attempt_id}/confirm"),
        ("POST", f"/attempts/{attempt_id}/submit"),
        ("GET", f"/attempts/{attempt_id}/result"),
    ]


def test_another_learners_attempt_is_not_found_on_every_route(client, make, login_as, attempt):
    client.post(f"/attempts/{attempt.id}/submit")  # submitted: its result exists, and still is not shown
    client.post("/logout")
    login_as(make.user())
    before = snapshot()
    for method, path in attempt_routes(attempt.id):
        response = client.open(path, method=method, data={"answer-1": "1"})
        assert response.status_code == 404, (method, path)
    assert snapshot() == before


def test_another_learners_open_attempt_is_not_found_and_cannot_be_answered(client, make, login_as, attempt):
    client.post("/logout")
    login_as(make.user())
    before = snapshot()
    for method, path in attempt_routes(attempt.id):
        assert client.open(path, method=method, data={"answer-1": "2"}).status_code == 404, (method, path)
    assert snapshot() == before


def test_an_attempt_id_that_does_not_exist_is_not_found(client, attempt):
    before = snapshot()
    for method, path in attempt_routes(attempt.id + 1000):
        assert client.open(path, method=method).status_code == 404, (method, path)
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_log_in(client, attempt):
    client.post("/logout")
    for method, path in attempt_routes(attempt.id) + [("GET", "/courses/sample-course/assessment"),
                                                      ("POST", "/courses/sample-course/assessment/start")]:
        assert client.open(path, method=method).status_code == 302, (method, path)


def test_a_posted_score_or_pass_flag_is_ignored(client, attempt):
    response = client.post(f"/attempts/{attempt.id}/submit",
                           data={"score": "100", "score_percent": "100", "passed": "1", "correct_answers": ["1", "2"]})
    assert response.status_code == 302
    stored = db.session.get_one(Attempt, attempt.id)
    assert stored.passed is False and stored.score_percent <= 25
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_a_posted_score_on_an_answer_page_is_ignored(client, attempt):
    client.post(f"/attempts/{attempt.id}/all", data={"score": "100", "passed": "1", "go": "confirm"})
    stored = db.session.get_one(Attempt, attempt.id)
    assert stored.submitted_at is None and stored.score_percent is None and stored.passed is None


def test_a_replayed_submission_redirects_to_the_one_result(client, attempt):
    client.post(f"/attempts/{attempt.id}/all", data=form_data(sheet(attempt, right)))
    first = client.post(f"/attempts/{attempt.id}/submit")
    after_first = snapshot()
    replay = client.post(f"/attempts/{attempt.id}/submit")
    assert first.location == replay.location == f"/attempts/{attempt.id}/result"
    assert snapshot() == after_first
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "assessment.submitted")) == 1
    assert "already been submitted" in client.get(replay.location).get_data(as_text=True)


def test_answers_posted_after_submission_change_nothing(client, attempt):
    client.post(f"/attempts/{attempt.id}/submit")
    before = snapshot()
    for path in (f"/attempts/{attempt.id}/questions/1", f"/attempts/{attempt.id}/all"):
        response = client.post(path, data=form_data(sheet(attempt, right)))
        assert response.location == f"/attempts/{attempt.id}/result"
    assert snapshot() == before


# --- concurrency (PostgreSQL: real row locks across connections) -----------------------------


def run_together(app, workers: list[Callable[[], Any]]) -> list[Any]:  # type: ignore[no-untyped-def]
    """Run each worker in its own thread, app context and database connection, released at the same instant."""
    barrier = threading.Barrier(len(workers))
    outcomes: list[Any] = [None] * len(workers)

    def run(index: int, work: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait()
                outcomes[index] = work()
            except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.remove()
    db.engine.dispose()  # close the extra pooled connections the threads opened, before they are garbage
    return outcomes


def submitter(attempt_id: int, user_id: int) -> Callable[[], Any]:
    def work() -> Any:
        from elearn.models import User

        attempt = db.session.get_one(Attempt, attempt_id)
        return service.submit_attempt(attempt, actor=db.session.get_one(User, user_id)).id

    return work


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: TEST_DATABASE_URL=postgresql://…")
def test_ten_concurrent_submissions_produce_exactly_one_result(app, make, monkeypatch):
    enrolment = make.enrolment(lessons_done="all")
    attempt = service.start_attempt(enrolment, actor=enrolment.user)
    service.save_answers(attempt, sheet(attempt, right), actor=enrolment.user)
    attempt_id, user_id = attempt.id, enrolment.user.id
    db.session.commit()
    db.session.remove()

    real_mark = service._mark

    def slow_mark(attempt):  # type: ignore[no-untyped-def]
        # Hold the claimed row while the other submissions arrive, so they truly overlap.
        result = real_mark(attempt)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(service, "_mark", slow_mark)
    outcomes = run_together(app, [submitter(attempt_id, user_id) for _ in range(10)])

    assert outcomes.count(attempt_id) == 1, outcomes
    assert all(isinstance(o, service.AttemptAlreadySubmitted) for o in outcomes if o != attempt_id), outcomes
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "assessment.submitted")) == 1
    stored = db.session.get_one(Attempt, attempt_id)
    assert stored.passed is True and stored.enrolment.passed_at == stored.submitted_at


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: TEST_DATABASE_URL=postgresql://…")
def test_two_concurrent_submissions_through_the_web_give_one_result(app, make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = service.start_attempt(enrolment, actor=enrolment.user)
    service.save_answers(attempt, sheet(attempt, right), actor=enrolment.user)
    attempt_id = attempt.id
    clients = []
    for _ in range(2):
        client = app.test_client()
        client.post("/login", data={"email": enrolment.user.email, "password": make.PASSWORD})
        clients.append(client)
    db.session.remove()
    responses = run_together(app, [lambda c=c: c.post(f"/attempts/{attempt_id}/submit") for c in clients])
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.location for r in responses} == {f"/attempts/{attempt_id}/result"}
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: TEST_DATABASE_URL=postgresql://…")
def test_concurrent_starts_make_one_open_attempt(app, make):
    enrolment = make.enrolment(lessons_done="all")
    enrolment_id, user_id = enrolment.id, enrolment.user.id
    db.session.remove()

    def starter() -> Any:
        from elearn.models import User

        return service.start_attempt(db.session.get_one(Enrolment, enrolment_id),
                                     actor=db.session.get_one(User, user_id)).id

    outcomes = run_together(app, [starter for _ in range(8)])
    assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int), outcomes
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    assert db.session.scalar(select(func.count()).select_from(AttemptQuestion)) == 4


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: TEST_DATABASE_URL=postgresql://…")
def test_answers_saved_while_submitting_are_either_marked_or_refused(app, make, monkeypatch):
    """A save racing a submit: either it lands before marking (and counts) or it is refused after."""
    enrolment = make.enrolment(lessons_done="all")
    attempt = service.start_attempt(enrolment, actor=enrolment.user)
    answers = sheet(attempt, right)
    attempt_id, user_id = attempt.id, enrolment.user.id
    db.session.remove()

    def saver() -> Any:
        from elearn.models import User

        service.save_answers(db.session.get_one(Attempt, attempt_id), answers,
                             actor=db.session.get_one(User, user_id))
        return "saved"

    outcomes = run_together(app, [saver, submitter(attempt_id, user_id)])
    stored = db.session.get_one(Attempt, attempt_id)
    answered = db.session.scalar(select(func.count()).select_from(AttemptAnswer)) or 0
    if outcomes[0] == "saved":
        assert stored.passed is (answered > 0)
    else:
        assert isinstance(outcomes[0], service.AttemptAlreadySubmitted) and answered == 0
        assert stored.passed is False
