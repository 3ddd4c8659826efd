"""Admins see the courses whose review date has passed: flagged on the courses page, counted on the admin home."""

from __future__ import annotations

import pytest

from elearn.admin import service
from elearn.clock import uk_date
from elearn.errors import NotAllowed
from tests.makers import days
from tests.updates.helpers import add_currency


def course_reviewed_by(make, slug: str, review_by: str):  # type: ignore[no-untyped-def]
    folder = make.course_folder(slug=slug)
    add_currency(folder, review_by=review_by, what_changed=False)
    (folder / "course.yaml").write_text((folder / "course.yaml").read_text().replace(
        "title: Sample safeguarding refresher", f"title: Course {slug}"))
    return make.course(folder=folder)


def test_only_courses_whose_newest_review_date_has_passed_are_listed(make, cast):
    yesterday, today = days(-1), days(0)
    stale = course_reviewed_by(make, "stale-course", yesterday.isoformat())
    course_reviewed_by(make, "due-today", today.isoformat())  # due today is not yet past
    course_reviewed_by(make, "current-course", "2099-01-01")
    make.course(slug="undated-course")
    assert service.list_courses_past_review(actor=cast.admin) == {stale.id: yesterday}


def test_a_new_version_with_a_later_review_date_clears_the_flag(make, cast):
    folder = make.course_folder()
    add_currency(folder, review_by=days(-10).isoformat(), what_changed=False)
    course = make.course(folder=folder)
    assert course.id in service.list_courses_past_review(actor=cast.admin)
    text = (folder / "course.yaml").read_text().replace(f"review_by: {days(-10).isoformat()}", "review_by: 2099-01-01")
    (folder / "course.yaml").write_text(text)
    make.course(folder=folder)
    assert service.list_courses_past_review(actor=cast.admin) == {}


def test_the_courses_page_flags_a_course_past_review_and_the_home_page_counts_it(client, make, cast, sign_in):
    past = days(-3)
    course_reviewed_by(make, "stale-course", past.isoformat())
    course_reviewed_by(make, "current-course", "2099-01-01")
    sign_in(cast.admin)
    page = client.get("/admin/courses").text
    assert "1 course is past its review date" in page
    assert page.count("Review overdue") == 2  # the notice names the mark, and one row carries it
    row = page.split("stale-course</code>")[1].split("</tr>")[0]
    assert uk_date(past) in row and "Review overdue" in row
    assert "Review overdue" not in page.split("current-course</code>")[1].split("</tr>")[0]
    home = client.get("/admin").text
    assert "1 course is past its review date" in home


def test_no_notice_when_every_course_is_current(client, make, cast, sign_in):
    course_reviewed_by(make, "current-course", "2099-01-01")
    sign_in(cast.admin)
    assert "past its review date" not in client.get("/admin").text
    assert "Review overdue" not in client.get("/admin/courses").text


def test_only_an_admin_may_ask(make, cast):
    with pytest.raises(NotAllowed):
        service.list_courses_past_review(actor=cast.manager_a)
