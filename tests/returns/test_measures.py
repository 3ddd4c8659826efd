"""The audit's training section, computed (elearn/returns/measures.py) for people whose figures are worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from elearn.extensions import db
from elearn.models import User
from elearn.network.requirements import DSL_TRAINING_TOPIC
from elearn.returns.evidence import evidence_of
from elearn.returns.measures import MEASURE_KEYS, AcademicYear, compute_section, valid_from

YEAR = AcademicYear(2025)  # 2025/26: 1 September 2025 to 31 August 2026
TODAY = date(2026, 12, 5)  # after the year: the return is as at 31 August 2026


def figures(section) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {m.key: (m.numerator, m.denominator) for m in section.measures}


def names(section, key: str, *, met: bool) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.name for line in section.measure(key).people if line.met is met]


def test_the_eight_measures_equal_the_figures_worked_by_hand(school):
    """Staff are Ann, Ben, Cat, Dee, Eve (Hal left on 2026-06-01; Finn, Gil and Ida are not staff).

    - induction: joined in the year Ben (trained in 8 days) and Cat (never): 1/2.
    - updated_in_year: Ann, Ben, Dee trained in the year; Cat nothing; Eve only a revoked certificate: 3/5.
    - updated_more_than_once: Ann alone trained on two days (2025-10-01, 2026-02-10): 1/5.
    - dsl_within_two_years: Eve (2025-06-15, from the local authority) yes; Dee (25 months ago) no: 1/2.
    - governors_trained: Ida: 1/1.
    - kcsie_read: Ann read September 2025; Dee only September 2024; Ben, Cat, Eve nothing: 1/5.
    - safer_recruitment_within_three_years: Ann (2023-09-10) yes, Dee (2023-08-30) no: 1/2.
    - others_covered: Finn (placed peripatetic: certificate and KCSIE) yes, Gil (volunteer) no: 1/2.
    """
    section = compute_section(school.alder, YEAR, today=TODAY)
    assert section.as_at == date(2026, 8, 31)
    assert [m.key for m in section.measures] == list(MEASURE_KEYS)
    assert figures(section) == {
        "induction": (1, 2), "updated_in_year": (3, 5), "updated_more_than_once": (1, 5),
        "dsl_within_two_years": (1, 2), "governors_trained": (1, 1), "kcsie_read": (1, 5),
        "safer_recruitment_within_three_years": (1, 2), "others_covered": (1, 2),
    }
    assert names(section, "induction", met=True) == ["Ben Birch"]
    assert names(section, "updated_in_year", met=False) == ["Cat Cole", "Eve Deputy"]
    assert names(section, "dsl_within_two_years", met=False) == ["Dee Lead"]
    assert names(section, "others_covered", met=True) == ["Finn Fiddle"]
    assert all("Hal Gone" not in [line.name for line in m.people] for m in section.measures)


def test_each_line_says_what_the_evidence_is_or_what_is_missing(school):
    section = compute_section(school.alder, YEAR, today=TODAY)
    lines = {line.name: line.evidence for line in section.measure("dsl_within_two_years").people}
    assert lines["Eve Deputy"] == "2025-06-15 Training elsewhere: designated safeguarding lead training (Local authority)"
    assert lines["Dee Lead"] == f"no {DSL_TRAINING_TOPIC} since 2024-08-31"
    more = {line.name: line.evidence for line in section.measure("updated_more_than_once").people}
    assert more["Ann Ash"].startswith("2025-10-01 Certificate: ")
    assert "2026-02-10 Attended: Prevent briefing" in more["Ann Ash"]
    assert more["Ben Birch"].endswith("(training on 1 day only)")
    induction = {line.name: line.evidence for line in section.measure("induction").people}
    assert induction["Cat Cole"].startswith("joined 2026-03-02; no ")


def test_a_joiner_still_within_their_induction_days_is_not_counted_yet(school):
    """On 2026-03-20 Cat (joined 2026-03-02) has until 2026-03-30: not due; Ben (trained) is counted."""
    section = compute_section(school.alder, YEAR, today=date(2026, 3, 20))
    assert section.as_at == date(2026, 3, 20)
    assert [line.name for line in section.measure("induction").people] == ["Ben Birch"]


def test_the_leaver_counts_in_a_year_before_they_left(school):
    """As at 31 August 2025 Hal had not left; Ben and Cat had not joined: staff are Ann, Dee, Eve, Hal."""
    section = compute_section(school.alder, AcademicYear(2024), today=TODAY)
    people = {line.name for line in section.measure("updated_in_year").people}
    assert people == {"Ann Ash", "Dee Lead", "Eve Deputy", "Hal Gone"}


def test_an_edition_read_is_evidence_only_while_it_is_in_force(school):
    """In 2024/25 (as at 31 August 2025) September 2024 was in force: Dee had read it, Ann had not yet read any."""
    section = compute_section(school.alder, AcademicYear(2024), today=TODAY)
    assert names(section, "kcsie_read", met=True) == ["Dee Lead"]


@pytest.mark.parametrize(("every_months", "mode", "as_at", "expected"), [
    (24, "rolling", date(2026, 8, 31), date(2024, 8, 31)),
    (36, "rolling", date(2026, 8, 31), date(2023, 8, 31)),
    (12, "academic_year", date(2027, 7, 15), date(2025, 9, 1)),  # trained 2025-10: due 1 September 2027
    (12, "academic_year", date(2026, 8, 31), date(2024, 9, 1)),
])
def test_how_far_back_evidence_counts(every_months, mode, as_at, expected):
    from elearn.models import DueMode, RequirementItem
    from elearn.network.requirements import Requirement

    requirement = Requirement("staff", RequirementItem.COURSE, every_months, DueMode(mode), 28, course_id=1)
    assert valid_from(requirement, as_at) == expected


def test_the_queries_do_not_grow_with_the_number_of_people(school, make, count_queries):
    db.session.refresh(school.alder)
    with count_queries() as few:
        compute_section(school.alder, YEAR, today=TODAY)
    for n in range(6):
        person = school.person(f"Extra {n}")
        school.certificate(person, date(2026, 1, 5 + n))
        school.read(person, school.kcsie_2025, date(2025, 9, 20))
    db.session.refresh(school.alder)
    with count_queries() as many:
        compute_section(school.alder, YEAR, today=TODAY)
    assert many.count == few.count


def test_evidence_is_read_per_source_for_everyone_at_once(school, count_queries):
    ids = [u.id for u in db.session.query(User).all()]
    db.session.refresh(school.alder)
    with count_queries() as counter:
        evidence_of(school.alder, ids, date(2023, 1, 1), date(2026, 8, 31))
    assert counter.count <= 5  # certificates, elsewhere, sessions, versions in force, confirmations
