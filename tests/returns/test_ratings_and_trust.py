"""Red, amber and green by configurable descriptors (elearn/returns/ratings.py), and the trust lead's view of its
schools side by side with its board report."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from frictionless import Resource, Schema, validate
from sqlalchemy import select

from elearn.errors import InvalidInput
from elearn.extensions import db
from elearn.models import AuditEvent, OrganisationKind, PartnershipMember, Role
from elearn.returns import ratings
from elearn.returns.measures import MEASURE_KEYS, AcademicYear
from elearn.returns.ratings import DEFAULTS, Threshold, rate, set_threshold, thresholds_for
from elearn.returns.service import draft_return
from tests.returns.test_signoff import confirm_and_sign

STATUTORY = DEFAULTS["induction"]


@pytest.mark.parametrize(("numerator", "denominator", "threshold", "expected"), [
    (10, 10, STATUTORY, "green"),
    (9, 10, STATUTORY, "amber"),  # exactly 90%
    (89, 100, STATUTORY, "red"),
    (99, 100, STATUTORY, "amber"),
    (0, 0, STATUTORY, "not_applicable"),
    (4, 5, DEFAULTS["updated_more_than_once"], "green"),  # 80%: the drip feed is good practice, not statute
    (2, 5, DEFAULTS["updated_more_than_once"], "red"),
    (0, 3, Threshold(0, 0, "x"), "green"),
])
def test_a_figure_is_rated_against_its_descriptor(numerator, denominator, threshold, expected):
    assert rate(numerator, denominator, threshold) == expected


def test_the_setting_then_its_trust_then_the_strictest_partnership_then_the_default(make, school):
    admin = make.user(role=Role.ADMIN)
    shire = make.org(name="Shire Partnership", kind=OrganisationKind.PARTNERSHIP)
    vale = make.org(name="Vale Partnership", kind=OrganisationKind.PARTNERSHIP)
    for partnership in (shire, vale):
        db.session.add(PartnershipMember(partnership_id=partnership.id, organisation_id=school.alder.id,
                                         consent_given_by="Head", consent_given_on=date(2025, 9, 1)))
    db.session.commit()
    set_threshold(shire, "kcsie_read", 95, 80, actor=admin)
    set_threshold(vale, "kcsie_read", 98, 70, actor=admin)
    set_threshold(school.trust, "induction", 95, 85, actor=admin)
    set_threshold(school.trust, "kcsie_read", 90, 60, actor=admin)
    set_threshold(school.alder, "induction", 50, 40, actor=admin)
    resolved = thresholds_for(school.alder)
    assert resolved["induction"] == Threshold(50, 40, "Alder Primary")
    assert resolved["kcsie_read"] == Threshold(90, 60, "Oak Trust")
    assert resolved["others_covered"] == DEFAULTS["others_covered"]
    assert thresholds_for(school.birch)["induction"] == Threshold(95, 85, "Oak Trust")
    ratings.clear_threshold(school.trust, "kcsie_read", actor=admin)
    assert thresholds_for(school.alder)["kcsie_read"] == Threshold(98, 70, "Vale Partnership")  # the strictest
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "return.threshold_set")).all()
    draft = draft_return(school.alder, AcademicYear(2025), today=date(2026, 12, 5))
    assert draft.body["measures"][0]["rating"] == "green"  # 1 of 2 is 50%: green by Alder's own descriptor


@pytest.mark.parametrize(("green", "amber", "field"), [(101, 90, "green_induction"), (80, 90, "amber_induction"),
                                                       (80, -1, "amber_induction")])
def test_a_descriptor_out_of_order_is_refused(make, school, green, amber, field):
    with pytest.raises(InvalidInput) as refused:
        set_threshold(school.alder, "induction", green, amber, actor=make.user(role=Role.ADMIN))
    assert refused.value.field == field
    assert ratings.thresholds_set_by(school.alder) == {}


def test_the_trust_lead_sees_its_schools_side_by_side_and_exports_a_board_report(client, sign_in, make, school,
                                                                                  tmp_path: Path):
    """Alder is signed (version 1); Birch's draft has only Finn, its peripatetic teacher (placed at Alder too), who
    has read no KCSIE of Birch's (it has none): others_covered 0 of 1, red, the rest not applicable. Cedar, in
    another trust, does not appear."""
    other = make.org(name="Elm Trust", kind=OrganisationKind.TRUST)
    make.org(name="Cedar School", trust=other)
    sign_in(school.people["Dee Lead"])
    confirm_and_sign(client, school.alder.id)
    lead = make.two_factor_done(make.user(role=Role.MANAGER, org=school.trust))
    sign_in(lead)
    page = client.get("/returns/trust/2025")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Alder Primary" in body and "Birch Academy" in body and "Cedar School" not in body
    assert "signed, version 1" in body and "draft, as at 2026-08-31" in body
    report = client.get("/returns/trust/2025/board-report.csv")
    assert report.status_code == 200
    rows = list(csv.DictReader(io.StringIO(report.data.decode("utf-8-sig"))))
    assert len(rows) == 2 * len(MEASURE_KEYS)
    alder = {r["measure"]: r for r in rows if r["setting"] == "Alder Primary"}
    assert (alder["induction"]["numerator"], alder["induction"]["denominator"], alder["induction"]["status"]) == (
        "1", "2", "signed")
    birch = {r["measure"]: r["rating"] for r in rows if r["setting"] == "Birch Academy"}
    assert birch.pop("others_covered") == "red" and set(birch.values()) == {"not_applicable"}
    (tmp_path / "board.csv").write_bytes(report.data)
    schema = Schema.from_descriptor(json.loads(client.get("/returns/schemas/trust-training-returns.json").data))
    assert validate(Resource(path="board.csv", basepath=str(tmp_path), schema=schema)).valid
    xlsx = client.get("/returns/trust/2025/board-report.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "return.trust_exported")).all()


def test_only_a_trust_lead_has_the_trusts_view(client, sign_in, make, school):
    for user in (make.two_factor_done(make.user(role=Role.MANAGER, org=school.alder)), school.people["Dee Lead"]):
        sign_in(user)
        assert client.get("/returns/trust/2025").status_code == 404
        assert client.get("/returns/trust/2025/board-report.csv").status_code == 404


def test_the_trust_view_reads_a_bounded_number_of_queries_per_school(client, sign_in, make, school, count_queries):
    lead = make.two_factor_done(make.user(role=Role.MANAGER, org=school.trust))
    sign_in(lead)
    client.get("/returns/trust/2025")
    with count_queries() as two_schools:
        client.get("/returns/trust/2025")
    for n in range(4):
        school.person(f"Extra {n}")
    with count_queries() as more_people:
        client.get("/returns/trust/2025")
    assert more_people.count == two_schools.count


def descriptor_form(**chosen: tuple[object, object]) -> dict[str, object]:
    data: dict[str, object] = {}
    for key in MEASURE_KEYS:
        green, amber = chosen.get(key, ("", ""))
        data[f"green_{key}"], data[f"amber_{key}"] = green, amber
    return data


def test_a_manager_sets_the_descriptors_on_a_page_and_a_half_filled_one_changes_nothing(client, sign_in, make,
                                                                                           school):
    manager = make.two_factor_done(make.user(role=Role.MANAGER, org=school.alder))
    sign_in(manager)
    url = f"/returns/descriptors/{school.alder.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Default: green from 100%, amber from 90%." in page.get_data(as_text=True)
    refused = client.post(url, data=descriptor_form(induction=(95, ""), kcsie_read=(90, 80)))
    assert refused.status_code == 422 and "Enter both percentages" in refused.get_data(as_text=True)
    assert ratings.thresholds_set_by(school.alder) == {}
    out_of_order = client.post(url, data=descriptor_form(induction=(80, 95)))
    assert out_of_order.status_code == 422 and ratings.thresholds_set_by(school.alder) == {}
    saved = client.post(url, data=descriptor_form(induction=(95, 85)))
    assert saved.status_code == 302
    assert thresholds_for(school.alder)["induction"] == Threshold(95, 85, "Alder Primary")
    assert 'value="95"' in client.get(url).get_data(as_text=True)
    client.post(url, data=descriptor_form())  # both empty: back to the next level
    assert thresholds_for(school.alder)["induction"] == DEFAULTS["induction"]


def test_only_the_organisations_managers_set_its_descriptors(client, sign_in, make, school):
    lead = make.two_factor_done(make.user(role=Role.MANAGER, org=school.trust))
    sign_in(lead)
    assert client.post(f"/returns/descriptors/{school.trust.id}",
                       data=descriptor_form(dsl_within_two_years=(100, 50))).status_code == 302
    assert thresholds_for(school.birch)["dsl_within_two_years"] == Threshold(100, 50, "Oak Trust")
    assert client.get(f"/returns/descriptors/{school.alder.id}").status_code == 404  # the school's own: its managers
    sign_in(school.people["Dee Lead"])
    assert client.get(f"/returns/descriptors/{school.alder.id}").status_code == 404
