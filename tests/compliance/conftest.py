"""The manager area's personas (tests/manage/cast.py)."""

from tests.manage.cast import cast  # noqa: F401 - a fixture: importing it here makes it available to these tests
