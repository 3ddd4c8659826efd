"""Managers see the time on lessons beside the declared minutes, and the completions that took under a quarter."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from elearn.extensions import db
from elearn.learning import service as learning
from elearn.learning.time_spent import CourseTime, list_course_times
from elearn.models import LessonProgress
from tests.compliance.test_exports import _csv, _prepared
from tests.learning.clock import stop_lesson_clock

DONE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "declared", "completed", "known", "text", "quick"), [
    (360, 55, DONE, True, "completed in 6 min of 55 declared (quick)", True),
    (825, 55, DONE, True, "completed in 14 min of 55 declared", False),  # exactly a quarter: not quick
    (824, 55, DONE, True, "completed in 14 min of 55 declared (quick)", True),
    (20, 55, None, True, "under 1 min so far of 55 declared", False),  # not complete: never quick
    (0, 55, DONE, False, "not recorded (55 min declared)", False),  # completed before time was recorded
])
def test_a_course_time_reads_as_a_sentence_and_flags_under_a_quarter(seconds, declared, completed, known, text, quick):
    time = CourseTime(1, 1, 1, seconds, declared, completed, known)
    assert (time.describe(), time.is_quick) == (text, quick)


def read_quickly(make, monkeypatch, user, course, minutes_each: float):  # type: ignore[no-untyped-def]
    """The learner opens each lesson and marks it complete `minutes_each` later, through the service."""
    clock = stop_lesson_clock(monkeypatch)
    enrolment = make.enrolment(user=user, course=course)
    for lesson in learning.list_lessons(enrolment):
        learning.open_lesson(enrolment, lesson, actor=user)
        clock.advance(minutes=minutes_each)
        learning.record_lesson_complete(enrolment, lesson, actor=user)
    return enrolment


@pytest.fixture
def three_readers(make, monkeypatch, cast, course):  # type: ignore[no-untyped-def]
    """Ann (org A) reads the 3 x 5-minute sample course in 3 minutes; Al (org A) in 15; Bea (org B) in 3;
    Cy (org A) completed it before time was recorded."""
    quick = read_quickly(make, monkeypatch, cast.learner_a, course, 1)
    slow = make.enrolment(user=make.user(name="Al Steady", org=cast.org_a), course=course, lessons_done="all")
    read_quickly(make, monkeypatch, cast.learner_b, course, 1)
    legacy = make.enrolment(user=make.user(name="Cy Legacy", org=cast.org_a), course=course, lessons_done="all")
    db.session.execute(update(LessonProgress).where(LessonProgress.enrolment_id == legacy.id)
                       .values(first_opened_at=None, last_seen_at=None, seconds_spent=0))
    db.session.commit()
    return quick, slow, legacy


def test_time_is_summed_over_the_lessons_of_an_enrolment(three_readers):
    quick, slow, legacy = three_readers
    times = list_course_times([quick.id, slow.id, legacy.id])
    assert (times[quick.id].seconds, times[quick.id].declared_minutes, times[quick.id].is_quick) == (180, 15, True)
    assert (times[slow.id].seconds, times[slow.id].is_quick) == (900, False)
    assert (times[legacy.id].is_known, times[legacy.id].is_quick) == (False, False)


def test_the_learner_record_shows_time_beside_the_declared_minutes(three_readers, client, cast, sign_in):
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    section = page.split('id="time-on-lessons"', 1)[1]
    assert "Quick completion" in section and "completed in 3 min of 15 declared (quick)" in section


def test_managers_see_their_own_organisations_quick_completions(three_readers, client, cast, sign_in, count_queries):
    sign_in(cast.manager_a)
    with count_queries() as counter:
        page = client.get("/manage/quick-completions").get_data(as_text=True)
    assert cast.learner_a.display_name in page and f"/manage/people/{cast.learner_a.id}#time-on-lessons" in page
    assert "Al Steady" not in page and "Cy Legacy" not in page and cast.learner_b.display_name not in page
    assert counter.count <= 10
    assert "/manage/quick-completions" in client.get("/manage/").get_data(as_text=True)


def test_the_csv_has_the_time_and_a_quick_completion_column(three_readers, client, cast, course, sign_in):
    sign_in(cast.manager_a)
    rows = _csv(client.get("/manage/matrix/export.csv"))
    header = rows[0]
    time_at = header.index(f"{course.versions[-1].title}: time on lessons")
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[cast.learner_a.display_name][time_at:time_at + 2] == [
        "completed in 3 min of 15 declared (quick)", "yes"]
    assert by_name["Al Steady"][time_at:time_at + 2] == ["completed in 15 min of 15 declared", ""]
    assert by_name["Cy Legacy"][time_at:time_at + 2] == ["not recorded (15 min declared)", ""]


def test_the_training_record_pdf_shows_the_time_and_flags_quick_completions(three_readers, client, cast, sign_in):
    sign_in(cast.manager_a)
    pdf = PdfReader(io.BytesIO(_prepared(client, "/manage/training-record.pdf").get_data()))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "completed in 3 min of 15 declared (quick)" in text and "completed in 15 min of 15 declared" in text
