"""Demo evidence of learning: knowledge checks, answered assessments, confidence ratings and evaluations.

Written straight to the models (as the demo staff's passes are), with a simple item-response model
so the pages show real patterns: learners know more after the course than before, most questions
behave, and a few are too easy, too hard or discriminate poorly, so the statistics page flags them.

- Demo Primary School's staff: a knowledge check and confidence ratings on every enrolment that
  passed, and answers behind their existing passed attempt (matching its score).
- "Demo Learning Trust": 150 learners (no password: they cannot sign in) who took every course,
  with one to three attempts each, so every question has enough attempts for its statistics.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import aliased

from elearn.assessment import marking
from elearn.certificates.service import issue_certificate
from elearn.db import now_utc
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import (
    Attempt,
    AttemptAnswer,
    AttemptQuestion,
    ConfidenceRating,
    Course,
    CourseEvaluation,
    CourseVersion,
    Enrolment,
    Option,
    Organisation,
    Question,
    User,
)

TRUST_LEARNERS = 150
COMMENTS = (
    "Write down the child's exact words and pass them on the same day.",
    "Stop promising to keep secrets; tell the child what happens next instead.",
    "Check the new reporting flowchart with our DSL.",
    "Challenge 'banter' in the corridor instead of walking past.",
    "",
    "Record concerns even when they seem small: they add up.",
    "",
)


class _Item:
    """One question's behaviour: P(correct) = 1 / (1 + e^(−a(θ − b))); a = 0 discriminates not at all."""

    def __init__(self, question: Question, options: list[Option]) -> None:
        rng = random.Random(question.key)
        roll = rng.random()
        self.a, self.b, self.flat = rng.uniform(1.0, 2.2), rng.uniform(-1.6, 0.6), None
        if roll < 0.10:
            self.b = -4.5  # too easy
        elif roll < 0.17:
            self.b = 2.8  # too hard
        elif roll < 0.24:
            self.a, self.flat = 0.0, rng.uniform(0.5, 0.7)  # right or wrong regardless of ability
        self.question, self.options = question, options

    def p(self, ability: float) -> float:
        return self.flat if self.flat is not None else 1 / (1 + math.exp(-self.a * (ability - self.b)))


def _items(version: CourseVersion) -> dict[int, _Item]:
    options: dict[int, list[Option]] = {}
    for option in db.session.scalars(select(Option).join(Question).where(Question.version_id == version.id)
                                     .order_by(Option.position)):
        options.setdefault(option.question_id, []).append(option)
    return {q.id: _Item(q, options[q.id]) for q in
            db.session.scalars(select(Question).where(Question.version_id == version.id))}


def _answer(attempt: Attempt, items: list[_Item], correct: list[bool], rng: random.Random) -> None:
    for position, (item, right) in enumerate(zip(items, correct, strict=True), start=1):
        row = AttemptQuestion(attempt_id=attempt.id, question_id=item.question.id, position=position,
                              option_order=[o.id for o in item.options], answered_at=attempt.submitted_at,
                              mark=Decimal(1 if right else 0))
        db.session.add(row)
        db.session.flush()
        pool = [o for o in item.options if o.is_correct] if right else \
            [rng.choice([o for o in item.options if not o.is_correct])]
        db.session.add_all(AttemptAnswer(attempt_question_id=row.id, option_id=o.id) for o in pool)


def _sit(enrolment: Enrolment, items: dict[int, _Item], kind: str, number: int, ability: float,
         exclude: set[int], rng: random.Random, when, score: int | None = None) -> tuple[Attempt, set[int]]:  # type: ignore[no-untyped-def]
    """One submitted attempt; with `score` the marks are nudged to match an existing attempt's percentage."""
    version = enrolment.version
    count = version.precheck_questions if kind == "precheck" else version.questions_per_attempt
    bank = [marking.BankQuestion(i.question.id, i.question.outcome) for i in items.values()]
    draws = marking.Blueprint.from_outcomes(version.outcomes).draws or None if kind != "precheck" else None
    drawn = [items[qid] for qid in marking.draw_questions(bank, count, rng, exclude=exclude, draws=draws)]
    correct = [rng.random() < item.p(ability) for item in drawn]
    if score is not None:
        target = math.ceil(score * count / 100)
        order = sorted(range(count), key=lambda i: drawn[i].p(ability), reverse=True)
        while sum(correct) < target:
            correct[next(i for i in order if not correct[i])] = True
        while sum(correct) > target:
            correct[next(i for i in reversed(order) if correct[i])] = False
    percent = Decimal(100 * sum(correct)) / count
    attempt = Attempt(enrolment_id=enrolment.id, user_id=enrolment.user_id, version_id=version.id, number=number,
                      kind=kind, started_at=when - timedelta(minutes=15), submitted_at=when,
                      score_percent=percent.quantize(Decimal("0.01")),
                      passed=None if kind == "precheck" else percent >= version.pass_mark)
    db.session.add(attempt)
    db.session.flush()
    _answer(attempt, drawn, correct, rng)
    return attempt, {item.question.id for item in drawn}


def _rate(enrolment: Enrolment, stage: str, ability: float, rng: random.Random) -> None:
    for outcome in enrolment.version.outcomes:
        rating = max(1, min(5, round(2.4 + ability * 0.8 + rng.gauss(0, 0.7) + (1.1 if stage == "after" else 0))))
        db.session.add(ConfidenceRating(enrolment_id=enrolment.id, outcome_key=outcome["id"], stage=stage,
                                        rating=rating))


def _evaluate(enrolment: Enrolment, rng: random.Random) -> None:
    db.session.add(CourseEvaluation(enrolment_id=enrolment.id, course_id=enrolment.course_id,
                                    relevance=rng.choice((3, 4, 4, 5, 5)), clarity=rng.choice((3, 4, 4, 5)),
                                    comment=rng.choice(COMMENTS)))


def _staff_evidence(org: Organisation, items_by_version: dict[int, dict[int, _Item]]) -> int:
    """Knowledge checks and answers behind the demo school's existing passes (each once)."""
    prior = aliased(Attempt)
    rows = db.session.execute(
        select(Attempt, Enrolment).join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(User, User.id == Attempt.user_id)
        .where(User.organisation_id == org.id, Attempt.kind == "final", Attempt.submitted_at.is_not(None),
               ~select(AttemptQuestion.id).where(AttemptQuestion.attempt_id == Attempt.id).exists(),
               ~select(prior.id).where(prior.enrolment_id == Attempt.enrolment_id, prior.kind == "precheck").exists())
    ).all()
    for attempt, enrolment in rows:
        items = items_by_version.get(enrolment.version_id)
        if items is None or enrolment.version.precheck_questions == 0:
            continue
        rng = random.Random(attempt.id)
        ability = rng.gauss(0, 1)
        _, seen = _sit(enrolment, items, "precheck", 0, ability - 1.3, set(), rng,
                       attempt.started_at - timedelta(days=2))
        _rate(enrolment, "before", ability - 1.3, rng)
        _sit_existing(attempt, items, ability, seen, rng)
        _rate(enrolment, "after", ability, rng)
        if rng.random() < 0.6:
            _evaluate(enrolment, rng)
    db.session.commit()
    return len(rows)


def _sit_existing(attempt: Attempt, items: dict[int, _Item], ability: float, exclude: set[int],
                  rng: random.Random) -> None:
    """Answers behind an attempt the staff seeding created without them, matching its recorded score."""
    version = attempt.version
    bank = [marking.BankQuestion(i.question.id, i.question.outcome) for i in items.values()]
    draws = marking.Blueprint.from_outcomes(version.outcomes).draws or None  # the course's blueprint, like real attempts
    drawn = [items[qid] for qid in marking.draw_questions(bank, version.questions_per_attempt, rng, exclude=exclude,
                                                          draws=draws)]
    target = math.ceil(float(attempt.score_percent or 0) * len(drawn) / 100)
    order = sorted(range(len(drawn)), key=lambda i: drawn[i].p(ability) + rng.random() * 0.3, reverse=True)
    correct = [False] * len(drawn)
    for i in order[:target]:
        correct[i] = True
    _answer(attempt, drawn, correct, rng)


def _trust_evidence(items_by_version: dict[int, dict[int, _Item]], courses: list[Course]) -> int:
    """A trust whose learners took every course: enough attempts per question for the statistics."""
    trust = db.session.scalar(select(Organisation).where(Organisation.slug == "demo-trust"))
    if trust is None:
        trust = Organisation(name="Demo Learning Trust", slug="demo-trust")
        db.session.add(trust)
        db.session.flush()
    created = 0
    for n in range(1, TRUST_LEARNERS + 1):
        email = f"trust{n:03d}@demo.elearn.test"
        if db.session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        user = User(email=email, display_name=f"Trust learner {n}", password_hash=None, organisation_id=trust.id)
        db.session.add(user)
        db.session.flush()
        rng = random.Random(email)
        ability = rng.gauss(0.2, 1)
        for c, course in enumerate(courses):
            version = learning.latest_version(course)
            when = now_utc() - timedelta(days=rng.randint(5, 300))
            enrolment = Enrolment(user_id=user.id, course_id=course.id, version_id=version.id,
                                  enrolled_at=when - timedelta(days=3), lessons_completed_at=when - timedelta(hours=1),
                                  last_active_at=when)
            db.session.add(enrolment)
            db.session.flush()
            _trust_course(enrolment, items_by_version[version.id], ability + 0.3 * c - 0.4, rng, when)
        created += 1
        db.session.commit()
    return created


def _trust_course(enrolment: Enrolment, items: dict[int, _Item], ability: float, rng: random.Random, when) -> None:  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    if rng.random() < 0.8:
        _, seen = _sit(enrolment, items, "precheck", 0, ability - 1.3, set(), rng, when - timedelta(days=3))
        _rate(enrolment, "before", ability - 1.3, rng)
    for number in range(1, 4):
        attempt, seen = _sit(enrolment, items, "final", number, ability + 0.4 * (number - 1), seen, rng,
                             when + timedelta(hours=number))
        if attempt.passed:
            enrolment.passed_at = attempt.submitted_at
            db.session.flush()
            issue_certificate(attempt)
            if rng.random() < 0.7:
                _rate(enrolment, "after", ability, rng)
            if rng.random() < 0.5:
                _evaluate(enrolment, rng)
            return


def seed_learning_evidence(org: Organisation) -> int:
    """Knowledge checks, answered attempts, confidence ratings and evaluations (safe to run twice); return how many
    learners were given them."""
    courses = list(db.session.scalars(select(Course).where(Course.is_published.is_(True)).order_by(Course.slug)))
    versions = [learning.latest_version(course) for course in courses]
    items_by_version = {v.id: _items(v) for v in versions}
    return _staff_evidence(org, items_by_version) + _trust_evidence(items_by_version, courses)
