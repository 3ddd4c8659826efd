"""A safeguarding partnership's area: which member settings have returned the year's training section of their
safeguarding audit, reminders to those that have not, and aggregates across those that have.

The actor is a partnership viewer (access.is_partnership_viewer: a manager whose organisation is a partnership).
Every query is limited to access.partnership_setting_ids: the settings that joined with consent and have not
left (the set form of access.oversight_of's AGGREGATES). A partnership sees settings' names and whether they
returned, never a person: no names, no signatory, no per-setting figures; the figures are aggregates.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from elearn.access import is_partnership_viewer, partnership_setting_ids, settings_worked_at
from elearn.audit import record_event
from elearn.clock import london_today
from elearn.compliance.reminders import iso_week
from elearn.errors import Conflict, NotFound
from elearn.extensions import db
from elearn.mail import queue_emails
from elearn.models import (
    AuditReturn,
    Duty,
    MemberDuty,
    Organisation,
    OrganisationKind,
    PartnershipReminder,
    Role,
    User,
)
from elearn.partnerships.aggregates import Aggregates, Returned, compute_aggregates, read_snapshot
from elearn.returns.measures import AcademicYear
from elearn.wording import PHASE_LABELS

log = logging.getLogger(__name__)

NOT_A_PARTNERSHIP = "These pages are for a safeguarding partnership's officers."
YEARS_SHOWN = 6  # the current academic year and the five before it
REMINDER_SUBJECT = "Reminder: your safeguarding audit's training section"


def get_partnership(*, actor: User) -> Organisation:
    """The partnership the actor views for, else NotFound (a school's manager has no partnership pages)."""
    if not is_partnership_viewer(actor) or actor.organisation is None:
        raise NotFound(NOT_A_PARTNERSHIP)
    return actor.organisation


def current_academic_year(today: date | None = None) -> int:
    """This academic year (1 September to 31 August), by London's calendar."""
    return AcademicYear.containing(today or london_today()).starts


def list_years(today: date | None = None) -> list[AcademicYear]:
    """The academic years a partnership can look at, newest first."""
    current = current_academic_year(today)
    return [AcademicYear(year) for year in range(current, current - YEARS_SHOWN, -1)]


def choose_year(year: int | None, today: date | None = None) -> int:
    """The year asked for if it is one of list_years, the current one when none is asked for; else NotFound."""
    if year is None:
        return current_academic_year(today)
    if AcademicYear(year) not in list_years(today):
        raise NotFound("There are no returns for that academic year here.")
    return year


@dataclass(frozen=True)
class SettingStatus:
    """One member setting's return for the year, as the partnership sees it: returned (when, which version) or not."""

    setting_id: int
    name: str
    phase: str
    trust: str
    signed_at: datetime | None
    version: int | None
    last_reminded_at: datetime | None

    @property
    def has_returned(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True)
class Overview:
    year: int
    statuses: list[SettingStatus]

    @property
    def label(self) -> str:
        return AcademicYear(self.year).label

    @property
    def returned(self) -> list[SettingStatus]:
        return [s for s in self.statuses if s.has_returned]

    @property
    def outstanding(self) -> list[SettingStatus]:
        return [s for s in self.statuses if not s.has_returned]


def _latest_versions(partnership: Organisation, year: int) -> Subquery:
    """Each member setting's latest signed version for the year (a subquery)."""
    return (select(AuditReturn.organisation_id, func.max(AuditReturn.version).label("version"))
            .where(AuditReturn.academic_year == year,
                   AuditReturn.organisation_id.in_(partnership_setting_ids(partnership.id)))
            .group_by(AuditReturn.organisation_id).subquery("latest"))


def build_overview(partnership: Organisation, year: int) -> Overview:
    """Every member setting, returned or not for the year, with the latest return's date and the last reminder;
    one query, whatever the number of settings."""
    latest = _latest_versions(partnership, year)
    signed = (select(AuditReturn.organisation_id, AuditReturn.version, AuditReturn.signed_at)
              .join(latest, (latest.c.organisation_id == AuditReturn.organisation_id)
                    & (latest.c.version == AuditReturn.version))
              .where(AuditReturn.academic_year == year).subquery("signed"))
    reminded = (select(PartnershipReminder.organisation_id, func.max(PartnershipReminder.sent_at).label("sent_at"))
                .where(PartnershipReminder.partnership_id == partnership.id, PartnershipReminder.academic_year == year)
                .group_by(PartnershipReminder.organisation_id).subquery("reminded"))
    trust = aliased(Organisation)
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.phase, trust.name, signed.c.signed_at,
               signed.c.version, reminded.c.sent_at)
        .outerjoin(trust, trust.id == Organisation.trust_id)
        .outerjoin(signed, signed.c.organisation_id == Organisation.id)
        .outerjoin(reminded, reminded.c.organisation_id == Organisation.id)
        .where(Organisation.id.in_(partnership_setting_ids(partnership.id)),
               Organisation.kind == OrganisationKind.SETTING)
        .order_by(func.lower(Organisation.name), Organisation.id))
    return Overview(year, [SettingStatus(id_, name, PHASE_LABELS.get(phase or "", "Not recorded"), trust_name or "",
                                         signed_at, version, reminded_at)
                           for id_, name, phase, trust_name, signed_at, version, reminded_at in rows])


def list_returns(partnership: Organisation, year: int) -> list[Returned]:
    """The latest signed return of each member setting for the year, read for the partnership's parts only (the
    snapshot is parsed here and only its "setting" and the measures' counts are kept; extracting them in SQL would
    need a query per dialect, and was no faster on PostgreSQL in bench/partnerships)."""
    latest = _latest_versions(partnership, year)
    rows = db.session.execute(
        select(AuditReturn.organisation_id, AuditReturn.snapshot)
        .join(latest, (latest.c.organisation_id == AuditReturn.organisation_id)
              & (latest.c.version == AuditReturn.version))
        .join(Organisation, Organisation.id == AuditReturn.organisation_id)
        .where(AuditReturn.academic_year == year, Organisation.kind == OrganisationKind.SETTING))
    return [read_snapshot(setting_id, snapshot) for setting_id, snapshot in rows]


def build_aggregates(partnership: Organisation, year: int) -> Aggregates:
    """The year's figures across the member settings that returned, overall, by phase and by trust (suppressed)."""
    return compute_aggregates(list_returns(partnership, year))


# --- reminders ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderDraft:
    """A reminder to one outstanding setting: how many addresses it goes to (its managers and its DSL)."""

    setting_id: int
    name: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class ReminderPlan:
    """What reminding the outstanding settings would do: who gets one, who had one this week, who has nobody to
    write to (no manager, no DSL with an account)."""

    year: int
    drafts: list[ReminderDraft]
    already_this_week: list[SettingStatus]
    nobody_to_write_to: list[SettingStatus]

    @property
    def label(self) -> str:
        return AcademicYear(self.year).label


def recipients_of(setting_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Per setting, the addresses of its active managers and of its designated safeguarding lead; one query."""
    if not setting_ids:
        return {}
    reachable = (User.is_active_account.is_(True), User.anonymised_at.is_(None))
    managers = select(User.organisation_id.label("setting_id"), User.email).where(
        User.organisation_id.in_(list(setting_ids)), User.role == Role.MANAGER, *reachable)
    dsls = (select(MemberDuty.organisation_id.label("setting_id"), User.email)
            .join(User, User.id == MemberDuty.user_id)
            .where(MemberDuty.organisation_id.in_(list(setting_ids)), MemberDuty.duty == Duty.DSL, *reachable,
                   # a duty is held only while one works at the setting (access.settings_with_duty's rule)
                   MemberDuty.organisation_id.in_(settings_worked_at(User.id, User.organisation_id))))
    people = managers.union(dsls).subquery("people")
    rows = db.session.execute(select(people.c.setting_id, people.c.email)
                              .order_by(people.c.setting_id, people.c.email))
    found: dict[int, list[str]] = {}
    for setting_id, email in rows:
        found.setdefault(setting_id, []).append(email)
    return {setting_id: tuple(dict.fromkeys(emails)) for setting_id, emails in found.items()}


def plan_reminders(partnership: Organisation, year: int, *, today: date | None = None) -> ReminderPlan:
    """Who a reminder now would go to: each member setting that has not returned the year's training section and
    has not had a reminder from this partnership this week."""
    week = iso_week(today or london_today())
    outstanding = build_overview(partnership, year).outstanding
    this_week = set(db.session.scalars(select(PartnershipReminder.organisation_id).where(
        PartnershipReminder.partnership_id == partnership.id, PartnershipReminder.week == week)))
    due = [s for s in outstanding if s.setting_id not in this_week]
    addresses = recipients_of([s.setting_id for s in due])
    return ReminderPlan(year, [ReminderDraft(s.setting_id, s.name, addresses[s.setting_id]) for s in due
                               if s.setting_id in addresses],
                        [s for s in outstanding if s.setting_id in this_week],
                        [s for s in due if s.setting_id not in addresses])


def reminder_body(partnership: Organisation, setting_id: int, setting_name: str, year: int) -> str:
    """The email to an outstanding setting's managers and DSL: what is asked, by whom, and where to do it."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return (f"Hello,\n\n{partnership.name} has not yet received {setting_name}'s training section of its annual "
            f"safeguarding audit (Section 175, or 157 for an independent school) for {AcademicYear(year).label}.\n\n"
            "The designated safeguarding lead reviews the computed figures, adds any comments and signs the section "
            f"off in elearn: {base}/returns/{setting_id}/{year}\n\n"
            f"You receive this as a manager or the designated safeguarding lead of {setting_name}. "
            "The partnership sends at most one reminder a week.\n")


@dataclass(frozen=True)
class ReminderResult:
    sent: int  # settings reminded
    emails: int
    already_this_week: int
    nobody_to_write_to: int


def send_reminders(partnership: Organisation, year: int, *, actor: User, today: date | None = None) -> ReminderResult:
    """Queue a reminder to every outstanding setting not reminded this week, through the outbox; one commit. A second
    click finds them all reminded this week and sends nothing; a click at the same moment meets the unique
    constraint and sends nothing either (Conflict)."""
    today = today or london_today()
    plan = plan_reminders(partnership, year, today=today)
    try:
        db.session.add_all(PartnershipReminder(partnership_id=partnership.id, organisation_id=draft.setting_id,
                                               academic_year=year, week=iso_week(today),
                                               recipients=len(draft.addresses), sent_by_id=actor.id)
                           for draft in plan.drafts)
        db.session.flush()  # the unique constraint (a setting once a week) is met here, before any email is queued
        queue_emails([(address, REMINDER_SUBJECT, reminder_body(partnership, draft.setting_id, draft.name, year))
                      for draft in plan.drafts for address in draft.addresses])  # one INSERT for them all
        record_event("partnership.reminders_sent", actor=actor, organisation_id=partnership.id,
                     target=f"organisation:{partnership.id}", academic_year=year,
                     setting_ids=[d.setting_id for d in plan.drafts])
        db.session.commit()
    except IntegrityError:  # another officer's click reached one of these settings a moment ago
        db.session.rollback()
        raise Conflict("A reminder to one of these settings was sent a moment ago. Nothing more was sent: "
                       "look at the overview again.") from None
    emails = sum(len(d.addresses) for d in plan.drafts)
    log.info("partnership %s reminded %s settings (%s emails) for %s", partnership.id, len(plan.drafts), emails, year)
    return ReminderResult(len(plan.drafts), emails, len(plan.already_this_week), len(plan.nobody_to_write_to))
