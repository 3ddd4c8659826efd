"""Time on a lesson, by the server's clock: a visit is recorded when the page is served, "Mark complete" waits for
the lesson's minimum time, and a forged or replayed form gains nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from elearn.extensions import db
from elearn.learning import service
from elearn.models import Enrolment, LessonProgress

LESSON_1 = "/courses/sample-course/lessons/1"


def with_minimum(make, minutes: int = 4):  # type: ignore[no-untyped-def]
    """The sample course with a minimum time on its first lesson (5 minutes declared)."""
    folder = make.course_folder()
    path = folder / "lessons" / "01-welcome.md"
    path.write_text(path.read_text().replace("minutes: 5\n", f"minutes: 5\nmin_minutes: {minutes}\n", 1))
    return make.course(folder=folder)


def progress(enrolment: Enrolment, position: int) -> LessonProgress | None:
    db.session.expire_all()
    lesson = service.get_lesson(enrolment, position)
    return db.session.scalar(select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id,
                                                          LessonProgress.lesson_id == lesson.id))


@pytest.fixture
def learner(make, login_as):  # type: ignore[no-untyped-def]
    """A signed-in learner enrolled on the sample course whose first lesson asks for 4 minutes."""
    enrolment = make.enrolment(course=with_minimum(make))
    login_as(enrolment.user)
    return enrolment


def test_mark_complete_is_refused_until_the_minimum_time_has_passed(client, learner, lesson_clock):
    client.get(LESSON_1)
    lesson_clock.advance(minutes=2)
    refused = client.post(f"{LESSON_1}/complete")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'role="alert"' in page and 'href="#complete-button"' in page and "<title>Error: Welcome" in page
    assert ("You opened this lesson 2 minutes ago. Spend at least 4 minutes on it before marking it complete: "
            "about 2 minutes more.") in page
    assert progress(learner, 1).completed_at is None
    lesson_clock.advance(minutes=2)
    assert client.post(f"{LESSON_1}/complete").location == "/courses/sample-course/lessons/2"
    assert progress(learner, 1).completed_at == lesson_clock.now


def test_the_page_says_how_long_before_it_can_be_marked_complete(client, learner):
    page = client.get(LESSON_1).get_data(as_text=True)
    assert "once you have spent at least 4 minutes on it" in page and 'aria-describedby="complete-hint"' in page


def test_a_forged_form_for_a_lesson_never_opened_is_refused(client, learner, lesson_clock):
    refused = client.post(f"{LESSON_1}/complete")
    assert refused.status_code == 422
    assert "You had not opened this lesson yet. Spend at least 4 minutes on it" in refused.get_data(as_text=True)
    assert progress(learner, 1).completed_at is None
    # The refusal showed the lesson: its minimum time runs from now, not from before.
    lesson_clock.advance(minutes=3, seconds=59)
    assert client.post(f"{LESSON_1}/complete").status_code == 422
    lesson_clock.advance(seconds=1)
    assert client.post(f"{LESSON_1}/complete").status_code == 302


def test_a_lesson_without_a_minimum_still_has_to_be_opened(client, make, login_as):
    enrolment = make.enrolment()
    login_as(enrolment.user)
    refused = client.post("/courses/sample-course/lessons/2/complete")
    assert refused.status_code == 422 and "You had not opened this lesson yet." in refused.get_data(as_text=True)
    assert client.post("/courses/sample-course/lessons/2/complete").status_code == 302  # it was shown with the refusal


def test_a_replayed_form_completes_nothing_more(client, learner, lesson_clock):
    client.get(LESSON_1)
    lesson_clock.advance(minutes=5)
    form = client.post(f"{LESSON_1}/complete")
    assert form.status_code == 302
    spent = progress(learner, 1).seconds_spent
    lesson_clock.advance(minutes=30)
    assert client.post(f"{LESSON_1}/complete").location == form.location  # replayed: already complete
    assert progress(learner, 1).seconds_spent == spent == 300
    # The same form sent for the next lesson, never opened, is refused like a forged one.
    assert client.post("/courses/sample-course/lessons/2/complete").status_code == 422


def test_a_refresher_cycle_starts_its_time_again(make, lesson_clock):
    """Opening a lesson in one enrolment does not open it in another (a forged form cannot borrow it)."""
    course = with_minimum(make)
    first = make.enrolment(course=course)
    other = make.enrolment(course=course)
    service.open_lesson(first, service.get_lesson(first, 1), actor=first.user)
    lesson_clock.advance(minutes=10)
    with pytest.raises(service.CompletionRefused):
        service.record_lesson_complete(other, service.get_lesson(other, 1), actor=other.user)


def test_time_spent_adds_the_gaps_between_visits_each_capped(make, lesson_clock):
    enrolment = make.enrolment(course=with_minimum(make))
    lesson = service.get_lesson(enrolment, 1)  # 5 minutes declared: a gap counts at most 10 minutes
    service.open_lesson(enrolment, lesson, actor=enrolment.user)
    lesson_clock.advance(minutes=3)
    service.open_lesson(enrolment, lesson, actor=enrolment.user)  # came back after 3 minutes: 3 count
    lesson_clock.advance(hours=20)
    service.open_lesson(enrolment, lesson, actor=enrolment.user)  # the next day: the night counts 10 minutes
    lesson_clock.advance(minutes=4)
    service.record_lesson_complete(enrolment, lesson, actor=enrolment.user)
    row = progress(enrolment, 1)
    assert row.seconds_spent == (3 + 10 + 4) * 60
    assert (row.completed_at - row.first_opened_at).total_seconds() == (3 + 20 * 60 + 4) * 60
    lesson_clock.advance(minutes=7)
    service.open_lesson(enrolment, lesson, actor=enrolment.user)  # reading it again once complete adds nothing
    assert progress(enrolment, 1).seconds_spent == (3 + 10 + 4) * 60


@pytest.mark.parametrize(("declared", "cap_minutes"), [(1, 10), (5, 10), (6, 12), (30, 60)])
def test_an_idle_gap_counts_at_most_twice_the_declared_minutes_and_at_least_ten(make, declared, cap_minutes):
    lesson = replace(service.get_lesson(make.enrolment(), 1), minutes=declared)
    assert service.idle_cap(lesson).total_seconds() == cap_minutes * 60


def test_seeded_reading_records_the_declared_minutes(make):
    enrolment = make.enrolment(course=with_minimum(make), lessons_done=1)
    assert progress(enrolment, 1).seconds_spent == 5 * 60


def test_a_long_pause_before_marking_complete_counts_only_the_cap(make, lesson_clock):
    enrolment = make.enrolment(course=with_minimum(make))
    lesson = service.get_lesson(enrolment, 1)
    service.open_lesson(enrolment, lesson, actor=enrolment.user)
    lesson_clock.advance(hours=3)  # left open over lunch: counts 10 minutes
    service.record_lesson_complete(enrolment, lesson, actor=enrolment.user)
    assert progress(enrolment, 1).seconds_spent == 10 * 60
