"""measure"""
from __future__ import annotations

from tests.test_template_queries import world  # noqa: F401


def test_measure(client, world, sign_in, count_queries):  # noqa: F811
    learner, learner_open = world.users["learner"], world.users["learner_open"]
    v = world.values["learner"]
    pages = ["/courses", f"/courses/{v['slug']}"] + [f"/courses/{v['slug']}/lessons/{n}" for n in (1, 2, 3)] + [
        "/my-learning", f"/attempts/{v['attempt_id']}/result"]
    sign_in(learner)
    for url in pages:
        client.get(url)
        with count_queries() as c:
            r = client.get(url)
        print("\n==", url, r.status_code, int(c.count))
        for s in c.statements:
            print("   ", " ".join(s.split())[:160])
    sign_in(learner_open)
    o = world.values["learner_open"]
    for url in [f"/courses/{v['slug']}", "/my-learning", f"/attempts/{o['attempt_id']}/questions/1", f"/attempts/{o['attempt_id']}/all"]:
        client.get(url)
        with count_queries() as c:
            r = client.get(url)
        print("\n==", url, r.status_code, int(c.count))
        for s in c.statements:
            print("   ", " ".join(s.split())[:160])
