"""Users: search, role changes, deactivation, moving between organisations."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from elearn.admin import service
from elearn.errors import NotAllowed, NotFound
from elearn.extensions import db
from elearn.models import AuditEvent, GroupMembership, Role, User


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_search_finds_by_name_or_email_in_any_case(client, make, cast, sign_in):
    sign_in(cast.admin)
    make.user(name="Priya Patel", email="priya@school.sch.uk")
    make.user(name="Tom Jones", email="tom@other.org.uk")
    page = client.get("/admin/users", query_string={"q": "PATEL"}).get_data(as_text=True)
    assert "priya@school.sch.uk" in page and "tom@other.org.uk" not in page
    page = client.get("/admin/users", query_string={"q": "other.org"}).get_data(as_text=True)
    assert "tom@other.org.uk" in page and "priya@school.sch.uk" not in page


def test_search_treats_wildcards_as_plain_characters(client, make, cast, sign_in):
    sign_in(cast.admin)
    make.user(name="Plain Name", email="plain@example.org")
    page = client.get("/admin/users", query_string={"q": "%"}).get_data(as_text=True)
    assert "plain@example.org" not in page and "Nobody matches" in page


@pytest.mark.parametrize("payload", ["' OR 1=1 --", "\"; DROP TABLE users; --", "<script>alert(1)</script>",
                                     "_", "\\", "%%", "x" * 500, "\u202e\u0000"])
def test_hostile_searches_are_escaped_and_never_fail(client, make, cast, sign_in, payload):
    sign_in(cast.admin)
    make.user(email="someone@example.org")
    before = db.session.scalar(select(func.count()).select_from(User))
    response = client.get("/admin/users", query_string={"q": payload})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == before


@pytest.mark.parametrize("page", ["-3", "0", "abc", "99999999999999999999"])
def test_odd_page_numbers_do_not_fail(client, cast, sign_in, page):
    sign_in(cast.admin)
    assert client.get("/admin/users", query_string={"page": page}).status_code == 200


def test_users_are_paginated(client, make, cast, sign_in):
    sign_in(cast.admin)
    for n in range(service.PER_PAGE + 5):
        make.user(email=f"person{n:03}@example.org")
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users", query_string={"page": 2}).get_data(as_text=True)
    assert "person000@example.org" in first and 'rel="next"' in first
    assert "person054@example.org" in second and "person000@example.org" not in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_user_list_runs_a_fixed_number_of_queries(make, cast, count_queries):
    def queries() -> int:
        db.session.refresh(cast.admin)
        with count_queries() as counter:
            page = service.search_users("", 1, actor=cast.admin)
            [person.organisation.name if person.organisation else None for person in page.items]
        return counter.count

    org = make.org()
    make.user(org=org)
    few = queries()
    for _ in range(10):
        make.user(org=make.org())
    assert queries() == few == 1


def test_a_role_change_is_saved_and_audited_with_old_and_new(client, make, cast, sign_in):
    admin = sign_in(cast.admin)
    person = make.user()
    response = client.post(f"/admin/users/{person.id}/role", data={"role-role": "manager"})
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.role == Role.MANAGER
    [event] = events("role.changed")
    assert (event.actor_id, event.subject_user_id) == (admin.id, person.id)
    assert event.details == {"old": "learner", "new": "manager"}
    assert event.ip == "127.0.0.1"


def test_an_unknown_role_is_refused(client, make, cast, sign_in):
    sign_in(cast.admin)
    person = make.user()
    assert client.post(f"/admin/users/{person.id}/role", data={"role-role": "superuser"}).status_code == 400
    db.session.refresh(person)
    assert person.role == Role.LEARNER and events("role.changed") == []


def test_an_admin_cannot_change_their_own_role(client, cast, sign_in):
    admin = sign_in(cast.admin)
    assert client.post(f"/admin/users/{admin.id}/role", data={"role-role": "learner"}).status_code == 403
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN


def test_the_services_refuse_anyone_but_an_admin(cast):
    manager, person = cast.manager_a, cast.learner_a
    with pytest.raises(NotAllowed):
        service.change_role(person, Role.ADMIN, actor=manager)
    with pytest.raises(NotAllowed):
        service.search_users("", 1, actor=manager)


def test_an_unknown_user_is_404(client, cast, sign_in):
    sign_in(cast.admin)
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/deactivate").status_code == 404


def test_deactivation_ends_the_users_sessions_at_once(client, make, login_as, other_browser, cast, sign_in):
    sign_in(cast.admin)
    person = login_as(make.user(), via=other_browser)
    assert other_browser.get("/my-learning").status_code == 200
    assert client.post(f"/admin/users/{person.id}/deactivate").status_code == 302
    response = other_browser.get("/my-learning")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.refresh(person)
    assert not person.is_active_account and person.deactivated_at is not None
    assert [e.subject_user_id for e in events("user.deactivated")] == [person.id]
    # and they cannot sign in again
    response = other_browser.post("/login", data={"email": person.email, "password": make.PASSWORD})
    assert response.status_code != 302


def test_reactivation_lets_them_sign_in_again(client, make, login_as, other_browser, cast, sign_in):
    sign_in(cast.admin)
    person = make.user()
    client.post(f"/admin/users/{person.id}/deactivate")
    client.post(f"/admin/users/{person.id}/activate")
    db.session.refresh(person)
    assert person.is_active_account and person.deactivated_at is None
    login_as(person, via=other_browser)
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("user.%")).order_by(AuditEvent.id))] == ["user.deactivated", "user.reactivated"]


def test_an_admin_cannot_deactivate_themselves(client, cast, sign_in):
    admin = sign_in(cast.admin)
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 403
    db.session.refresh(admin)
    assert admin.is_active_account


def test_moving_a_user_changes_organisation_leaves_old_groups_and_is_audited(client, make, cast, sign_in):
    sign_in(cast.admin)
    org_a, org_b, person = cast.org_a, cast.org_b, cast.learner_a
    make.group(org=org_a, members=[person])
    assert client.post(f"/admin/users/{person.id}/organisation", data={"move-organisation_id": org_b.id}).status_code == 302
    db.session.refresh(person)
    assert person.organisation_id == org_b.id and person.joined_organisation_at is not None
    assert db.session.scalar(select(func.count()).select_from(GroupMembership)) == 0
    [event] = events("user.organisation_changed")
    assert event.details == {"old": org_a.id, "new": org_b.id}


def test_moving_to_no_organisation_and_to_an_unknown_one(client, make, cast, sign_in):
    sign_in(cast.admin)
    org = make.org()
    person = make.user(org=org)
    assert client.post(f"/admin/users/{person.id}/organisation", data={"move-organisation_id": 999999}).status_code == 400
    client.post(f"/admin/users/{person.id}/organisation", data={"move-organisation_id": 0})
    db.session.refresh(person)
    assert person.organisation_id is None


def test_a_hostile_name_is_escaped_on_the_user_page(client, make, cast, sign_in):
    sign_in(cast.admin)
    person = make.user(name="<script>alert(1)</script>")
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_a_deactivation_by_anyone_starts_the_retention_clock(make):
    person = make.user()
    person.is_active_account = False
    assert person.deactivated_at is not None
    person.is_active_account = True
    assert person.deactivated_at is None


def test_role_changes_refuse_deleted_accounts(make, cast):
    from elearn.privacy.service import delete_account

    person = make.user()
    delete_account(person, make.PASSWORD, actor=person)
    with pytest.raises(NotFound):  # a deleted account is no one's to act on
        service.change_role(person, Role.MANAGER, actor=cast.admin)
    with pytest.raises(NotFound):
        service.set_active(person, True, actor=cast.admin)
