"""The trust's view computes all its unsigned schools' returns together (elearn/returns/measures.compute_sections,
service.draft_returns): one statement per source for every school at once, split in Python, by the same rules as
one school's return (which is the batch called with one school), so each school's figures, people and evidence are
byte for byte the same either way."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from elearn.extensions import db
from elearn.models import (
    DueMode,
    Duty,
    ExternalTraining,
    MemberDuty,
    MemberKind,
    OrganisationKind,
    PartnershipMember,
    Placement,
    RequirementItem,
    Role,
    SignoffConfirmation,
    SignoffDocument,
    SignoffKind,
    SignoffVersion,
    TrainingRequirement,
)
from elearn.network.requirements import (
    SAFER_RECRUITMENT_TOPIC,
    effective_requirements,
    effective_requirements_at,
    roles_since,
    roles_since_at,
)
from elearn.returns import service
from elearn.returns.measures import AcademicYear, members_as_at
from elearn.returns.ratings import set_threshold
from elearn.returns.service import canonical, draft_return, draft_returns
from tests.returns.conftest import at

YEAR = AcademicYear(2025)  # 2025/26, as at 31 August 2026
TODAY = date(2026, 12, 5)


@pytest.fixture
def trust_schools(school, make):  # type: ignore[no-untyped-def]
    """Oak Trust's four schools, whose people cross between them, each with something of its own:

    - Alder and Birch as in the school fixture (Finn, from Birch, placed at Alder); Birch also has Jo, staff with a
      certificate this year and the trust's KCSIE read, and Eve (Alder's deputy DSL) holds a duty at Birch, where
      she does not work (no role there).
    - Cedar sets its own safer-recruitment requirement (every three years, due by the start of the academic year)
      and its own induction descriptor; Kit, its safer recruiter, joined on 2026-06-01 with safer recruitment done
      on 2023-01-15, inside the requirement's period (from 1 September 2022) though long before anyone else at
      Cedar joined (Ann, from Alder, works there on a supply placement since 2026-02-01).
    - Dale has nobody.
    - The trust publishes a KCSIE of its own, which every school's staff may confirm; Elm, in another trust, has a
      person with evidence who must not appear anywhere.
    - Alder has joined a partnership whose descriptor for the drip feed is stricter than the default.
    """
    s = school
    cedar = make.org(name="Cedar Academy", trust=s.trust)
    dale = make.org(name="Dale School", trust=s.trust)
    elm = make.org(name="Elm Primary", trust=make.org(name="Elm Trust", kind=OrganisationKind.TRUST))
    jo = s.person("Jo Birchstaff", home=s.birch)
    s.certificate(jo, date(2025, 11, 3))
    kit = s.person("Kit Cedar", home=cedar, joined=date(2026, 6, 1))
    lou = s.person("Lou Cedar", home=cedar, joined=date(2026, 6, 1))
    s.certificate(lou, date(2026, 6, 20))
    outsider = s.person("Max Elm", home=elm)
    s.certificate(outsider, date(2026, 1, 1))
    db.session.add_all([
        MemberDuty(user_id=kit.id, organisation_id=cedar.id, duty=Duty.SAFER_RECRUITER, since=date(2026, 6, 1)),
        MemberDuty(user_id=s.people["Eve Deputy"].id, organisation_id=s.birch.id, duty=Duty.DSL,
                   since=date(2020, 1, 1)),
        MemberDuty(user_id=outsider.id, organisation_id=elm.id, duty=Duty.DSL, since=date(2020, 1, 1)),
        ExternalTraining(organisation_id=cedar.id, user_id=kit.id, title=SAFER_RECRUITMENT_TOPIC,
                         provider="Local authority", completed_on=date(2023, 1, 15)),
        Placement(user_id=s.people["Ann Ash"].id, organisation_id=cedar.id, kind=MemberKind.SUPPLY,
                  started_on=date(2026, 2, 1)),
        TrainingRequirement(organisation_id=cedar.id, applies_to=Duty.SAFER_RECRUITER.value,
                            item=RequirementItem.SESSION, session_topic=SAFER_RECRUITMENT_TOPIC, every_months=36,
                            due_mode=DueMode.ACADEMIC_YEAR, induction_days=28),
    ])
    trust_kcsie = SignoffDocument(organisation_id=s.trust.id, kind=SignoffKind.KCSIE, title="Oak Trust KCSIE")
    db.session.add(trust_kcsie)
    db.session.flush()
    version = SignoffVersion(document_id=trust_kcsie.id, label="Oak 2025", published_at=at(date(2025, 9, 1)))
    db.session.add(version)
    db.session.flush()
    for person, on in ((jo, date(2025, 9, 20)), (lou, date(2026, 6, 2)), (s.people["Ben Birch"], date(2026, 1, 13))):
        db.session.add(SignoffConfirmation(version_id=version.id, user_id=person.id, confirmed_at=at(on)))
    partnership = make.org(name="Shire Partnership", kind=OrganisationKind.PARTNERSHIP)
    db.session.add(PartnershipMember(partnership_id=partnership.id, organisation_id=s.alder.id,
                                     consent_given_by="Head", consent_given_on=date(2025, 9, 1)))
    db.session.commit()
    admin = make.user(role=Role.ADMIN)
    set_threshold(cedar, "induction", 50, 25, actor=admin)
    set_threshold(partnership, "updated_more_than_once", 95, 90, actor=admin)
    return [s.alder, s.birch, cedar, dale]


def test_each_schools_return_from_the_batch_equals_its_own_return(trust_schools):
    together = draft_returns(trust_schools, YEAR, today=TODAY)
    assert list(together) == [setting.id for setting in trust_schools]
    for setting in trust_schools:
        alone = draft_return(setting, YEAR, today=TODAY)
        assert canonical(together[setting.id].body) == canonical(alone.body), setting.name
        assert together[setting.id].digest == alone.digest


def test_the_batch_is_not_a_sum_of_empty_returns(trust_schools):
    """The equality above is about real figures: Cedar counts Kit's safer recruitment from 2023 (in its own
    requirement's period), Ann on supply, and rates induction by its own descriptor; Elm's person is nowhere."""
    alder, _birch, cedar, dale = trust_schools
    bodies = {setting_id: draft.body for setting_id, draft in draft_returns(trust_schools, YEAR, today=TODAY).items()}
    measures = {m["key"]: m for m in bodies[cedar.id]["measures"]}
    assert (measures["safer_recruitment_within_three_years"]["numerator"],
            measures["safer_recruitment_within_three_years"]["denominator"]) == (1, 1)
    assert measures["induction"]["descriptor"]["set_by"] == "Cedar Academy"
    assert [line["name"] for line in bodies[cedar.id]["people"]["others_covered"]] == ["Ann Ash"]
    alder_drip = next(m for m in bodies[alder.id]["measures"] if m["key"] == "updated_more_than_once")
    assert alder_drip["descriptor"]["set_by"] == "Shire Partnership"
    assert all(m["denominator"] == 0 for m in bodies[dale.id]["measures"])
    assert "Max Elm" not in canonical(bodies).decode()


def test_membership_and_requirements_read_for_many_settings_say_what_each_says_alone(trust_schools):
    """The batch reads (elearn/network/requirements: roles_since_at, effective_requirements_at) give each setting
    what the one-setting functions give it, people crossing between settings included."""
    roles = roles_since_at([s.id for s in trust_schools])
    resolved = effective_requirements_at(trust_schools)
    for setting in trust_schools:
        assert roles.get(setting.id, {}) == roles_since(setting), setting.name
        assert resolved[setting.id] == effective_requirements(setting), setting.name
    members = members_as_at(trust_schools, YEAR.as_at(TODAY))
    assert [m.name for m in members[trust_schools[2].id]] == ["Ann Ash", "Kit Cedar", "Lou Cedar"]


def _trust_with(school, make, schools: int):  # type: ignore[no-untyped-def]
    """A trust of this many schools, each with a DSL, two staff joined this year with a certificate and a
    face-to-face session, a governor and a volunteer; the trust's KCSIE, read by each DSL; and the trust's lead."""
    trust = make.org(name=f"Trust of {schools}", kind=OrganisationKind.TRUST)
    kcsie = SignoffDocument(organisation_id=trust.id, kind=SignoffKind.KCSIE, title="KCSIE Part one")
    db.session.add(kcsie)
    db.session.flush()
    version = SignoffVersion(document_id=kcsie.id, label="September 2025", published_at=at(date(2025, 9, 1)))
    db.session.add(version)
    db.session.commit()
    for n in range(schools):
        setting = make.org(name=f"School {schools}-{n}", trust=trust)
        dsl = school.person(f"Dsl {schools}-{n}", home=setting)
        db.session.add(MemberDuty(user_id=dsl.id, organisation_id=setting.id, duty=Duty.DSL, since=date(2020, 1, 1)))
        for m in range(2):
            staff = school.person(f"Staff {schools}-{n}-{m}", home=setting, joined=date(2025, 10, 1 + m))
            school.certificate(staff, date(2025, 10, 10))
            school.attended(staff, "Prevent briefing", date(2026, 2, 10))
        school.person(f"Governor {schools}-{n}", MemberKind.GOVERNOR, home=setting)
        school.person(f"Volunteer {schools}-{n}", MemberKind.VOLUNTEER, home=setting)
        school.read(dsl, version, date(2025, 9, 10))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # plans as in production (tests/compliance/test_query_budgets.py)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return trust, make.two_factor_done(make.user(role=Role.MANAGER, org=trust))


def test_two_schools_and_six_run_the_same_statements(client, sign_in, make, school, count_queries):
    """The trust's view and its board report, for a trust of 2 schools and for another of 6: the same number of
    statements (before, each unsigned school's return cost its own dozen)."""
    counted = {}
    for schools in (2, 6):
        _trust, lead = _trust_with(school, make, schools)
        sign_in(lead)
        assert client.get("/returns/trust/2025").status_code == 200  # warm: the lead's session, the app's caches
        with count_queries() as counter:
            page = client.get("/returns/trust/2025")
            report = client.get("/returns/trust/2025/board-report.csv")
        assert page.status_code == 200 and report.status_code == 200
        assert f"School {schools}-{schools - 1}" in page.get_data(as_text=True)
        counted[schools] = counter.count
    assert counted[6] == counted[2], counted


def test_a_signed_school_is_its_snapshot_and_the_others_are_computed_together(trust_schools, school):
    """Alder signed: its line is the signed snapshot, unchanged by later training; the others are their drafts."""
    alder = trust_schools[0]
    draft = draft_return(alder, YEAR, today=TODAY)
    signed = service.sign_return(alder, YEAR, {}, draft.digest, actor=school.people["Dee Lead"], today=TODAY)
    school.certificate(school.people["Cat Cole"], date(2026, 3, 10))
    lines = service.trust_returns(school.trust, YEAR, today=TODAY)
    assert [line.setting.name for line in lines] == ["Alder Primary", "Birch Academy", "Cedar Academy", "Dale School"]
    assert lines[0].signed is not None and canonical(lines[0].snapshot) == signed.snapshot.encode()
    for line in lines[1:]:
        assert line.signed is None
        assert canonical(line.snapshot) == canonical(draft_return(line.setting, YEAR, today=TODAY).body)


def test_with_every_school_signed_nothing_is_computed(count_queries):
    with count_queries() as counter:
        assert draft_returns([], YEAR, today=TODAY) == {}
    assert counter.count == 0


def test_the_returns_list_of_a_trust_lead_runs_the_same_statements_for_2_and_6_schools(
        client, sign_in, make, school, count_queries):
    """/returns lists the settings the actor may read: whether they are a DSL is read once, not per setting."""
    counted = {}
    for schools in (2, 6):
        _trust, lead = _trust_with(school, make, schools)
        sign_in(lead)
        assert client.get("/returns/").status_code == 200  # warm
        with count_queries() as counter:
            page = client.get("/returns/")
        assert page.status_code == 200 and f"School {schools}-{schools - 1}" in page.get_data(as_text=True)
        counted[schools] = counter.count
    assert counted[6] == counted[2], counted
