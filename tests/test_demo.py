"""The demo accounts' two-factor helper used with `make run`."""

from __future__ import annotations

import pyotp

from elearn.demo.cli import DEMO_PASSWORD, set_up_demo_two_factor
from elearn.models import Role


def test_demo_manager_gets_two_factor_and_the_code_command_prints_a_valid_code(make, runner):
    manager = make.user(email="manager@demo.elearn.test", role=Role.MANAGER, org=make.org(), password=DEMO_PASSWORD)
    set_up_demo_two_factor()
    result = runner.invoke(args=["demo", "code", "manager@demo.elearn.test"])
    assert result.exit_code == 0
    assert pyotp.TOTP(manager.totp_secret).verify(result.output.strip(), valid_window=1)


def test_the_code_command_refuses_accounts_outside_the_demo(make, runner):
    make.user(email="real.person@school.sch.uk", role=Role.MANAGER, org=make.org())
    result = runner.invoke(args=["demo", "code", "real.person@school.sch.uk"])
    assert result.exit_code == 1
    assert "only for the demo accounts" in result.output
