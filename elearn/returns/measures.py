"""The training section of a setting's annual safeguarding audit (Section 175, or 157 if independent), computed.

For a setting and an academic year (1 September to 31 August), as at the end of the year (or today while the year
runs), eight measures in a fixed order, each a numerator over a denominator with the people behind it:

1. induction: staff who joined in the year and were trained at induction: every training requirement of their
   kind met by evidence dated between a period's length before joining (already trained) and the end of their
   induction days. Someone still inside their induction days and not yet trained is not counted yet.
2. updated_in_year: staff with at least one piece of training (a course, a session, training elsewhere) in the
   year.
3. updated_more_than_once: staff trained on two or more different days in the year: the "drip feed" Devon's
   2021/22 report asks schools to evidence.
4. dsl_within_two_years: the DSL and deputies, each of their duty's requirements met within its period.
5. governors_trained: governors and trustees, each requirement of their kind met within its period.
6. kcsie_read: staff who confirmed the version in force of a KCSIE document of the setting (or its trust).
7. safer_recruitment_within_three_years: safer recruiters, their duty's requirement met within its period.
8. others_covered: supply staff, volunteers and peripatetic staff, each requirement of their kind (documents
   too) met within its period.

"Within its period" follows the requirement's due mode: a rolling requirement is met by evidence dated after the
same day `every_months` earlier; an academic-year one ("due by the start of the academic year once the period has
run") by evidence dated on or after the 1 September starting the academic year that day falls in.

The people are those of the setting as at that day (elearn/network/requirements.roles_at: home or current
placement): a leaver whose account was deactivated by then is not counted, nor someone who joined after it; a
leaver deactivated after it is. The records keep no history of moves between organisations or of placements that
have ended, so for a past year someone who has since moved to another organisation, or whose placement has ended,
is not counted: a signed return keeps the figures as they were when it was signed.
A person with no requirement for a measure's items is not in its denominator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from elearn.clock import add_months, london_today, to_london
from elearn.extensions import db
from elearn.models import (
    CourseVersion,
    DueMode,
    Duty,
    MemberKind,
    Organisation,
    Placement,
    RequirementItem,
    User,
)
from elearn.network.requirements import (
    Requirement,
    effective_requirements_at,
    requirements_of,
    roles_since_at,
)
from elearn.returns.evidence import Evidence, among, evidence_at, evidence_for

MEASURE_KEYS: tuple[str, ...] = (
    "induction", "updated_in_year", "updated_more_than_once", "dsl_within_two_years", "governors_trained",
    "kcsie_read", "safer_recruitment_within_three_years", "others_covered",
)
LABELS: dict[str, str] = {
    "induction": "Staff who joined this year trained at induction",
    "updated_in_year": "Staff with a safeguarding update this year",
    "updated_more_than_once": "Staff with updates on more than one day across the year",
    "dsl_within_two_years": "DSL and deputies trained within two years",
    "governors_trained": "Governors and trustees trained",
    "kcsie_read": "Staff who have read and understood KCSIE (edition in force)",
    "safer_recruitment_within_three_years": "Safer recruiters trained within three years",
    "others_covered": "Supply staff, volunteers and peripatetic staff trained",
}
TRAINING_ITEMS = (RequirementItem.COURSE, RequirementItem.SESSION)
LONGEST_PERIOD_MONTHS = 36  # how far back evidence is read: the longest renewal period (safer recruitment)
OTHER_KINDS = (MemberKind.SUPPLY.value, MemberKind.VOLUNTEER.value, MemberKind.PERIPATETIC.value)
BOARD_KINDS = (MemberKind.GOVERNOR.value, MemberKind.TRUSTEE.value)
DSL_DUTIES = (Duty.DSL.value, Duty.DEPUTY_DSL.value)
SAFER_RECRUITERS = (Duty.SAFER_RECRUITER.value,)
ALL_ITEMS = tuple(RequirementItem)


@dataclass(frozen=True)
class AcademicYear:
    """An academic year by the calendar year it starts in: 2026 is 2026/27, 1 September 2026 to 31 August 2027."""

    starts: int

    @classmethod
    def containing(cls, day: date) -> AcademicYear:
        return cls(day.year if day.month >= 9 else day.year - 1)

    @property
    def first_day(self) -> date:
        return date(self.starts, 9, 1)

    @property
    def last_day(self) -> date:
        return date(self.starts + 1, 8, 31)

    @property
    def label(self) -> str:
        return f"{self.starts}/{(self.starts + 1) % 100:02d}"

    def as_at(self, today: date) -> date:
        """The day the return is computed for: the year's last day, or today while the year runs."""
        return min(self.last_day, today) if today >= self.first_day else self.last_day


@dataclass(frozen=True, slots=True)
class PersonLine:
    """One person behind a measure: met or not, and the evidence (or what is missing) in words."""

    user_id: int
    name: str
    met: bool
    evidence: str


@dataclass
class Measure:
    key: str
    label: str
    people: list[PersonLine] = field(default_factory=list)

    @property
    def numerator(self) -> int:
        return sum(1 for line in self.people if line.met)

    @property
    def denominator(self) -> int:
        return len(self.people)


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    name: str
    roles: frozenset[str]
    joined_on: date | None  # at this setting: their home join date, or the placement's start


@dataclass
class Section:
    """The computed training section: the setting, the year, the day it is as at, and the eight measures."""

    setting: Organisation
    year: AcademicYear
    as_at: date
    measures: list[Measure]

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)


def _day(moment: datetime | None) -> date | None:
    return to_london(moment).date() if moment is not None else None


def members_as_at(settings: Sequence[Organisation], as_at: date) -> dict[int, list[Member]]:
    """Each setting's people on that day with their roles there and the day they joined it: five statements
    whatever the number of settings (their roles, the people, their placements there)."""
    roles = {setting_id: {user_id: set(held) for user_id, held in at_setting.items()}
             for setting_id, at_setting in roles_since_at([s.id for s in settings]).items()}
    members: dict[int, list[Member]] = {s.id: [] for s in settings}
    ids = sorted({user_id for at_setting in roles.values() for user_id in at_setting})
    if not ids:
        return members
    users = {row[0]: row for row in db.session.execute(
        select(User.id, User.display_name, User.organisation_id, User.joined_organisation_at, User.deactivated_at,
               User.is_active_account).where(among(User.id, ids)))}
    placed = {(setting_id, user_id): started_on for setting_id, user_id, started_on in db.session.execute(
        select(Placement.organisation_id, Placement.user_id, Placement.started_on)
        .where(among(Placement.organisation_id, list(roles)), among(Placement.user_id, ids))
        .order_by(Placement.id))}  # the latest placement at a setting wins
    for setting in settings:
        at_setting = roles.get(setting.id, {})
        for user_id, name, home_id, joined_at, deactivated_at, active in (users[i] for i in at_setting if i in users):
            if not active and (deactivated_at is None or to_london(deactivated_at).date() <= as_at):
                continue  # a leaver by then
            joined_on = placed.get((setting.id, user_id)) if home_id != setting.id else _day(joined_at)
            if joined_on is not None and joined_on > as_at:
                continue  # joined after the day the return is for
            members[setting.id].append(Member(user_id, name, frozenset(at_setting[user_id]), joined_on))
        members[setting.id].sort(key=lambda m: (m.name.casefold(), m.user_id))
    return members


def valid_from(requirement: Requirement, as_at: date) -> date:
    """The earliest day evidence can be dated and still meet the requirement on as_at (see the module docstring)."""
    earliest = add_months(as_at, -requirement.every_months)
    if requirement.due_mode == DueMode.ACADEMIC_YEAR:
        return AcademicYear.containing(earliest).first_day
    return earliest


def _describe(pieces: Iterable[Evidence]) -> str:
    """The pieces in words, oldest first, each said once (a session counting for two courses is one line)."""
    lines = dict.fromkeys(f"{piece.on.isoformat()} {piece.description}" for piece in pieces)
    return "; ".join(lines)


def _item_name(requirement: Requirement) -> str:
    if requirement.item == RequirementItem.SESSION:
        return requirement.session_topic or "session"
    if requirement.item == RequirementItem.DOCUMENT:
        return f"{(requirement.document_kind or 'document').upper()} read and understood"
    return f"course {requirement.course_id}"


def _check(member: Member, requirements: list[Requirement], pieces: list[Evidence], as_at: date,
           course_titles: dict[int, str]) -> PersonLine:
    """Whether every requirement is met within its period on as_at, saying with what or what is missing."""
    used: list[Evidence] = []
    missing: list[str] = []
    for requirement in requirements:
        since = valid_from(requirement, as_at)
        latest = [p for p in evidence_for(requirement, pieces) if since <= p.on <= as_at]
        if latest:
            used.append(latest[-1])
        else:
            name = course_titles.get(requirement.course_id or 0) or _item_name(requirement)
            missing.append(f"no {name} since {since.isoformat()}")
    parts = [_describe(sorted(used)), *missing]
    return PersonLine(member.user_id, member.name, not missing, "; ".join(part for part in parts if part))


def _requirements_of_roles(member_roles: Iterable[str], wanted: Iterable[str],
                           resolved: dict[str, list[Requirement]], items: Iterable[RequirementItem]) -> list[Requirement]:
    """What the member's roles among `wanted` need (requirements_of: one per item, the most frequent renewal
    winning), for these kinds of item only."""
    kinds = set(items)
    return [r for r in requirements_of(set(member_roles) & set(wanted), resolved) if r.item in kinds]


def _induction(member: Member, year: AcademicYear, as_at: date, resolved: dict[str, list[Requirement]],
               pieces: list[Evidence], course_titles: dict[int, str]) -> PersonLine | None:
    if member.joined_on is None or not year.first_day <= member.joined_on <= as_at:
        return None
    requirements = _requirements_of_roles(member.roles, [MemberKind.STAFF.value], resolved, TRAINING_ITEMS)
    if not requirements:
        return None
    used: list[Evidence] = []
    missing: list[str] = []
    window_closes = member.joined_on
    for requirement in requirements:
        closes = member.joined_on + timedelta(days=requirement.induction_days)
        window_closes = max(window_closes, closes)
        opens = add_months(member.joined_on, -requirement.every_months)
        found = [p for p in evidence_for(requirement, pieces) if opens <= p.on <= min(closes, as_at)]
        if found:
            used.append(found[0] if found[0].on >= member.joined_on else found[-1])
        else:
            name = course_titles.get(requirement.course_id or 0) or _item_name(requirement)
            missing.append(f"no {name} by {closes.isoformat()}")
    if missing and window_closes > as_at:
        return None  # still within their induction days: not due yet
    parts = [f"joined {member.joined_on.isoformat()}", _describe(sorted(used)), *missing]
    return PersonLine(member.user_id, member.name, not missing, "; ".join(part for part in parts if part))


def _updates(member: Member, year: AcademicYear, as_at: date, pieces: list[Evidence]) -> tuple[PersonLine, PersonLine]:
    """Trained in the year (on at least one day), and on more than one day: the same pieces, said once for both."""
    in_year = [p for p in pieces if p.is_training and year.first_day <= p.on <= as_at]
    days = len({p.on for p in in_year})
    words = _describe(in_year) if in_year else "no training recorded this year"
    lines = []
    for at_least in (1, 2):
        met = days >= at_least
        said = words + (f" (training on {days} day{'s' if days != 1 else ''} only)" if in_year and not met else "")
        lines.append(PersonLine(member.user_id, member.name, met, said))
    return lines[0], lines[1]


def _kcsie(member: Member, pieces: list[Evidence]) -> PersonLine:
    confirmed = [p for p in pieces if p.document_kind == "kcsie"]
    if confirmed:
        return PersonLine(member.user_id, member.name, True, _describe(confirmed[-1:]))
    return PersonLine(member.user_id, member.name, False, "has not confirmed the edition in force")


def evidence_window(year: AcademicYear, as_at: date, members: Iterable[Member]) -> date:
    """The earliest day any rule can look back to for these people: the year's start, the longest period before
    as_at (to the start of its academic year, for a requirement due by the start of the academic year), the longest
    period before each joined. Evidence read from any earlier day changes nothing, so settings computed together
    from one wider window get exactly what each gets alone."""
    longest = add_months(as_at, -LONGEST_PERIOD_MONTHS)
    joined = [add_months(m.joined_on, -LONGEST_PERIOD_MONTHS) for m in members if m.joined_on is not None]
    return min([year.first_day, AcademicYear.containing(longest).first_day, *joined])


def compute_sections(settings: Sequence[Organisation], year: AcademicYear, *,
                     today: date | None = None) -> dict[int, Section]:
    """The eight measures for each setting (by id, in the order given) and year, with the people behind each: a
    bounded number of statements whatever the number of settings and people (members, placements, requirements,
    then one per evidence source for everyone at once), split by setting in Python."""
    as_at = year.as_at(today or london_today())
    members = members_as_at(settings, as_at)
    resolved = effective_requirements_at(settings)
    everyone = [m for at_setting in members.values() for m in at_setting]
    evidence = evidence_at(settings, {s.id: [m.user_id for m in members[s.id]] for s in settings},
                           evidence_window(year, as_at, everyone), as_at)
    course_titles = _course_titles([r for at_setting in resolved.values() for rs in at_setting.values() for r in rs])
    return {s.id: _section(s, year, as_at, members[s.id], resolved[s.id], evidence[s.id], course_titles)
            for s in settings}


def compute_section(setting: Organisation, year: AcademicYear, *, today: date | None = None) -> Section:
    """The eight measures for one setting: compute_sections with that setting alone."""
    return compute_sections([setting], year, today=today)[setting.id]


def _section(setting: Organisation, year: AcademicYear, as_at: date, members: list[Member],
             resolved: dict[str, list[Requirement]], evidence: dict[int, list[Evidence]],
             course_titles: dict[int, str]) -> Section:
    """One setting's measures from its people, its requirements and their evidence (no statement)."""
    measures = {key: Measure(key, LABELS[key]) for key in MEASURE_KEYS}
    needs: dict[tuple[frozenset[str], tuple[str, ...], tuple[RequirementItem, ...]], list[Requirement]] = {}

    def add(key: str, line: PersonLine | None) -> None:
        if line is not None:
            measures[key].people.append(line)

    def within_period(member: Member, wanted: tuple[str, ...], items: tuple[RequirementItem, ...]) -> PersonLine | None:
        # Most people share a handful of role sets: each set's requirements worked out once per setting.
        key = (member.roles, wanted, items)
        if key not in needs:
            needs[key] = _requirements_of_roles(member.roles, wanted, resolved, items)
        requirements = needs[key]
        if not requirements:
            return None
        return _check(member, requirements, evidence[member.user_id], as_at, course_titles)

    for member in members:
        pieces = evidence[member.user_id]
        if MemberKind.STAFF.value in member.roles:
            add("induction", _induction(member, year, as_at, resolved, pieces, course_titles))
            once, more_than_once = _updates(member, year, as_at, pieces)
            add("updated_in_year", once)
            add("updated_more_than_once", more_than_once)
            add("kcsie_read", _kcsie(member, pieces))
        add("dsl_within_two_years", within_period(member, DSL_DUTIES, TRAINING_ITEMS))
        add("governors_trained", within_period(member, BOARD_KINDS, TRAINING_ITEMS))
        add("safer_recruitment_within_three_years", within_period(member, SAFER_RECRUITERS, TRAINING_ITEMS))
        add("others_covered", within_period(member, OTHER_KINDS, ALL_ITEMS))
    return Section(setting, year, as_at, [measures[key] for key in MEASURE_KEYS])


def _course_titles(requirements: Iterable[Requirement]) -> dict[int, str]:
    ids = {r.course_id for r in requirements if r.course_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(CourseVersion.course_id, CourseVersion.title)
                              .where(CourseVersion.course_id.in_(ids)).order_by(CourseVersion.number))
    return {course_id: title for course_id, title in rows}  # the newest version's title: later rows replace earlier ones
