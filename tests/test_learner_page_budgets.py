"""measure"""
from __future__ import annotations

from sqlalchemy import select

from elearn.assessment import service as assessment
from elearn.models import Certificate
from elearn.extensions import db
from tests.assessment.helpers import right, sheet


def test_measure(client, make, sign_in, count_queries, cast):
    course = make.course()
    learner = cast.learner_a
    make.contact(org=cast.org_a)
    make.assignment(user=learner, course=course, due_in_days=30)
    enrolment = make.enrolment(user=learner, course=course, lessons_done="all")
    attempt = assessment.start_attempt(enrolment, actor=learner)
    assessment.save_answers(attempt, sheet(attempt, right), actor=learner)
    assessment.submit_attempt(attempt, actor=learner)
    other = make.enrolment(user=cast.second_learner_a, course=course, lessons_done="all")
    open_attempt = assessment.start_attempt(other, actor=cast.second_learner_a)
    sign_in(learner)
    pages = ["/courses", "/courses/sample-course", "/courses/sample-course/lessons/1",
             "/courses/sample-course/lessons/2", "/courses/sample-course/lessons/3", "/my-learning",
             f"/attempts/{attempt.id}/result", "/my-certificates"]
    for url in pages:
        client.get(url)
        with count_queries() as c:
            r = client.get(url)
        print("\n==", url, r.status_code, int(c.count))
        for s in c.statements:
            print("   ", " ".join(s.split())[:200])
    sign_in(cast.second_learner_a)
    for url in [f"/attempts/{open_attempt.id}/questions/1", f"/attempts/{open_attempt.id}/all"]:
        client.get(url)
        with count_queries() as c:
            r = client.get(url)
        print("\n==", url, r.status_code, int(c.count))
        for s in c.statements:
            print("   ", " ".join(s.split())[:200])
