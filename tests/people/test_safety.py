"""Destructive actions confirm first and can be undone for 10 minutes; People lists and searches staff;
invitations can be sent again; numbers and nouns agree."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from elearn import undo
from elearn.compliance import removals
from elearn.db import now_utc
from elearn.errors import Conflict, InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import Assignment, AuditEvent, Group, GroupMembership, Invitation, User
from elearn.people import invitations, service
from elearn.people.invitations import accept_invitation, invite_person
from elearn.wording import plural


def _token(outbox) -> str:  # type: ignore[no-untyped-def]
    return outbox[-1].get_content().split("/invitations/")[1].split()[0]


def _undo_form(page: str) -> tuple[str, str]:
    """The action and token of the Undo button in a page's flash message."""
    form = re.search(r'<form method="post" action="([^"]+)" class="flash flash-undo">.*?name="token" value="([^"]+)"', page, re.DOTALL)
    assert form is not None, page
    return form.group(1), form.group(2)


def _events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def _later(monkeypatch, minutes: int) -> None:  # type: ignore[no-untyped-def]
    """Move the undo rule's clock `minutes` past the real now."""
    moment = now_utc() + timedelta(minutes=minutes)
    monkeypatch.setattr(undo, "now_utc", lambda: moment)


# --- plurals -------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "one", "many", "expected"), [
    (0, "person", "people", "0 people"),
    (1, "person", "people", "1 person"),
    (2, "person", "people", "2 people"),
    (1, "invitation", None, "1 invitation"),
    (3, "invitation", None, "3 invitations"),
    (1500, "person", "people", "1,500 people"),
])
def test_a_count_takes_the_noun_in_the_right_number(count, one, many, expected):
    assert plural(count, one, many) == expected


def test_templates_share_the_plural_rule(app):
    with app.app_context():
        render = app.jinja_env.from_string("{{ n|plural('person', 'people') }}; {{ n|plural('course') }}").render
        assert render(n=1) == "1 person; 1 course"
        assert render(n=2) == "2 people; 2 courses"


def test_assigning_to_one_person_says_person(client, cast, course, sign_in, make):
    group = make.group(org=cast.org_a, members=[cast.learner_a])
    sign_in(cast.manager_a)
    response = client.post("/manage/assignments", data={"course_id": course.id, "audience": "group", "group_id": group.id,
                                                        "due_on": (now_utc() + timedelta(days=30)).date().isoformat()},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Assigned to 1 person; 0 people already had it." in text and "1 people" not in text


# --- confirm pages -------------------------------------------------------------------------


def test_deactivating_asks_first_and_only_the_post_acts(client, cast, sign_in):
    sign_in(cast.manager_a)
    page = client.get(f"/manage/people/{cast.learner_a.id}/deactivate")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Deactivate {cast.learner_a.display_name}?" in text and f'action="/manage/people/{cast.learner_a.id}/deactivate"' in text
    assert db.session.get(User, cast.learner_a.id).is_active_account is True
    record = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert f'href="/manage/people/{cast.learner_a.id}/deactivate"' in record  # the record links to the confirm page
    client.post(f"/manage/people/{cast.learner_a.id}/deactivate")
    assert db.session.get(User, cast.learner_a.id).is_active_account is False


def test_removing_an_assignment_asks_first(client, cast, course, sign_in, make):
    assignment_id = make.assignment(user=cast.learner_a, course=course).id
    sign_in(cast.manager_a)
    page = client.get(f"/manage/assignments/{assignment_id}/remove")
    assert page.status_code == 200 and "Remove the assignment" in page.get_data(as_text=True)
    assert db.session.get(Assignment, assignment_id) is not None
    assert f'href="/manage/assignments/{assignment_id}/remove"' in client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert client.post(f"/manage/assignments/{assignment_id}/remove").status_code == 302
    assert db.session.get(Assignment, assignment_id) is None


def test_withdrawing_an_invitation_and_deleting_a_group_ask_first(client, cast, sign_in, make):
    invitation = make.invitation(org=cast.org_a)
    group = make.group(org=cast.org_a)
    sign_in(cast.manager_a)
    assert "Withdraw the invitation" in client.get(f"/manage/invitations/{invitation.id}/cancel").get_data(as_text=True)
    assert "Delete the group" in client.get(f"/manage/groups/{group.id}/delete").get_data(as_text=True)
    assert db.session.get(Invitation, invitation.id).cancelled_at is None and db.session.get(Group, group.id) is not None


# --- undo ----------------------------------------------------------------------------------


def test_undoing_a_removal_restores_exactly_the_assignment_removed(client, cast, course, sign_in, make):
    assignment = make.assignment(user=cast.learner_a, course=course, due_in_days=12)
    before = (assignment.id, assignment.user_id, assignment.course_id, assignment.due_on, assignment.source,
              assignment.assigned_at, assignment.assigned_by_id)
    sign_in(cast.manager_a)
    page = client.post(f"/manage/assignments/{assignment.id}/remove", follow_redirects=True).get_data(as_text=True)
    action, token = _undo_form(page)
    assert client.post(action, data={"token": token}).status_code == 302
    db.session.expire_all()
    back = db.session.get_one(Assignment, assignment.id)
    assert (back.id, back.user_id, back.course_id, back.due_on, back.source, back.assigned_at, back.assigned_by_id) == before
    assert _events("assignment.removed") == 1 and _events("assignment.restored") == 1


def test_an_undo_after_ten_minutes_is_refused(client, cast, course, sign_in, make, monkeypatch):
    assignment = make.assignment(user=cast.learner_a, course=course)
    token = removals.remove_assignment(cast.org_a, assignment.id, actor=cast.manager_a)
    _later(monkeypatch, 9)
    removals.restore_assignment(cast.org_a, token, actor=cast.manager_a)  # still in time
    token = removals.remove_assignment(cast.org_a, assignment.id, actor=cast.manager_a)
    _later(monkeypatch, 9 + 11)  # that token was made at minute 9
    with pytest.raises(Conflict):
        removals.restore_assignment(cast.org_a, token, actor=cast.manager_a)
    sign_in(cast.manager_a)
    assert client.post("/manage/assignments/undo-remove", data={"token": token}).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_undoing_a_deactivation_reactivates_the_member(client, cast, sign_in):
    sign_in(cast.manager_a)
    page = client.post(f"/manage/people/{cast.learner_a.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    action, token = _undo_form(page)
    assert action == "/manage/people/undo-deactivate"
    client.post(action, data={"token": token})
    db.session.expire_all()
    assert db.session.get_one(User, cast.learner_a.id).is_active_account is True
    assert _events("member.reactivated") == 1


def test_undoing_a_withdrawal_makes_the_same_link_work_again(client, cast, sign_in, outbox):
    invitation = invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    link = _token(outbox)
    sign_in(cast.manager_a)
    page = client.post(f"/manage/invitations/{invitation.id}/cancel", follow_redirects=True).get_data(as_text=True)
    action, token = _undo_form(page)
    client.post(action, data={"token": token})
    assert _events("invitation.restored") == 1
    assert accept_invitation(link, "Ivy", "a long invitee passphrase").organisation_id == cast.org_a.id


def test_undoing_a_group_deletion_brings_back_its_name_and_members(client, cast, sign_in, make):
    group = make.group(org=cast.org_a, name="Governors", members=[cast.learner_a, cast.second_learner_a])
    sign_in(cast.manager_a)
    page = client.post(f"/manage/groups/{group.id}/delete", follow_redirects=True).get_data(as_text=True)
    action, token = _undo_form(page)
    client.post(action, data={"token": token})
    back = db.session.scalar(select(Group).where(Group.organisation_id == cast.org_a.id, Group.name == "Governors"))
    members = set(db.session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == back.id)))
    assert members == {cast.learner_a.id, cast.second_learner_a.id} and _events("group.restored") == 1


def test_a_forged_or_empty_undo_token_is_refused(cast):
    with pytest.raises(NotFound):
        service.undo_deactivation(cast.org_a, "eyJrIjoibWVtYmVyLmRlYWN0aXZhdGVkIn0.forged", actor=cast.manager_a)
    with pytest.raises(InvalidInput):
        service.undo_deactivation(cast.org_a, "", actor=cast.manager_a)


def test_an_undo_token_works_only_for_its_kind_of_change(cast):
    token = service.deactivate_member(cast.org_a, cast.learner_a.id, actor=cast.manager_a)
    with pytest.raises(NotFound):
        removals.restore_assignment(cast.org_a, token, actor=cast.manager_a)


# --- two organisations ---------------------------------------------------------------------


def test_a_manager_of_b_gets_404_for_a_s_confirm_pages_resend_and_undo_tokens(client, cast, course, sign_in, make, outbox):
    assignment = make.assignment(user=cast.learner_a, course=course)
    invitation = invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    group = make.group(org=cast.org_a, members=[cast.second_learner_a])
    other_group = make.group(org=cast.org_a, name="Governors", members=[cast.second_learner_a])
    rule_id = service.save_new_starter_rule(cast.org_a, course.id, 21, actor=cast.manager_a).id
    sign_in(cast.manager_b)
    for url in (f"/manage/people/{cast.learner_a.id}/deactivate", f"/manage/assignments/{assignment.id}/remove",
                f"/manage/invitations/{invitation.id}/cancel", f"/manage/groups/{group.id}/delete",
                f"/manage/new-starters/{rule_id}/delete"):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert client.post(f"/manage/invitations/{invitation.id}/resend").status_code == 404
    assert len(outbox) == 1
    tokens = {
        "/manage/people/undo-deactivate": service.deactivate_member(cast.org_a, cast.learner_a.id, actor=cast.manager_a),
        "/manage/assignments/undo-remove": removals.remove_assignment(cast.org_a, assignment.id, actor=cast.manager_a),
        "/manage/invitations/undo-cancel": invitations.cancel_invitation(cast.org_a, invitation.id, actor=cast.manager_a),
        "/manage/groups/undo-delete": service.delete_group(cast.org_a, group.id, actor=cast.manager_a),
        "/manage/people/undo-groups": service.change_member_groups(cast.org_a, cast.second_learner_a.id, [],
                                                                   actor=cast.manager_a),
        "/manage/new-starters/undo-delete": service.delete_new_starter_rule(cast.org_a, rule_id, actor=cast.manager_a),
    }
    for url, token in tokens.items():
        assert client.post(url, data={"token": token}).status_code == 404, url
    db.session.expire_all()
    assert db.session.get_one(User, cast.learner_a.id).is_active_account is False
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    assert db.session.get_one(Invitation, invitation.id).cancelled_at is not None
    assert set(db.session.scalars(select(Group.id))) == {other_group.id}
    assert db.session.scalar(select(func.count()).select_from(GroupMembership)) == 0
    assert service.list_new_starter_rules(cast.org_a) == []


# --- resending an invitation ---------------------------------------------------------------


def test_resending_emails_a_new_link_and_spends_the_old_one(client, cast, sign_in, outbox):
    invitation = invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    old_link = _token(outbox)
    sign_in(cast.manager_a)
    assert client.post(f"/manage/invitations/{invitation.id}/resend").status_code == 302
    assert len(outbox) == 2 and outbox[-1]["To"] == "ivy@alder.sch.uk"
    new_link = _token(outbox)
    assert new_link != old_link and _events("invitation.resent") == 1
    with pytest.raises(InvalidInput):
        accept_invitation(old_link, "Ivy", "a long invitee passphrase")
    assert accept_invitation(new_link, "Ivy", "a long invitee passphrase").organisation_id == cast.org_a.id


def test_an_expired_invitation_is_listed_and_can_be_sent_again(client, cast, sign_in, outbox):
    invitation = invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    invitation.expires_at = now_utc() - timedelta(days=1)
    db.session.commit()
    sign_in(cast.manager_a)
    page = client.get("/manage/people").get_data(as_text=True)
    assert "Expired" in page and f"/manage/invitations/{invitation.id}/resend" in page
    fresh = invitations.resend_invitation(cast.org_a, invitation.id, actor=cast.manager_a)
    assert fresh.expires_at > now_utc()


def test_an_accepted_or_withdrawn_invitation_cannot_be_resent(cast, outbox):
    invitation = invite_person(cast.org_a, "Ivy", "ivy@alder.sch.uk", group_id=None, actor=cast.manager_a)
    invitations.cancel_invitation(cast.org_a, invitation.id, actor=cast.manager_a)
    with pytest.raises(Conflict):
        invitations.resend_invitation(cast.org_a, invitation.id, actor=cast.manager_a)
    assert len(outbox) == 1


# --- people list and search ----------------------------------------------------------------


def test_people_lists_the_organisations_staff_and_nobody_elses(client, cast, sign_in):
    sign_in(cast.manager_a)
    page = client.get("/manage/people").get_data(as_text=True)
    assert cast.learner_a.display_name in page and cast.second_learner_a.email in page
    assert cast.learner_b.email not in page


def test_people_search_matches_name_or_email_in_any_case(cast, make):
    make.user(org=cast.org_a, name="Priya Patel", email="p.patel@alder.sch.uk")
    make.user(org=cast.org_a, name="Sam 100% Smith", email="sam@alder.sch.uk")
    assert [u.display_name for u in service.search_members(cast.org_a, "PRIYA").members] == ["Priya Patel"]
    assert [u.display_name for u in service.search_members(cast.org_a, "p.patel@").members] == ["Priya Patel"]
    assert [u.display_name for u in service.search_members(cast.org_a, "100%").members] == ["Sam 100% Smith"]
    assert service.search_members(cast.org_a, cast.learner_b.email).total == 0  # another organisation's


def test_people_are_paged_and_the_page_costs_the_same_queries_at_any_size(client, cast, make, sign_in, count_queries):
    sign_in(cast.manager_a)
    counts = []
    for extra in (5, 60):
        for _ in range(extra - (counts and 5 or 0)):
            make.user(org=cast.org_a)
        with count_queries() as counter:
            assert client.get("/manage/people").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    found = service.search_members(cast.org_a, "", page=2)
    assert found.page == 2 and found.pages == 2 and len(found.members) == found.total - service.PEOPLE_PAGE_SIZE
    assert "Page 1 of 2" in client.get("/manage/people").get_data(as_text=True)


def test_taking_someone_out_of_a_group_can_be_undone(client, cast, sign_in, make):
    kept, left = make.group(org=cast.org_a, name="Teaching staff", members=[cast.learner_a]), \
        make.group(org=cast.org_a, name="Governors", members=[cast.learner_a])
    sign_in(cast.manager_a)
    page = client.post(f"/manage/people/{cast.learner_a.id}/groups", data={"group_ids": [kept.id]},
                       follow_redirects=True).get_data(as_text=True)
    action, token = _undo_form(page)
    client.post(action, data={"token": token})
    mine = set(db.session.scalars(select(GroupMembership.group_id).where(GroupMembership.user_id == cast.learner_a.id)))
    assert mine == {kept.id, left.id}


def test_adding_someone_to_a_group_offers_no_undo(client, cast, sign_in, make):
    group = make.group(org=cast.org_a)
    sign_in(cast.manager_a)
    page = client.post(f"/manage/people/{cast.learner_a.id}/groups", data={"group_ids": [group.id]},
                       follow_redirects=True).get_data(as_text=True)
    assert "Groups saved." in page and "flash-undo" not in page


def test_removing_a_new_starter_rule_asks_first_and_can_be_undone(client, cast, course, sign_in):
    rule = service.save_new_starter_rule(cast.org_a, course.id, 21, actor=cast.manager_a)
    rule_id = rule.id
    sign_in(cast.manager_a)
    assert "Remove the rule" in client.get(f"/manage/new-starters/{rule_id}/delete").get_data(as_text=True)
    page = client.post(f"/manage/new-starters/{rule_id}/delete", follow_redirects=True).get_data(as_text=True)
    action, token = _undo_form(page)
    client.post(action, data={"token": token})
    (back,) = service.list_new_starter_rules(cast.org_a)
    assert (back.course_id, back.due_in_days) == (course.id, 21)
