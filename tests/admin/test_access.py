"""Every /admin route: anonymous → login, learner and manager → 403, admin → 200 (GET)."""

from __future__ import annotations

import re

import pytest

from elearn.models import Role


def admin_rules(app):  # type: ignore[no-untyped-def]
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]


@pytest.fixture
def objects(cast, course):  # type: ignore[no-untyped-def]
    return {"org_id": cast.org_a.id, "user_id": cast.learner_a.id, "course_id": course.id}


def paths(app, objects, method):  # type: ignore[no-untyped-def]
    found = []
    for rule in admin_rules(app):
        if method in rule.methods:
            found.append(re.sub(r"<int:([a-z_]+)>", lambda m: str(objects[m.group(1)]), rule.rule))
    return sorted(found)


def test_the_admin_area_has_the_expected_routes(app):
    endpoints = {rule.endpoint for rule in admin_rules(app)}
    assert {"admin.index", "admin.organisations", "admin.users", "admin.courses", "admin.audit",
            "admin.change_role", "admin.deactivate_user", "admin.publish_course"} <= endpoints
    assert all(rule.rule.startswith("/admin") for rule in admin_rules(app))


def test_anonymous_visitors_are_sent_to_log_in(app, client, objects):
    for path in paths(app, objects, "GET"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for path in paths(app, objects, "POST"):
        response = client.post(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MANAGER])
def test_learners_and_managers_are_refused(app, client, cast, login_as, objects, role):
    login_as({Role.LEARNER: cast.learner_a, Role.MANAGER: cast.manager_a}[role])
    for path in paths(app, objects, "GET"):
        assert client.get(path).status_code == 403, path
    for path in paths(app, objects, "POST"):
        assert client.post(path, data={"role": "admin", "organisation_id": objects["org_id"]}).status_code == 403, path


def test_an_admin_sees_every_page(app, client, cast, sign_in, objects):
    sign_in(cast.admin)
    for path in paths(app, objects, "GET"):
        assert client.get(path).status_code == 200, path


def test_the_admin_index_links_to_certificate_revocation_when_it_exists(app, client, cast, sign_in):
    sign_in(cast.admin)
    page = client.get("/admin").get_data(as_text=True)
    if "certificates.admin_list" in app.view_functions:
        assert 'href="/admin/certificates"' in page
    assert 'href="/admin/audit"' in page


def test_only_admins_see_the_admin_link(client, make, login_as, other_browser, cast, sign_in):
    sign_in(cast.admin)
    assert 'href="/admin"' in client.get("/my-learning").get_data(as_text=True)
    login_as(make.user(), via=other_browser)
    assert 'href="/admin"' not in other_browser.get("/my-learning").get_data(as_text=True)


def test_every_admin_post_route_refuses_get(app, client, cast, sign_in, objects):
    sign_in(cast.admin)
    for path in paths(app, objects, "POST"):
        if path.endswith(("/new",)) or re.search(r"/organisations/\d+$", path):
            continue  # these are forms: GET shows them
        assert client.get(path).status_code == 405, path
