"""A manager corrects the name on a learner's certificates from the people pages, under the manager guard.

The name rule and the re-issue are certificates/names.py's (tested in tests/certificates); these tests are
about the page being a manager page like the others.
"""

from __future__ import annotations

from elearn.extensions import db
from tests.makers import days


def test_an_admin_corrects_a_name_once_the_learners_organisation_is_chosen(client, cast, course, make, sign_in):
    certificate = make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    sign_in(cast.admin)
    url = f"/manage/learners/{cast.learner_a.id}/name"
    assert client.get(url).status_code == 302  # no organisation chosen yet: off to the chooser
    assert client.get(f"{url}?org={cast.org_b.id}").status_code == 404
    page = client.get(f"{url}?org={cast.org_a.id}")
    assert page.status_code == 200 and "Ann Learner" in page.get_data(as_text=True)
    response = client.post(f"{url}?org={cast.org_a.id}", data={"display_name": "Ann Lerner"})
    assert response.status_code == 302 and f"org={cast.org_a.id}" in response.location
    db.session.refresh(certificate)
    assert certificate.learner_name == "Ann Lerner"


def test_the_name_page_sits_in_the_manager_layout(client, cast, sign_in):
    sign_in(cast.manager_a)
    page = client.get(f"/manage/learners/{cast.learner_a.id}/name").get_data(as_text=True)
    assert 'class="manage-nav"' in page and "Correct a learner’s name" in page
