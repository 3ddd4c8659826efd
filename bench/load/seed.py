"""Seed N learners with a known password through the real service, register_user (Argon2 and all).

Every other learner has already read the lessons of their first course (enrol and record_lesson_read,
the real services), as if they had done so yesterday: they go straight to the assessment, so attempts,
passes and certificates happen inside the one-minute run even when the server is saturated.

The courses ask for time on each lesson before "Mark complete" (`min_minutes`: the server refuses an earlier
completion with 422). A Locust learner clicks through in seconds, so every learner is seeded as having opened
every lesson of every course an hour before the run (enrolled through the real service; the opening recorded as
`open_lesson` records it, an hour earlier). The run then exercises the real lesson views and completions, and the
rule is neither switched off nor lowered.

Run inside the app's venv with the same environment as the server: `python bench/load/seed.py 200`.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from elearn import create_app
from elearn.auth.service import find_user_by_email, register_user
from elearn.db import now_utc
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import LessonProgress, User

COURSES = ["safeguarding-essentials", "fgm-awareness", "child-sexual-exploitation", "child-on-child-abuse"]

PASSWORD = "load-test-passphrase-2026"  # noqa: S105 - a throwaway bench database


def main(count: int) -> None:
    app = create_app()
    with app.app_context():
        made = 0
        for n in range(count):
            email = f"learner{n:03d}@load.elearn.test"
            if find_user_by_email(email) is None:
                user = register_user(f"Load Learner {n:03d}", email, PASSWORD)
                made += 1
                opened_an_hour_ago(user)
                if n % 2 == 0:  # same first course as the locustfile gives learner n
                    enrolment = learning.enrol(learning.get_published_course(COURSES[n % len(COURSES)]), actor=user)
                    for lesson in learning.list_lessons(enrolment):
                        learning.record_lesson_read(enrolment, lesson, actor=user)
        print(f"seeded {made} learner(s); {count} in all")


def opened_an_hour_ago(user: User) -> None:
    """Enrol the learner on every course and record each lesson as first opened an hour ago (not completed)."""
    opened = now_utc() - timedelta(hours=1)
    for slug in COURSES:
        enrolment = learning.enrol(learning.get_published_course(slug), actor=user)
        for lesson in learning.list_lessons(enrolment):
            db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, first_opened_at=opened,
                                          last_seen_at=opened, seconds_spent=0))
    db.session.commit()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
