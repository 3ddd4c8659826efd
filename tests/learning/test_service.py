"""Enrolment, progress and resume rules, on the service functions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.errors import NotFound
from elearn.extensions import db
from elearn.learning import service
from elearn.learning.service import LearningStatus
from elearn.models import Enrolment, LessonProgress


def progress_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(LessonProgress))


def test_enrolling_twice_returns_the_same_enrolment(make):
    user, course = make.user(), make.course()
    first = service.enrol(course, actor=user)
    second = service.enrol(course, actor=user)
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_a_new_enrolment_starts_on_the_newest_version_at_the_first_lesson(make):
    folder = make.course_folder()
    make.course(folder=folder)
    (folder / "lessons" / "01-welcome.md").write_text((folder / "lessons" / "01-welcome.md").read_text() + "\nMore.\n")
    course = make.course(folder=folder)
    enrolment = service.enrol(course, actor=make.user())
    assert enrolment.version.number == 2
    assert service.resume_lesson(enrolment).position == 1


def test_a_learner_part_way_keeps_their_version_when_the_course_changes(make):
    folder = make.course_folder()
    course = make.course(folder=folder)
    enrolment = make.enrolment(course=course, lessons_done=1)
    (folder / "lessons" / "02-categories.md").write_text((folder / "lessons" / "02-categories.md").read_text() + "\nNew.\n")
    make.course(folder=folder)
    db.session.refresh(enrolment)
    assert enrolment.version.number == 1
    lesson = service.get_lesson(enrolment, 2)
    assert lesson.version_id == enrolment.version_id and "New." not in lesson.body_html


def test_marking_a_lesson_complete_twice_records_one_completion(make):
    enrolment = make.enrolment()
    lesson = service.get_lesson(enrolment, 1)
    service.open_lesson(enrolment, lesson, actor=enrolment.user)
    service.record_lesson_complete(enrolment, lesson, actor=enrolment.user)
    service.record_lesson_complete(enrolment, lesson, actor=enrolment.user)
    assert progress_rows() == 1


def test_completing_a_lesson_moves_the_resume_point_to_the_next(make):
    enrolment = make.enrolment()
    service.open_lesson(enrolment, service.get_lesson(enrolment, 1), actor=enrolment.user)
    following = service.record_lesson_complete(enrolment, service.get_lesson(enrolment, 1), actor=enrolment.user)
    assert following.position == 2
    assert service.resume_lesson(enrolment).position == 2


def test_completing_every_lesson_opens_the_assessment(make):
    enrolment = make.enrolment(lessons_done="all")
    assert enrolment.lessons_completed_at is not None
    assert service.progress_for(enrolment, enrolment.version).status == LearningStatus.READY_FOR_ASSESSMENT


@pytest.mark.parametrize(("done", "percent", "status"), [
    (0, 0, LearningStatus.IN_PROGRESS),
    (1, 33, LearningStatus.IN_PROGRESS),
    (2, 66, LearningStatus.IN_PROGRESS),
    (3, 100, LearningStatus.READY_FOR_ASSESSMENT),
])
def test_progress_percent_and_status(make, done, percent, status):
    enrolment = make.enrolment(lessons_done=done)
    progress = service.progress_for(enrolment, enrolment.version)
    assert (progress.percent, progress.status) == (percent, status)


def test_a_lesson_of_another_course_version_cannot_be_completed(make):
    enrolment = make.enrolment()
    other = make.course(slug="other-course")
    other_enrolment = service.enrol(other, actor=enrolment.user)
    with pytest.raises(NotFound):
        service.record_lesson_complete(enrolment, service.get_lesson(other_enrolment, 1), actor=enrolment.user)
    assert progress_rows() == 0


def test_a_lesson_position_outside_the_course_is_not_found(make):
    enrolment = make.enrolment()
    for position in (0, 4, -1, 10**9):
        with pytest.raises(NotFound):
            service.get_lesson(enrolment, position)


@pytest.mark.parametrize("write", ["complete", "open"])
def test_nobody_moves_another_persons_progress(make, write):
    enrolment = make.enrolment()
    lesson = service.get_lesson(enrolment, 2)
    with pytest.raises(NotFound):
        if write == "complete":
            service.record_lesson_complete(enrolment, lesson, actor=make.user())
        else:
            service.open_lesson(enrolment, lesson, actor=make.user())
    db.session.rollback()
    assert progress_rows() == 0 and enrolment.current_lesson_id != lesson.id


def test_not_enrolled_means_not_found(make):
    with pytest.raises(NotFound):
        service.get_enrolment(make.course(), actor=make.user())


def test_an_unknown_slug_is_not_found():
    with pytest.raises(NotFound):
        service.get_published_course("no-such-course")


def test_my_learning_lists_each_course_once_with_progress(make):
    user = make.user()
    make.enrolment(user=user, course=make.course(), lessons_done=2)
    make.enrolment(user=user, course=make.course(slug="second-course"), lessons_done="all")
    entries = {entry.course.slug: entry for entry in service.list_my_learning(actor=user)}
    assert entries["sample-course"].progress.percent == 66
    assert entries["sample-course"].resume_position == 3
    assert entries["second-course"].progress.status == LearningStatus.READY_FOR_ASSESSMENT


def test_my_learning_runs_the_same_few_queries_for_1_or_6_courses(make, count_queries):
    user = make.user()
    make.enrolment(user=user, course=make.course(slug="course-0"), lessons_done=1)
    db.session.expire_all()
    with count_queries() as one_course:
        service.list_my_learning(actor=user)
    for n in range(1, 6):
        make.enrolment(user=user, course=make.course(slug=f"course-{n}"), lessons_done=n % 4)
    db.session.expire_all()
    with count_queries() as six_courses:
        service.list_my_learning(actor=user)
    assert one_course.count == six_courses.count <= 8
