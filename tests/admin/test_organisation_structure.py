"""The admin sets out the tier above the school: trusts and partnerships, and each setting's trust, phase and
independence."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from elearn.admin import service
from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import AuditEvent, Organisation, OrganisationKind, Phase


def _named(name):  # type: ignore[no-untyped-def]
    return db.session.scalars(select(Organisation).where(Organisation.name == name)).one()


def test_an_admin_creates_a_trust_then_a_school_in_it_with_its_phase(client, cast, sign_in):
    sign_in(cast.admin)
    assert client.post("/admin/organisations/new", data={
        "name": "Oak Trust", "kind": "trust", "retention_months": "24"}).status_code == 302
    trust = _named("Oak Trust")
    assert trust.kind == OrganisationKind.TRUST
    assert client.post("/admin/organisations/new", data={
        "name": "Acorn Primary", "kind": "setting", "trust_id": str(trust.id), "phase": "primary",
        "is_independent": "y", "retention_months": "24"}).status_code == 302
    school = _named("Acorn Primary")
    assert (school.trust_id, school.phase, school.is_independent) == (trust.id, Phase.PRIMARY, True)
    listing = client.get("/admin/organisations").get_data(as_text=True)
    assert "Oak Trust" in listing and "Primary" in listing


def test_an_admin_creates_a_partnership(client, cast, sign_in):
    sign_in(cast.admin)
    assert client.post("/admin/organisations/new", data={
        "name": "Shire Partnership", "kind": "partnership", "retention_months": "24"}).status_code == 302
    assert _named("Shire Partnership").kind == OrganisationKind.PARTNERSHIP


def test_moving_a_school_to_a_trust_is_audited_with_old_and_new(client, make, cast, sign_in):
    sign_in(cast.admin)
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    assert client.post(f"/admin/organisations/{cast.org_a.id}", data={
        "name": "Alder Primary", "kind": "setting", "trust_id": str(trust.id), "phase": "secondary",
        "retention_months": "24", "keep_certificate_names": "y"}).status_code == 302
    assert (cast.org_a.trust_id, cast.org_a.phase) == (trust.id, Phase.SECONDARY)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.updated")).one()
    assert event.details["changes"]["trust_id"] == {"old": None, "new": trust.id}


@pytest.mark.parametrize("bad", ["a school", "itself", "a trust in a trust"])
def test_a_setting_belongs_only_to_a_trust_and_the_form_says_so(client, make, cast, sign_in, bad):
    sign_in(cast.admin)
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    target, data = cast.org_a, {"name": "Alder Primary", "kind": "setting", "retention_months": "24"}
    if bad == "a school":
        data["trust_id"] = str(cast.org_b.id)
    elif bad == "itself":
        target, data = trust, {**data, "name": "Oak Trust", "trust_id": str(trust.id)}
    else:
        target, data = trust, {**data, "name": "Oak Trust", "kind": "trust", "trust_id": str(make.org(
            name="Elm Trust", kind=OrganisationKind.TRUST).id)}
    response = client.post(f"/admin/organisations/{target.id}", data=data)
    assert response.status_code == 422
    db.session.refresh(target)
    assert target.trust_id is None


def test_a_trust_with_schools_stays_a_trust_until_they_move(make, cast):
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    make.org(name="Acorn Primary", trust=trust)
    with pytest.raises(InvalidInput, match="owns settings"):
        service.update_organisation(trust, "Oak Trust", 24, True, actor=cast.admin,
                                    structure=service.Structure(OrganisationKind.SETTING))
    assert trust.kind == OrganisationKind.TRUST
