"""`flask demo seed`: demo organisation and accounts, made through the real services."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from elearn.auth import two_factor
from elearn.auth.service import find_user_by_email, register_user
from elearn.clock import london_today
from elearn.contacts.service import ContactInput
from elearn.extensions import db
from elearn.models import Organisation, Role, User
from elearn.training.service import ExternalInput

demo_cli = AppGroup("demo", help="Demo data for trying elearn out.")

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo credentials, development only
DEMO_ACCOUNTS = (
    ("learner@demo.elearn.test", "Amira Learner", Role.LEARNER),
    ("manager@demo.elearn.test", "Morgan Manager", Role.MANAGER),
    ("admin@demo.elearn.test", "Ada Admin", Role.ADMIN),
)


def ensure_demo_organisation() -> Organisation:
    """The demo organisation, created once."""
    org = db.session.scalar(select(Organisation).where(Organisation.slug == "demo-primary"))
    if org is None:
        org = Organisation(name="Demo Primary School", slug="demo-primary")
        db.session.add(org)
        db.session.commit()
    return org


@demo_cli.command("seed")
def seed_command() -> None:
    """Create the demo organisation and the learner, manager and admin accounts (safe to run twice)."""
    org = ensure_demo_organisation()
    for email, name, role in DEMO_ACCOUNTS:
        if find_user_by_email(email) is None:
            register_user(name, email, DEMO_PASSWORD, role=role,
                          organisation_id=None if role == Role.ADMIN else org.id)
    manager = find_user_by_email("manager@demo.elearn.test")
    if manager is not None:
        from elearn.demo.staff import seed_staff

        click.echo(f"Demo staff created: {seed_staff(org, manager, DEMO_PASSWORD)}")
        from elearn.demo.evidence import seed_learning_evidence

        click.echo(f"Demo learners given knowledge checks, answers and ratings: {seed_learning_evidence(org)}")
        click.echo(f"Demo safeguarding contacts and training from elsewhere added: {seed_contacts(org, manager)}")
    set_up_demo_two_factor()
    click.echo(f"Demo accounts (password for each: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_ACCOUNTS:
        click.echo(f"  {role:<8} {email}")
    click.echo("The manager and admin sign in with two-factor codes; for the demo accounts print the current one with")
    click.echo("  .venv/bin/flask --app elearn demo code manager@demo.elearn.test")


def set_up_demo_two_factor() -> None:
    """Give the demo manager and admin two-factor sign-in, so `flask demo code` can print their codes."""
    for email, _name, role in DEMO_ACCOUNTS:
        user = find_user_by_email(email)
        if user is not None and role != Role.LEARNER and not user.has_two_factor:
            secret = two_factor.start_setup(user)
            two_factor.confirm_setup(user, secret, pyotp.TOTP(secret).now(), password=DEMO_PASSWORD)


@demo_cli.command("code")
@click.argument("email")
def code_command(email: str) -> None:
    """Print the current two-factor sign-in code of a demo account (development only)."""
    if current_app.config.get("SESSION_COOKIE_SECURE") or not email.lower().endswith("@demo.elearn.test"):
        click.echo("error: codes are printed only for the demo accounts, outside production", err=True)
        sys.exit(1)
    user = find_user_by_email(email)
    if user is None or not user.totp_secret:
        click.echo(f"error: {email} has no two-factor sign-in; run flask demo seed first", err=True)
        sys.exit(1)
    click.echo(pyotp.TOTP(user.totp_secret).now())


DEMO_CONTACTS = (
    ContactInput("dsl", "Priya Shah", "01632 960 101", "dsl@demo-primary.example", "Office 2, by reception"),
    ContactInput("deputy", "Tom Evans", "01632 960 102", "deputy.dsl@demo-primary.example"),
    ContactInput("social_care", "Anytown Children's Services front door", "01632 960 500", "",
                 "Out of hours: 01632 960 999"),
    ContactInput("police", "Police (non-emergency)", "101", "", "In an emergency, call 999"),
)


def seed_contacts(org: Organisation, manager: User) -> int:
    """The demo school's safeguarding contacts and one external training record, each added once."""
    from elearn.catalog.service import course_titles
    from elearn.contacts import service as contacts
    from elearn.models import ExternalTraining
    from elearn.training import service as external

    added = 0
    if not contacts.list_contacts(org.id):
        for contact in DEMO_CONTACTS:
            contacts.add_contact(org, contact, actor=manager)
            added += 1
    learner = find_user_by_email("learner@demo.elearn.test")
    if learner is not None and db.session.scalar(
            select(ExternalTraining.id).where(ExternalTraining.user_id == learner.id)) is None:
        course_id = next(iter(course_titles()), None)
        today = london_today()
        external.record_external(org, learner.id, ExternalInput(
            course_id, "Level 1 safeguarding children", "Anytown Safeguarding Partnership",
            today - timedelta(days=200), today + timedelta(days=530), "Face-to-face session at her previous school"),
            actor=manager)
        added += 1
    return added
