"""An organisation's single sign-on settings, and what requiring it does to password sign-in."""

from __future__ import annotations

from sqlalchemy import select

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import AuditEvent, SsoConnection
from tests.sso.conftest import TENANT


def connection(org, **options):  # type: ignore[no-untyped-def]
    row = SsoConnection(organisation_id=org.id, provider="microsoft", tenant=TENANT, confirmed_at=now_utc(), **options)
    db.session.add(row)
    db.session.commit()
    return row


def test_a_manager_connects_their_tenant(client, login_as, cast):
    login_as(cast.manager_a)
    response = client.post("/manage/sso/connections", data={"provider": "microsoft", "tenant": TENANT.upper(),
                                                             "auto_join": "y"})
    assert response.status_code == 302
    row = db.session.scalar(select(SsoConnection))
    assert (row.organisation_id, row.tenant, row.auto_join, row.require_sso) == (cast.org_a.id, TENANT, True, False)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "sso.connection_added"))


def test_a_tenant_belongs_to_one_organisation(client, login_as, cast):
    connection(cast.org_a)
    login_as(cast.manager_b)
    response = client.post("/manage/sso/connections", data={"provider": "microsoft", "tenant": TENANT})
    assert response.status_code == 422 and "already connected" in response.get_data(as_text=True)
    assert db.session.scalar(select(SsoConnection.organisation_id)) == cast.org_a.id


def test_a_tenant_that_is_not_a_guid_is_refused_with_an_example(client, login_as, cast):
    login_as(cast.manager_a)
    response = client.post("/manage/sso/connections", data={"provider": "microsoft", "tenant": "contoso.com"})
    assert response.status_code == 422 and "Enter the tenant ID" in response.get_data(as_text=True)
    assert db.session.scalar(select(SsoConnection)) is None


def test_a_manager_cannot_change_or_remove_another_organisations_connection(client, login_as, cast):
    row = connection(cast.org_a)
    login_as(cast.manager_b)
    assert client.post(f"/manage/sso/connections/{row.id}", data={"c{row.id}-require_sso": "y"}).status_code == 404
    assert client.post(f"/manage/sso/connections/{row.id}/delete").status_code == 404
    db.session.refresh(row)
    assert row.require_sso is False


def test_a_manager_requires_single_sign_on_and_disconnects(client, login_as, cast):
    row = connection(cast.org_a)
    login_as(cast.manager_a)
    assert client.post(f"/manage/sso/connections/{row.id}", data={f"c{row.id}-require_sso": "y"}).status_code == 302
    db.session.refresh(row)
    assert (row.require_sso, row.auto_join) == (True, False)
    assert client.post(f"/manage/sso/connections/{row.id}/delete").status_code == 302
    assert db.session.scalar(select(SsoConnection)) is None


def test_learners_cannot_open_the_settings(client, login_as, cast):
    login_as(cast.learner_a)
    assert client.get("/manage/sso").status_code == 403


def test_the_settings_page_lists_only_this_organisations_connections(client, login_as, cast):
    connection(cast.org_b)
    login_as(cast.manager_a)
    page = client.get("/manage/sso").get_data(as_text=True)
    assert TENANT not in page and "Nothing connected yet" in page
    assert "single sign-on settings" in client.get("/manage/settings").get_data(as_text=True)


def test_when_the_organisation_requires_it_password_sign_in_is_refused_with_the_way_in(client, cast, make):
    connection(cast.org_a, require_sso=True)
    response = client.post("/login", data={"email": cast.learner_a.email, "password": make.PASSWORD})
    assert response.status_code == 403
    assert "Your organisation signs in with Microsoft" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # not signed in
    assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "login.refused"))[
        "reason"] == "single sign-on required"
    # refused, so not signed in: no success in the audit log and no last sign-in time
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "login.succeeded")) is None
    db.session.refresh(cast.learner_a)
    assert cast.learner_a.last_login_at is None


def test_a_wrong_password_reads_the_same_whether_or_not_sso_is_required(client, cast):
    connection(cast.org_a, require_sso=True)
    response = client.post("/login", data={"email": cast.learner_a.email, "password": "not the password"})
    assert response.status_code == 422 and "Microsoft" not in response.get_data(as_text=True)


def test_other_organisations_and_admins_still_sign_in_with_a_password(client, other_browser, cast, login_as):
    connection(cast.org_a, require_sso=True)
    login_as(cast.learner_b)
    login_as(cast.admin, via=other_browser)
