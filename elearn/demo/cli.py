"""`flask demo seed`: demo organisation and accounts, made through the real services."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from elearn.auth.service import find_user_by_email, register_user
from elearn.extensions import db
from elearn.models import Organisation, Role

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
    click.echo("Demo accounts (password for each: %s):" % DEMO_PASSWORD)
    for email, _name, role in DEMO_ACCOUNTS:
        click.echo(f"  {role:<8} {email}")
