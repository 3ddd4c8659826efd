"""Seed N learners with a known password through the real service, register_user (Argon2 and all).

Every other learner has already read the lessons of their first course (enrol and record_lesson_read,
the real services), as if they had done so yesterday: they go straight to the assessment, so attempts,
passes and certificates happen inside the one-minute run even when the server is saturated.

Run inside the app's venv with the same environment as the server: `python bench/load/seed.py 200`.
"""

from __future__ import annotations

import sys

from elearn import create_app
from elearn.auth.service import find_user_by_email, register_user
from elearn.learning import service as learning

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
                if n % 2 == 0:  # same first course as the locustfile gives learner n
                    enrolment = learning.enrol(learning.get_published_course(COURSES[n % len(COURSES)]), actor=user)
                    for lesson in learning.list_lessons(enrolment):
                        learning.record_lesson_read(enrolment, lesson, actor=user)
        print(f"seeded {made} learner(s); {count} in all")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
