"""The assessment rules, called directly: draw, limits, saving, marking once, certificates, review."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from elearn.assessment import attempts, service
from elearn.assessment.kinds import spec_for
from elearn.assessment.review import AttemptStillOpen, get_review
from elearn.assessment.service import (
    AttemptAlreadySubmitted,
    save_answers,
    start_attempt,
    submit_attempt,
)
from elearn.errors import Conflict, InvalidInput, NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import Attempt, AttemptAnswer, AttemptQuestion, Certificate, Option, Question
from tests.assessment.helpers import right, sheet, wrong


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def drawn(attempt: Attempt) -> list[AttemptQuestion]:
    return list(db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                                   .order_by(AttemptQuestion.position)))


def answer_and_submit(attempt: Attempt, answers: dict[int, list[int]]) -> Attempt:
    save_answers(attempt, answers, actor=attempt.user)
    return submit_attempt(attempt, actor=attempt.user)


def edit_questions(folder, old: str, new: str) -> None:  # type: ignore[no-untyped-def]
    path = folder / "questions.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# --- the draw --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_an_attempt_draws_questions_per_attempt_testing_every_outcome(make, seed):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user, rng=random.Random(seed))
    rows = drawn(attempt)
    assert [row.position for row in rows] == [1, 2, 3, 4]
    assert len({row.question_id for row in rows}) == 4
    assert Counter(row.question.outcome for row in rows) == {"LO1": 2, "LO2": 2}


def test_each_drawn_question_keeps_all_its_options_in_a_frozen_shuffled_order(make):
    enrolment = make.enrolment(lessons_done="all")
    orders = set()
    for seed in range(10):
        attempt = start_attempt(enrolment, actor=enrolment.user, rng=random.Random(seed))
        for row in drawn(attempt):
            option_ids = set(db.session.scalars(select(Option.id).where(Option.question_id == row.question_id)))
            assert sorted(row.option_order) == sorted(option_ids)
            orders.add((row.question_id, tuple(row.option_order)))
        submit_attempt(attempt, actor=enrolment.user)
    shuffled = {question_id for question_id, order in orders if list(order) != sorted(order)}
    assert shuffled, "no option order was ever shuffled"


def test_a_new_attempt_is_a_fresh_draw_avoiding_the_last_attempts_questions(make):
    enrolment = make.enrolment(lessons_done="all")
    first = start_attempt(enrolment, actor=enrolment.user, rng=random.Random(1))
    submit_attempt(first, actor=enrolment.user)
    second = start_attempt(enrolment, actor=enrolment.user, rng=random.Random(1))
    before = {row.question_id for row in drawn(first)}
    after = {row.question_id for row in drawn(second)}
    bank = set(db.session.scalars(select(Question.id)))
    assert bank - before <= after  # both questions left out last time are in
    assert second.number == 2


def test_a_second_start_while_one_is_open_returns_the_open_attempt(make):
    enrolment = make.enrolment(lessons_done="all")
    first = start_attempt(enrolment, actor=enrolment.user)
    assert start_attempt(enrolment, actor=enrolment.user).id == first.id
    assert count(Attempt) == 1 and count(AttemptQuestion) == 4


def test_starting_needs_every_lesson_complete(make):
    enrolment = make.enrolment(lessons_done=2)
    with pytest.raises(NotAllowed, match="completed every lesson"):
        start_attempt(enrolment, actor=enrolment.user)
    assert count(Attempt) == 0


def test_a_learner_cannot_start_an_attempt_on_someone_elses_enrolment(make):
    enrolment = make.enrolment(lessons_done="all")
    with pytest.raises(NotFound):
        start_attempt(enrolment, actor=make.user())
    assert count(Attempt) == 0


def test_a_learner_who_has_passed_cannot_start_again(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, right))
    with pytest.raises(Conflict, match="already passed"):
        start_attempt(enrolment, actor=enrolment.user)


def test_the_daily_limit_counts_attempts_started_in_the_last_24_hours(make):
    enrolment = make.enrolment(course=make.course(options={"max_attempts_per_day": 2}), lessons_done="all")
    for _ in range(2):
        submit_attempt(start_attempt(enrolment, actor=enrolment.user), actor=enrolment.user)
    with pytest.raises(NotAllowed, match="up to 2 are allowed"):
        start_attempt(enrolment, actor=enrolment.user)
    overview = attempts.get_overview(enrolment.course, actor=enrolment.user)
    assert overview.attempts_left_today == 0 and not overview.can_start
    oldest = db.session.scalars(select(Attempt).order_by(Attempt.number)).first()
    assert overview.next_attempt_at == oldest.started_at + timedelta(hours=24)

    oldest.started_at -= timedelta(hours=24, minutes=1)
    db.session.commit()
    assert start_attempt(enrolment, actor=enrolment.user).number == 3


def test_without_a_limit_attempts_are_unlimited(make):
    enrolment = make.enrolment(lessons_done="all")
    for _ in range(5):
        submit_attempt(start_attempt(enrolment, actor=enrolment.user), actor=enrolment.user)
    assert count(Attempt) == 5
    assert attempts.get_overview(enrolment.course, actor=enrolment.user).attempts_left_today is None


# --- answering -------------------------------------------------------------------------------


def test_saving_replaces_the_answers_of_the_page_and_marks_them_answered(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    save_answers(attempt, {1: [1]}, actor=enrolment.user)
    save_answers(attempt, {1: [2]}, actor=enrolment.user)
    row = drawn(attempt)[0]
    assert [a.option_id for a in row.answers] == [row.option_order[1]] and row.answered_at is not None
    assert attempts.list_unanswered(attempt) == [2, 3, 4]


@pytest.mark.parametrize(("answers", "message"), [
    ({5: [1]}, "not part of this attempt"),
    ({1: [0]}, "not part of the question"),
    ({1: [9]}, "not part of the question"),
    ({1: [1, 1]}, "not part of the question"),
])
def test_saving_refuses_answers_the_page_could_not_send(make, answers, message):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    with pytest.raises(InvalidInput, match=message):
        save_answers(attempt, answers, actor=enrolment.user)
    assert count(AttemptAnswer) == 0


def test_a_single_answer_question_takes_one_option_only(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    single = next(row for row in drawn(attempt) if not spec_for(row.question.kind).selects_many)
    with pytest.raises(InvalidInput, match="only one"):
        save_answers(attempt, {single.position: [1, 2]}, actor=enrolment.user)
    assert count(AttemptAnswer) == 0


def test_answers_cannot_change_after_submission(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, wrong))
    stored = sorted(db.session.scalars(select(AttemptAnswer.option_id)))
    with pytest.raises(AttemptAlreadySubmitted):
        save_answers(attempt, sheet(attempt, right), actor=enrolment.user)
    assert sorted(db.session.scalars(select(AttemptAnswer.option_id))) == stored


def test_another_learner_cannot_save_or_submit_my_attempt(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    intruder = make.user()
    with pytest.raises(NotFound):
        save_answers(attempt, {1: [1]}, actor=intruder)
    with pytest.raises(NotFound):
        submit_attempt(attempt, actor=intruder)
    with pytest.raises(NotFound):
        attempts.get_own_attempt(attempt.id, actor=intruder)
    assert count(AttemptAnswer) == 0 and db.session.get_one(Attempt, attempt.id).submitted_at is None


# --- marking ---------------------------------------------------------------------------------


def test_all_correct_passes_records_the_pass_and_issues_one_certificate(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, right))
    assert attempt.passed is True and attempt.score_percent == Decimal("100.00")
    assert enrolment.passed_at == attempt.submitted_at
    assert [row.mark for row in drawn(attempt)] == [Decimal(1)] * 4
    certificate = db.session.scalars(select(Certificate)).one()
    assert certificate.attempt_id == attempt.id and certificate.score_percent == 100


def test_a_score_below_the_pass_mark_fails_and_issues_nothing(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, {1: right, 2: right, 3: right, 4: wrong}))
    assert attempt.passed is False and attempt.score_percent == Decimal("75.00")
    assert enrolment.passed_at is None and count(Certificate) == 0


def test_exactly_the_pass_mark_passes(make):
    enrolment = make.enrolment(course=make.course(options={"pass_mark": 75}), lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, {1: right, 2: right, 3: right}))
    assert attempt.passed is True and count(Certificate) == 1


def test_unanswered_questions_score_nothing(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = submit_attempt(start_attempt(enrolment, actor=enrolment.user), actor=enrolment.user)
    assert attempt.score_percent == 0 and attempt.passed is False


def test_a_partial_credit_question_scores_its_share_and_the_score_is_rounded_down(make):
    folder = make.course_folder(options={"questions_per_attempt": 6})
    edit_questions(folder, "  type: multiple\n", "  type: multiple\n  partial_credit: true\n")
    enrolment = make.enrolment(course=make.course(folder=folder), lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    multiple = next(row for row in drawn(attempt) if row.question.kind == "multiple")
    answers = sheet(attempt, right)
    answers[multiple.position] = right(multiple)[:1]  # one right option ticked, one missed: 2 of 3 judged well
    answer_and_submit(attempt, answers)
    assert db.session.get_one(AttemptQuestion, multiple.id).mark == Decimal("0.6666")
    assert attempt.score_percent == Decimal("94.44")  # (5 + 2/3) / 6 = 94.444…%, never rounded up


def test_a_multiple_answer_question_is_all_or_nothing_by_default(make):
    enrolment = make.enrolment(course=make.course(options={"questions_per_attempt": 6}), lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    multiple = next(row for row in drawn(attempt) if row.question.kind == "multiple")
    answers = sheet(attempt, right)
    answers[multiple.position] = right(multiple)[:1]
    answer_and_submit(attempt, answers)
    assert db.session.get_one(AttemptQuestion, multiple.id).mark == 0


def test_a_second_submission_changes_nothing(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, right))
    submitted_at = attempt.submitted_at
    with pytest.raises(AttemptAlreadySubmitted):
        submit_attempt(attempt, actor=enrolment.user)
    assert count(Certificate) == 1
    assert db.session.get_one(Attempt, attempt.id).submitted_at == submitted_at


def test_a_failure_while_issuing_the_certificate_leaves_the_attempt_open(make, monkeypatch):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    save_answers(attempt, sheet(attempt, right), actor=enrolment.user)

    def broken(attempt):  # type: ignore[no-untyped-def]
        raise RuntimeError("certificate store down")

    monkeypatch.setattr(service, "issue_certificate", broken)
    with pytest.raises(RuntimeError):
        submit_attempt(attempt, actor=enrolment.user)
    db.session.rollback()
    stored = db.session.get_one(Attempt, attempt.id)
    assert stored.submitted_at is None and stored.score_percent is None and stored.passed is None
    assert stored.enrolment.passed_at is None and count(Certificate) == 0
    monkeypatch.undo()
    assert submit_attempt(stored, actor=enrolment.user).passed is True  # and it can be submitted again


# --- review ----------------------------------------------------------------------------------


def test_the_review_hides_correct_answers_after_a_fail_when_the_course_says_so(make):
    enrolment = make.enrolment(course=make.course(options={"review": "hide-correct-on-fail"}), lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, wrong))
    review = get_review(attempt, actor=enrolment.user)
    assert not review.is_full
    assert all(q.stem is None and q.options is None and q.explanation is None for q in review.questions)
    assert all(q.verdict == "incorrect" and q.outcome_text for q in review.questions)


def test_the_full_review_shows_the_answer_the_correct_answer_feedback_and_explanation(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, sheet(attempt, wrong))
    review = get_review(attempt, actor=enrolment.user)
    assert review.is_full and review.score_percent == 0 and not review.passed
    for question, row in zip(review.questions, drawn(attempt), strict=True):
        assert question.stem == row.question.stem and question.explanation == row.question.explanation
        assert [o.text for o in question.options] == [db.session.get_one(Option, i).text for i in row.option_order]
        assert sum(o.selected for o in question.options) == 1 and any(o.correct for o in question.options)


def test_an_open_attempt_has_no_review(make):
    enrolment = make.enrolment(lessons_done="all")
    attempt = start_attempt(enrolment, actor=enrolment.user)
    with pytest.raises(AttemptStillOpen):
        get_review(attempt, actor=enrolment.user)
