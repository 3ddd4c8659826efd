"""The clock: one UK date format for pages and PDFs, London's calendar, month arithmetic."""

from datetime import UTC, date, datetime

import pytest

from elearn.clock import add_months, uk_date, uk_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 23), "23 November 2026"),
        (date(2027, 1, 1), "1 January 2027"),
        (date(2028, 2, 29), "29 February 2028"),
        # 23:30 UTC in British Summer Time is already the next day in London.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "31 December 2026"),
        (None, ""),
    ],
)
def test_uk_date(value, expected):
    assert uk_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 6, 30, 23, 5, tzinfo=UTC), "1 July 2026, 00:05"),
        (datetime(2026, 11, 23, 14, 5, tzinfo=UTC), "23 November 2026, 14:05"),
        (None, ""),
    ],
)
def test_uk_datetime_is_london_wall_clock_time(value, expected):
    assert uk_datetime(value) == expected


def test_pages_and_pdfs_share_the_date_format(app):
    assert app.jinja_env.filters["london_date"] is uk_date
    assert app.jinja_env.filters["london_datetime"] is uk_datetime


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 23), 12, date(2027, 11, 23)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start, months, expected):
    assert add_months(start, months) == expected
