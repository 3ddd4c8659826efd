"""Every learner page runs a fixed, small number of SQL statements, and a page read again writes nothing.

The budget (issue 19) is five statements per learner page view, counted from the start of the request to the
end of the response: the session lookup (with the user and their organisation), the page's own reads, and any
write the visit makes. The world is the template sweep's (tests/test_template_queries.py): a learner who has done
everything and holds a certificate an update is owed against, with an assignment, a sign-off to read, and
contacts; and a second learner part-way through an attempt. Each page is requested once first, so the budget
is that of a process that has served the course before (published versions' lessons and questions are read
once per process: elearn/published.py); the cold case is tested apart.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.test_template_queries import World, world  # noqa: F401  (the sweep's world, used as a fixture here)

BUDGET = 5
# My learning composes five features' panels: the session, the courses, the assignments at every setting worked at
# (one grid, titles joined in), the certificates (one read for the refresher and update panels) and the sign-offs.
MY_LEARNING_BUDGET = 5


def _learner_pages(world: World) -> list[tuple[str, str, int]]:  # noqa: F811
    """(persona, url, budget) for every learner page."""
    done, open_ = world.values["learner"], world.values["learner_open"]
    slug = done["slug"]
    return [
        ("learner", "/courses", BUDGET),
        ("learner", f"/courses/{slug}", BUDGET),
        ("learner", f"/courses/{slug}/lessons/1", BUDGET),
        ("learner", f"/courses/{slug}/lessons/2", BUDGET),
        ("learner", f"/courses/{slug}/lessons/3", BUDGET),
        ("learner", "/my-learning", MY_LEARNING_BUDGET),
        ("learner", f"/attempts/{done['attempt_id']}/result", BUDGET),
        ("learner", f"/courses/{slug}/assessment", BUDGET),
        ("learner", "/my-certificates", BUDGET),
        ("learner_open", f"/courses/{slug}", BUDGET),
        ("learner_open", "/my-learning", MY_LEARNING_BUDGET),
        ("learner_open", f"/attempts/{open_['attempt_id']}/questions/1", BUDGET),
        ("learner_open", f"/attempts/{open_['attempt_id']}/questions/2", BUDGET),
        ("learner_open", f"/attempts/{open_['attempt_id']}/all", BUDGET),
        ("learner_open", f"/attempts/{open_['attempt_id']}/confirm", BUDGET),
    ]


def test_every_learner_page_stays_within_its_statement_budget(client: FlaskClient, world, sign_in,  # noqa: F811
                                                              count_queries):
    over = []
    for persona, url, budget in _learner_pages(world):
        sign_in(world.users[persona])
        assert client.get(url).status_code == 200, url
        with count_queries() as counter:
            assert client.get(url).status_code == 200, url
        if counter.count > budget:
            over.append(f"{persona} GET {url}: {int(counter.count)} statements, budget {budget}:\n  "
                        + "\n  ".join(" ".join(s.split())[:200] for s in counter.statements))
    assert not over, "\n".join(over)


def test_a_learner_page_read_again_writes_nothing(client: FlaskClient, world, sign_in, count_queries):  # noqa: F811
    for persona, url, _budget in _learner_pages(world):
        sign_in(world.users[persona])
        client.get(url)
        with count_queries() as counter:
            client.get(url)
        assert counter.writes == [], f"{persona} GET {url} wrote: {counter.writes}"


def test_a_process_reads_a_published_versions_lessons_and_questions_once(app: Flask, client: FlaskClient,
                                                                          world, sign_in, count_queries):  # noqa: F811
    slug, attempt_id = world.values["learner"]["slug"], world.values["learner_open"]["attempt_id"]
    sign_in(world.users["learner_open"])
    for url, table in ((f"/courses/{slug}/lessons/2", "lessons"), (f"/attempts/{attempt_id}/questions/1", "questions")):
        client.get(url)  # the visit's own writes (the resume point moves) happen here
        app.extensions.pop("elearn.published", None)  # as a fresh process
        with count_queries() as cold:
            client.get(url)
        with count_queries() as warm:
            client.get(url)
        assert [s for s in cold.statements if f"FROM {table}" in s], f"{url}: the first view reads {table}"
        assert not [s for s in warm.statements if f"FROM {table}" in s], f"{url}: the second reads no {table}"
        assert cold.count - warm.count in (1, 2)  # the questions come with their options: one more for those
        assert warm.writes == []


@pytest.mark.parametrize("url", ["/courses", "/courses/sample-course"])
def test_an_anonymous_visitor_gets_the_catalogue_within_budget(client: FlaskClient, make, url, count_queries):
    make.course()
    client.get(url)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    assert counter.count <= BUDGET, counter.count


def test_my_learning_builds_its_statement_once_per_process_and_each_person_gets_their_own_rows(
        client: FlaskClient, make, course, login_as):
    """Building My learning's grid statement cost more than running it, so it is built once with bound values
    (elearn/compliance/learners.py); the person and today are parameters, never baked into it."""
    from elearn.compliance.learners import _my_training_statement, my_training

    org = make.org()
    ann, bob = make.user(name="Ann", org=org), make.user(name="Bob", org=org)
    make.assignment(user=ann, course=course, due_in_days=-3)
    my_training(bob)
    built = _my_training_statement.cache_info().misses
    assert [(a.course_id, a.status.value) for a in my_training(ann).assignments] == [(course.id, "overdue")]
    assert my_training(bob).assignments == []
    assert _my_training_statement.cache_info().misses == built
