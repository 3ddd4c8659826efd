"""The clock: London time, today's date, month arithmetic and the one UK date format.

Times are stored in UTC (`elearn.db.now_utc`); people read them in Europe/London. The pages (Jinja
filters `london_date` and `london_datetime`), the PDFs and the emails all format dates here, so a
certificate, the page it was downloaded from and its reminder email always show the same date.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from elearn.db import now_utc

LONDON = ZoneInfo("Europe/London")

# Spelt out rather than `%B`, which follows the process locale: a server set to another language
# would print "23 novembre 2026" on a certificate.
_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")


def london_today() -> date:
    """Today's date in Europe/London, the calendar certificates, due dates and reminders are dated in."""
    return now_utc().astimezone(LONDON).date()


def to_london(moment: datetime) -> datetime:
    """An aware UTC time as the wall-clock time in London."""
    return moment.astimezone(LONDON)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def uk_date(value: date | datetime | None) -> str:
    """A date the UK way, e.g. "23 November 2026"; a UTC time is first turned into its London date; None is ""."""
    if value is None:
        return ""
    day = to_london(value) if isinstance(value, datetime) else value
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def uk_datetime(value: datetime | None) -> str:
    """A UTC time as London wall-clock time, e.g. "23 November 2026, 14:05"; None is ""."""
    if value is None:
        return ""
    local = to_london(value)
    return f"{uk_date(local)}, {local:%H:%M}"
