"""The DSL's review and sign-off (/returns): who may, the confirm step, double POSTs, and a signed return that is
reproduced byte for byte (its JSON and its exports) whatever changes afterwards."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from frictionless import Resource, Schema, validate
from sqlalchemy import func, select, update

from elearn.clock import london_today
from elearn.extensions import db
from elearn.models import (
    AuditEvent,
    AuditReturn,
    MemberKind,
    Organisation,
    OrganisationKind,
    PartnershipMember,
    Role,
)
from elearn.returns import service
from elearn.returns.measures import MEASURE_KEYS, AcademicYear
from tests.returns.conftest import at
from tests.test_tabular import libreoffice_csv

YEAR = 2025
REVIEW = "/returns/{id}/2025"


def returns_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditReturn)) or 0


def confirm_and_sign(client, setting_id: int, comments: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Post the comments to the confirm page, read the digest it carries, and sign with it."""
    data = {f"comment_{key}": (comments or {}).get(key, "") for key in MEASURE_KEYS}
    page = client.post(f"/returns/{setting_id}/{YEAR}/confirm", data=data)
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    digest = text[text.index('name="reviewed"'):].split('value="')[1][:64]
    return client.post(f"/returns/{setting_id}/{YEAR}/sign", data={**data, "reviewed": digest}), digest


def main_of(page: str) -> str:
    """A page's <main>: the return as shown (the header's log-out form carries a CSRF token that changes by time)."""
    return page[page.index("<main"):page.index("</main>")]


@pytest.fixture
def dee(school):  # type: ignore[no-untyped-def]
    return school.people["Dee Lead"]


def test_the_dsl_reviews_comments_and_signs_a_version_with_its_hash(client, sign_in, school, dee):
    db.session.execute(update(Organisation).where(Organisation.id == school.alder.id).values(phase="primary"))
    db.session.commit()
    sign_in(dee)  # a learner holding the DSL duty at Alder: no manager role needed
    page = client.get(REVIEW.format(id=school.alder.id))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Review and sign" in body and "Cat Cole" in body and "Not signed yet" in body
    response, _ = confirm_and_sign(client, school.alder.id, {"induction": "Cat starts her induction on Monday."})
    assert response.status_code == 302
    signed = db.session.scalars(select(AuditReturn)).one()
    assert (signed.version, signed.signed_by_name, signed.academic_year) == (1, "Dee Lead", 2025)
    assert hashlib.sha256(signed.snapshot.encode()).hexdigest() == signed.snapshot_sha256
    snapshot = json.loads(signed.snapshot)
    assert signed.snapshot == json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert snapshot["setting"] == {"id": school.alder.id, "name": "Alder Primary", "phase": "primary",
                                   "trust": "Oak Trust", "section": "175"}
    assert (snapshot["academic_year"], snapshot["as_at"], snapshot["version"]) == ("2025/26", "2026-08-31", 1)
    assert [m["key"] for m in snapshot["measures"]] == list(MEASURE_KEYS)
    induction = snapshot["measures"][0]
    assert (induction["numerator"], induction["denominator"], induction["rating"]) == (1, 2, "red")
    assert induction["comment"] == "Cat starts her induction on Monday."
    assert snapshot["measures"][4]["rating"] == "green"  # governors 1 of 1
    assert {p["name"] for p in snapshot["people"]["induction"]} == {"Ben Birch", "Cat Cole"}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "return.signed")).one()
    assert event.details["sha256"] == signed.snapshot_sha256
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert signed.snapshot_sha256 in shown and "Cat starts her induction on Monday." in shown


def test_signing_twice_the_same_review_makes_one_version(client, sign_in, school, dee):
    sign_in(dee)
    first, digest = confirm_and_sign(client, school.alder.id)
    again = client.post(f"/returns/{school.alder.id}/{YEAR}/sign",
                        data={**{f"comment_{k}": "" for k in MEASURE_KEYS}, "reviewed": digest})
    assert first.headers["Location"] == again.headers["Location"]
    assert returns_count() == 1
    assert "Already signed as version 1" in client.get(again.headers["Location"]).get_data(as_text=True)
    _, _ = confirm_and_sign(client, school.alder.id, {"kcsie_read": "Reminder sent."})  # a change: a new version
    assert [r.version for r in db.session.scalars(select(AuditReturn).order_by(AuditReturn.version))] == [1, 2]


def test_figures_that_changed_after_the_review_are_not_signed(client, sign_in, school, dee):
    sign_in(dee)
    data = {f"comment_{key}": "" for key in MEASURE_KEYS}
    page = client.post(f"/returns/{school.alder.id}/{YEAR}/confirm", data=data).get_data(as_text=True)
    digest = page[page.index('name="reviewed"'):].split('value="')[1][:64]
    school.certificate(school.people["Cat Cole"], date(2026, 3, 10))  # Cat trained after the review
    response = client.post(f"/returns/{school.alder.id}/{YEAR}/sign", data={**data, "reviewed": digest})
    assert response.status_code == 302 and returns_count() == 0
    assert "changed after you reviewed" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_comment_too_long_is_refused_and_nothing_signed(client, sign_in, school, dee):
    sign_in(dee)
    data = {f"comment_{key}": "" for key in MEASURE_KEYS} | {"comment_induction": "x" * 2001}
    response = client.post(f"/returns/{school.alder.id}/{YEAR}/confirm", data=data)
    assert response.status_code == 422 and "There is a problem" in response.get_data(as_text=True)
    assert returns_count() == 0


def test_who_may_read_and_who_may_sign(client, sign_in, make, school, dee):
    """The DSL and the setting's manager sign; its trust lead reads only; another trust's lead, another school's
    manager, a learner who is not the DSL and a partnership the school has joined (aggregates only) get 404."""
    other_trust = make.org(name="Elm Trust", kind=OrganisationKind.TRUST)
    cedar = make.org(name="Cedar School", trust=other_trust)
    shire = make.org(name="Shire Partnership", kind=OrganisationKind.PARTNERSHIP)
    db.session.add(PartnershipMember(partnership_id=shire.id, organisation_id=school.alder.id,
                                     consent_given_by="Head", consent_given_on=date(2025, 9, 1)))
    db.session.commit()
    people = {
        "manager": make.two_factor_done(make.user(role=Role.MANAGER, org=school.alder)),
        "trust_lead": make.two_factor_done(make.user(role=Role.MANAGER, org=school.trust)),
        "other_lead": make.two_factor_done(make.user(role=Role.MANAGER, org=other_trust)),
        "cedar_manager": make.two_factor_done(make.user(role=Role.MANAGER, org=cedar)),
        "learner": school.people["Ann Ash"],
        "partnership": make.two_factor_done(make.user(role=Role.MANAGER, org=shire)),
    }
    review = REVIEW.format(id=school.alder.id)
    expected = {"manager": (200, 200), "trust_lead": (200, 404), "other_lead": (404, 404),
                "cedar_manager": (404, 404), "learner": (404, 404), "partnership": (404, 404)}
    for who, (reads, signs) in expected.items():
        sign_in(people[who])
        assert client.get(review).status_code == reads, who
        data = {f"comment_{key}": "" for key in MEASURE_KEYS}
        assert client.post(f"{review}/confirm", data=data).status_code == signs, who
        assert client.post(f"{review}/sign", data={**data, "reviewed": "0" * 64}).status_code in (
            (302,) if signs == 200 else (404,)), who
    assert returns_count() == 0  # a stale digest signs nothing, even for those who may sign
    sign_in(dee)
    confirm_and_sign(client, school.alder.id)
    for who in ("other_lead", "cedar_manager", "learner", "partnership"):
        sign_in(people[who])
        assert client.get(f"{review}/v1").status_code == 404
        assert client.get(f"{review}/v1/return.xlsx").status_code == 404


def test_a_year_not_started_and_a_missing_version_are_404(client, sign_in, school, dee):
    sign_in(dee)
    next_year = AcademicYear.containing(london_today()).starts + 1
    assert client.get(f"/returns/{school.alder.id}/{next_year}").status_code == 404
    assert client.get(f"{REVIEW.format(id=school.alder.id)}/v3").status_code == 404
    assert client.get(f"/returns/{school.trust.id}/{YEAR}").status_code == 404  # a trust is not a setting


def test_the_signed_return_is_byte_identical_after_later_changes(client, sign_in, school, dee, tmp_path: Path):
    """Sign; then Cat trains, Ann leaves, the school is renamed and a new KCSIE edition is read: the stored JSON,
    its hash, the signed page's figures and every export come out the same bytes; only a new draft differs."""
    sign_in(dee)
    response, _ = confirm_and_sign(client, school.alder.id, {"updated_more_than_once": "Termly briefings."})
    client.get(response.headers["Location"])  # the page with its "Signed" message, once
    signed = db.session.scalars(select(AuditReturn)).one()
    base = f"{REVIEW.format(id=school.alder.id)}/v1"
    before = {name: client.get(f"{base}/{name}").data for name in ("return.xlsx", "measures.csv", "people.csv")}
    snapshot_before, hash_before = signed.snapshot.encode(), signed.snapshot_sha256
    page_before = main_of(client.get(base).get_data(as_text=True))

    school.certificate(school.people["Cat Cole"], date(2026, 3, 10))
    ann = school.people["Ann Ash"]
    ann.is_active_account, ann.deactivated_at = False, at(date(2026, 5, 1))
    school.alder.name = "Alder Primary Academy"
    school.person("Zed New", MemberKind.STAFF, joined=date(2026, 6, 1))
    db.session.commit()

    db.session.expire_all()
    signed = db.session.scalars(select(AuditReturn)).one()
    assert signed.snapshot.encode() == snapshot_before and signed.snapshot_sha256 == hash_before
    assert service.verify(signed)
    after = {name: client.get(f"{base}/{name}").data for name in before}
    assert after == before
    assert main_of(client.get(base).get_data(as_text=True)) == page_before
    draft = service.draft_return(school.alder, AcademicYear(YEAR))
    assert draft.body["setting"]["name"] == "Alder Primary Academy"
    assert draft.body["measures"][0]["numerator"] == 2  # Cat is trained now: the draft moved, the signed did not
    assert json.loads(snapshot_before)["measures"][0]["numerator"] == 1

    # The exports are the signed figures: the CSV validates against its published schema, LibreOffice reads the
    # XLSX and finds the same measures.
    (tmp_path / "measures.csv").write_bytes(before["measures.csv"])
    schema = Schema.from_descriptor(json.loads(client.get("/returns/schemas/training-return-measures.json").data))
    report = validate(Resource(path="measures.csv", basepath=str(tmp_path), schema=schema))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    (tmp_path / "people.csv").write_bytes(before["people.csv"])
    people_schema = Schema.from_descriptor(json.loads(client.get("/returns/schemas/training-return-people.json").data))
    assert validate(Resource(path="people.csv", basepath=str(tmp_path), schema=people_schema)).valid
    rows = list(csv.DictReader(io.StringIO(before["measures.csv"].decode("utf-8-sig"))))
    assert [(r["measure"], r["numerator"], r["denominator"], r["rating"]) for r in rows] == [
        (m["key"], str(m["numerator"]), str(m["denominator"]), m["rating"])
        for m in json.loads(snapshot_before)["measures"]]
    converted = libreoffice_csv(before["return.xlsx"], tmp_path / "lo")
    measures = [(r[7], r[9], r[10], r[12]) for r in converted[1:]]
    assert measures == [(r["measure"], r["numerator"], r["denominator"], r["rating"]) for r in rows]


def test_the_schemas_are_published_at_stable_urls(client):
    first = client.get("/returns/schemas/training-return-measures.json")
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert client.get("/returns/schemas/training-return-measures.json").data == first.data
    assert {f["name"] for f in json.loads(first.data)["fields"]} >= {"measure", "numerator", "denominator", "rating"}
    assert client.get("/returns/schemas/nothing.json").status_code == 404


def test_two_signers_at_the_same_moment_with_different_comments_are_not_both_told_they_signed(
        school, dee, monkeypatch):
    """Both computed version 1; the other request's commit landed first. This signer's comments are not what was
    signed, so they are asked to review again rather than shown the other's version as theirs."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from elearn.errors import Conflict

    year = AcademicYear(YEAR)
    mine = service.draft_return(school.alder, year, {"kcsie_read": "Mine."})
    theirs = service.draft_return(school.alder, year, {"kcsie_read": "Theirs."})
    raced: list[bool] = []

    def commit_after_the_other_request() -> None:
        if raced:
            return Session.commit(db.session())
        raced.append(True)
        db.session.rollback()  # the other request's transaction commits version 1 first
        service.sign_return(school.alder, year, {"kcsie_read": "Theirs."}, theirs.digest, actor=dee)
        raise IntegrityError("INSERT INTO audit_returns", {}, Exception("unique version"))

    monkeypatch.setattr(db.session, "commit", commit_after_the_other_request)
    with pytest.raises(Conflict):
        service.sign_return(school.alder, year, {"kcsie_read": "Mine."}, mine.digest, actor=dee)
    monkeypatch.undo()
    signed = db.session.scalars(select(AuditReturn)).all()
    assert [(r.version, json.loads(r.snapshot)["measures"] is not None) for r in signed] == [(1, True)]
    assert "Theirs." in signed[0].snapshot and "Mine." not in signed[0].snapshot
