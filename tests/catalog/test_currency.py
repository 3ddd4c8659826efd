"""The course page shows the guidance editions the course follows and its next review date."""

from __future__ import annotations

from tests.updates.helpers import EDITION, add_currency


def test_the_course_page_shows_what_the_course_is_aligned_to_and_its_review_date(client, make):
    folder = make.course_folder()
    add_currency(folder, review_by="2027-08-31", what_changed=False)
    make.course(folder=folder)
    page = client.get("/courses/sample-course").text
    assert "<h2>Aligned to</h2>" in page and f"<li>{EDITION}</li>" in page
    assert "<dt>Next review by</dt><dd>31 August 2027</dd>" in page


def test_a_course_without_currency_says_nothing_about_it(client, make):
    make.course()
    page = client.get("/courses/sample-course").text
    assert "Aligned to" not in page and "Next review by" not in page
