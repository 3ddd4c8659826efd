"""The blueprint: exact items per outcome in every attempt, fresh items on retake, critical outcomes decide a pass."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import func, select

from elearn.assessment import service as assessment
from elearn.assessment.marking import BankQuestion, Blueprint, draw_questions
from elearn.content.loader import load_course
from elearn.evidence import service as evidence
from elearn.extensions import db
from elearn.models import Attempt, AttemptQuestion, Certificate, Course, Enrolment
from tests.assessment.helpers import right, sheet, wrong
from tests.makers import Makers

SEEDS = range(40)


def make_bank(**sizes: int) -> list[BankQuestion]:
    """`sizes[outcome]` questions per outcome, ids numbered from 1 in order."""
    outcomes = [outcome for outcome, size in sizes.items() for _ in range(size)]
    return [BankQuestion(id=i, outcome=outcome) for i, outcome in enumerate(outcomes, start=1)]


def per_outcome(bank: list[BankQuestion], ids: list[int]) -> Counter[str | None]:
    by_id = {question.id: question.outcome for question in bank}
    return Counter(by_id[i] for i in ids)


# --- the draw, pure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes",                          "draws"),
    [
        ({"LO1": 3, "LO2": 9, "LO3": 6},   {"LO1": 1, "LO2": 3, "LO3": 2}),
        ({"LO1": 12, "LO2": 3},            {"LO1": 4, "LO2": 1}),
        ({"LO1": 6, "LO2": 6, "LO3": 6},   {"LO1": 2, "LO2": 2, "LO3": 2}),
    ],
)
def test_every_attempt_draws_exactly_each_outcomes_count(sizes, draws):
    bank = make_bank(**sizes)
    for seed in SEEDS:
        drawn = draw_questions(bank, sum(draws.values()), random.Random(seed), draws=draws)
        assert len(set(drawn)) == len(drawn)
        assert per_outcome(bank, drawn) == Counter(draws)


def test_the_blueprint_holds_however_uneven_the_pools_are():
    """Round-robin would give the big pool no more than the small one; the blueprint asks for 5 and 1."""
    bank = make_bank(LO1=3, LO2=20)
    for seed in SEEDS:
        drawn = draw_questions(bank, 6, random.Random(seed), draws={"LO1": 1, "LO2": 5})
        assert per_outcome(bank, drawn) == Counter(LO1=1, LO2=5)


def test_retakes_draw_unseen_items_until_each_pool_is_used_then_the_least_recently_seen():
    bank = make_bank(LO1=3, LO2=6)  # each pool three times its draw
    draws = {"LO1": 1, "LO2": 2}
    for seed in SEEDS:
        rng = random.Random(seed)
        history: list[list[int]] = []
        for _ in range(3):
            history.append(draw_questions(bank, 3, rng, history=history, draws=draws))
        assert sorted(i for attempt in history for i in attempt) == list(range(1, 10)), "three disjoint attempts"
        fourth = draw_questions(bank, 3, rng, history=history, draws=draws)
        assert sorted(fourth) == sorted(history[0])


def test_a_pool_too_small_for_fresh_items_repeats_the_fewest_and_never_fails_to_start():
    bank = make_bank(LO1=2, LO2=6)
    for seed in SEEDS:
        drawn = draw_questions(bank, 4, random.Random(seed), history=[[1, 3, 4]], draws={"LO1": 2, "LO2": 2})
        assert per_outcome(bank, drawn) == Counter(LO1=2, LO2=2)
        assert {1, 2} <= set(drawn) and not {3, 4} & set(drawn)


def test_equally_fresh_items_are_drawn_at_random_so_every_item_gets_drawn():
    bank = make_bank(LO1=6, LO2=6)
    drawn: set[int] = set()
    for seed in SEEDS:
        drawn |= set(draw_questions(bank, 2, random.Random(seed), draws={"LO1": 1, "LO2": 1}))
    assert drawn == set(range(1, 13))


def test_the_page_order_does_not_follow_the_outcomes():
    bank = make_bank(LO1=6, LO2=6)
    firsts = {per_outcome(bank, draw_questions(bank, 4, random.Random(seed), draws={"LO1": 2, "LO2": 2})[:1])
              .most_common(1)[0][0] for seed in SEEDS}
    assert firsts == {"LO1", "LO2"}


def test_the_first_assessment_avoids_the_knowledge_checks_items_under_a_blueprint():
    bank = make_bank(LO1=9, LO2=9)
    for seed in SEEDS:
        rng = random.Random(seed)
        check = draw_questions(bank, 6, rng)
        final = draw_questions(bank, 6, rng, history=[check], draws={"LO1": 3, "LO2": 3})
        assert set(check).isdisjoint(final)


@pytest.mark.parametrize(
    ("bank",                      "count", "draws",                  "problem"),
    [
        (make_bank(LO1=6, LO2=6),     4,      {"LO1": 1, "LO2": 2},      "blueprint draws 3"),
        (make_bank(LO1=6, LO2=1),     4,      {"LO1": 2, "LO2": 2},      "outcome LO2 holds 1"),
        (make_bank(LO1=6),            2,      {"LO1": 1, "LO3": 1},      "outcome LO3 holds 0"),
    ],
    ids=["does-not-add-up", "pool-smaller-than-draw", "outcome-without-items"],
)
def test_an_impossible_blueprint_is_refused(bank, count, draws, problem):
    with pytest.raises(ValueError, match=problem):
        draw_questions(bank, count, random.Random(0), draws=draws)


def test_the_blueprint_is_read_from_the_outcomes_as_the_loader_stores_them():
    blueprint = Blueprint.from_outcomes([
        {"id": "LO1", "text": "…", "draw": 1},
        {"id": "LO2", "text": "…", "draw": 3, "critical": True, "critical_mark": 100},
        {"id": "LO3", "text": "…", "draw": 2, "critical": True, "critical_mark": 50},
    ])
    assert blueprint.draws == {"LO1": 1, "LO2": 3, "LO3": 2}
    assert blueprint.critical_marks == {"LO2": 100, "LO3": 50}
    assert Blueprint.from_outcomes([{"id": "LO1", "text": "…"}]) == Blueprint({}, {})


# --- through the service, with the database -------------------------------------------------

COURSE_YAML = """\
title: Blueprint course
summary: A course with a blueprint, used by the tests.
topic: Safeguarding
audience: Everyone who works with children.
cpd_hours: 0.5
pass_mark: {pass_mark}
questions_per_attempt: 5
precheck_questions: {precheck}
content_warning: Mentions abuse in general terms.
outcomes:
  - id: LO1
    text: Say who to tell about a concern.
    draw: 3
  - id: LO2
    text: Make a referral when a child is at risk.
    draw: 2
    critical: true
    critical_mark: {critical_mark}
references:
  - "Department for Education (2025). Keeping children safe in education."
"""

QUESTION_YAML = """\
  - id: {key}
    outcome: {outcome}
    type: single
    applied: true
    stem: "Case {key}: a pupil tells you something worrying. What do you do first?"
    options:
      - {{text: "Tell the designated lead the same day", correct: true, feedback: Right.}}
      - {{text: "Wait to see if it happens once again", correct: false, feedback: Not quite.}}
      - {{text: "Ask the pupil's parents what happened", correct: false, feedback: Not quite.}}
      - {{text: "Promise the pupil to keep the secret", correct: false, feedback: Not quite.}}
    explanation: "Share the concern with the DSL at once (Keeping children safe in education 2025)."
"""


def blueprint_course(make: Makers, *, pass_mark: int = 50, critical_mark: int = 100, precheck: int = 0) -> Course:
    """LO1 draws 3 of 9 items, LO2 (critical) 2 of 6: five items per attempt, fresh for three attempts."""
    folder: Path = make.course_folder(slug="blueprint-course")
    (folder / "course.yaml").write_text(COURSE_YAML.format(pass_mark=pass_mark, critical_mark=critical_mark,
                                                           precheck=precheck))
    items = [QUESTION_YAML.format(key=f"lo1-{n:02}", outcome="LO1") for n in range(1, 10)]
    items += [QUESTION_YAML.format(key=f"lo2-{n:02}", outcome="LO2") for n in range(1, 7)]
    (folder / "questions.yaml").write_text("questions:\n" + "".join(items))
    parsed, faults = load_course(folder)
    assert not faults, faults
    assert parsed is not None and parsed.has_blueprint
    return make.course(folder=folder)


def drawn(attempt: Attempt) -> list[AttemptQuestion]:
    return list(db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
                                   .order_by(AttemptQuestion.position)))


def outcomes_drawn(attempt: Attempt) -> Counter[str | None]:
    return Counter(row.question.outcome for row in drawn(attempt))


def answer_and_submit(attempt: Attempt, enrolment: Enrolment, *, critical_right: bool | int = True) -> Attempt:
    """Answer every LO1 item right and the critical LO2 items right, wrong, or only the first `n` right."""
    lo2 = [row.position for row in drawn(attempt) if row.question.outcome == "LO2"]
    n_right = len(lo2) if critical_right is True else int(critical_right)
    pick = {row.position: right for row in drawn(attempt)}
    pick |= {position: wrong for position in lo2[n_right:]}
    assessment.save_answers(attempt, sheet(attempt, pick), actor=enrolment.user)
    return assessment.submit_attempt(attempt, actor=enrolment.user)


def test_an_attempt_draws_each_outcomes_count_through_the_service(make):
    course = blueprint_course(make)
    for seed in range(8):
        enrolment = make.enrolment(course=course, lessons_done="all")
        attempt = assessment.start_attempt(enrolment, actor=enrolment.user, rng=random.Random(seed))
        assert outcomes_drawn(attempt) == Counter(LO1=3, LO2=2)


def test_each_retake_draws_items_unseen_in_every_earlier_attempt(make):
    enrolment = make.enrolment(course=blueprint_course(make), lessons_done="all")
    seen: list[set[int]] = []
    for _ in range(3):
        attempt = assessment.start_attempt(enrolment, actor=enrolment.user)
        ids = {row.question_id for row in drawn(attempt)}
        assert all(ids.isdisjoint(earlier) for earlier in seen), "a retake repeated an item"
        assert outcomes_drawn(attempt) == Counter(LO1=3, LO2=2)
        seen.append(ids)
        assert not answer_and_submit(attempt, enrolment, critical_right=False).passed
    fourth = assessment.start_attempt(enrolment, actor=enrolment.user)
    # Every item has been seen once now: the fourth repeats the least recently seen, the first attempt's.
    assert {row.question_id for row in drawn(fourth)} == seen[0]


def test_the_knowledge_check_counts_as_seen_for_the_first_assessment(make):
    course = blueprint_course(make, precheck=4)
    for seed in range(10):
        enrolment = make.enrolment(course=course, lessons_done="all")
        check = evidence.start_precheck(enrolment, actor=enrolment.user, rng=random.Random(seed))
        final = assessment.start_attempt(enrolment, actor=enrolment.user, rng=random.Random(seed + 100))
        assert {r.question_id for r in drawn(check)}.isdisjoint({r.question_id for r in drawn(final)})
        assert outcomes_drawn(final) == Counter(LO1=3, LO2=2)


def test_failing_every_critical_item_fails_with_everything_else_right(make):
    enrolment = make.enrolment(course=blueprint_course(make, pass_mark=50), lessons_done="all")
    attempt = assessment.start_attempt(enrolment, actor=enrolment.user)
    answer_and_submit(attempt, enrolment, critical_right=False)
    assert attempt.score_percent == 60 and attempt.passed is False  # 3 of 5 is over the pass mark of 50
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    result = assessment.result_of(attempt)
    assert result.critical_missed == ("LO2",)
    assert result.outcome_scores == {"LO1": Fraction(100), "LO2": Fraction(0)}
    assert result.outcomes_to_revisit == ("LO2",)


def test_every_critical_item_right_and_the_pass_mark_passes_and_certifies(make):
    enrolment = make.enrolment(course=blueprint_course(make), lessons_done="all")
    attempt = answer_and_submit(assessment.start_attempt(enrolment, actor=enrolment.user), enrolment)
    assert attempt.passed is True
    assert assessment.result_of(attempt).critical_missed == ()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


@pytest.mark.parametrize(
    ("critical_mark", "critical_right", "passed"),
    [
        (100,             1,                False),
        (50,              1,                True),
        (51,              1,                False),
        (50,              0,                False),
    ],
)
def test_a_critical_outcome_needs_its_own_critical_mark(make, critical_mark, critical_right, passed):
    enrolment = make.enrolment(course=blueprint_course(make, critical_mark=critical_mark), lessons_done="all")
    attempt = answer_and_submit(assessment.start_attempt(enrolment, actor=enrolment.user), enrolment,
                                critical_right=critical_right)
    assert attempt.passed is passed
    assert assessment.result_of(attempt).outcome_scores["LO2"] == 50 * critical_right


def test_the_result_recomputed_from_saved_answers_is_the_one_stored(make):
    enrolment = make.enrolment(course=blueprint_course(make), lessons_done="all")
    attempt = answer_and_submit(assessment.start_attempt(enrolment, actor=enrolment.user), enrolment,
                                critical_right=1)
    result = assessment.result_of(attempt)
    assert result.passed is attempt.passed and result.display_percent == attempt.score_percent == 80
    assert [row.mark for row in drawn(attempt)] == list(result.marks)
