"""The partnership's world: a partnership of two trusts' schools and standalone settings, with signed returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from elearn.extensions import db
from elearn.models import Duty, MemberDuty, Organisation, OrganisationKind, Phase, Role, User
from tests.makers import Makers
from tests.partnerships.makers import SECRET_NAMES, join, signed_return

YEAR = 2026  # 2026/27; the tests run "today" inside it (see the today fixture)
TODAY = date(2027, 3, 10)


@dataclass
class Network:
    partnership: Organisation
    viewer: User  # the partnership's officer
    oak: Organisation  # trusts
    elm: Organisation
    settings: dict[str, Organisation] = field(default_factory=dict)  # member settings by name
    outsider: Organisation | None = None  # not a member (has a return)
    leaver: Organisation | None = None  # left the partnership (has a return)
    other_partnership_viewer: User | None = None
    school_manager: User | None = None  # manager of a member school


def _setting(make: Makers, name: str, phase: Phase, trust: Organisation | None) -> Organisation:
    org = make.org(name=name, trust=trust)
    org.phase = phase
    db.session.commit()
    return org


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Freeze the partnership's calendar at TODAY (in academic year 2026/27)."""
    from elearn.partnerships import service

    monkeypatch.setattr(service, "london_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def network(make: Makers, today: date) -> Network:
    """Oak Trust's five primaries and Elm Trust's five secondaries have returned 2026/27; Willow Primary (no trust)
    has too; Hazel School (special, no trust) has not. Birch is not a member and the Leaver left: both returned."""
    partnership = make.org(name="Riverside Safeguarding Partnership", kind=OrganisationKind.PARTNERSHIP)
    viewer = make.two_factor_done(make.user(name="Pat Partnership", role=Role.MANAGER, org=partnership))
    oak = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    elm = make.org(name="Elm Trust", kind=OrganisationKind.TRUST)
    world = Network(partnership, viewer, oak, elm)
    for n in range(1, 6):
        world.settings[f"Oak Primary {n}"] = _setting(make, f"Oak Primary {n}", Phase.PRIMARY, oak)
        world.settings[f"Elm Secondary {n}"] = _setting(make, f"Elm Secondary {n}", Phase.SECONDARY, elm)
    world.settings["Willow Primary"] = _setting(make, "Willow Primary", Phase.PRIMARY, None)
    world.settings["Hazel School"] = _setting(make, "Hazel School", Phase.SPECIAL, None)
    for name, setting in world.settings.items():
        join(partnership, setting)
        if name != "Hazel School":
            signed_return(setting, YEAR)
    world.outsider = _setting(make, "Birch Academy", Phase.PRIMARY, oak)
    world.leaver = _setting(make, "Leaver School", Phase.PRIMARY, None)
    join(partnership, world.leaver, left=True)
    for setting in (world.outsider, world.leaver):
        signed_return(setting, YEAR, default=(1, 3))
    # People with names no partnership page may show: a manager and a DSL at the outstanding school.
    hazel = world.settings["Hazel School"]
    world.school_manager = make.two_factor_done(make.user(name=SECRET_NAMES[1], email="head@hazel.example",
                                                          role=Role.MANAGER, org=hazel))
    dsl = make.user(name=SECRET_NAMES[0], email="dsl@hazel.example", org=hazel)
    db.session.add(MemberDuty(user_id=dsl.id, organisation_id=hazel.id, duty=Duty.DSL, since=date(2025, 9, 1)))
    db.session.commit()
    other = make.org(name="Hillside Partnership", kind=OrganisationKind.PARTNERSHIP)
    world.other_partnership_viewer = make.two_factor_done(make.user(name="Olly Other", role=Role.MANAGER, org=other))
    return world
