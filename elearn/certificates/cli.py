"""`flask certificates repair`: every passed attempt gets exactly one certificate; `prepare-fonts`: the PDF's fonts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from elearn.certificates.fonts import prepare_certificate_fonts
from elearn.certificates.service import repair_missing_certificates

certificates_cli = AppGroup("certificates", help="Certificates.")


@certificates_cli.command("repair")
@click.option("--dry-run", is_flag=True, help="Only list the passed attempts that have no certificate.")
def repair_command(dry_run: bool) -> None:
    """Issue a certificate for each passed attempt that has none; running it again changes nothing."""
    attempts = repair_missing_certificates(dry_run=dry_run)
    for attempt in attempts:
        click.echo(f"{'would issue' if dry_run else 'issued'} a certificate for attempt {attempt.id} "
                   f"(user {attempt.user_id}, course version {attempt.version_id})")
    verb = "would issue" if dry_run else "issued"
    click.echo(f"{verb} {len(attempts)} missing certificate(s)")


@certificates_cli.command("prepare-fonts")
def prepare_fonts_command() -> None:
    """Write the certificate's trimmed DejaVu faces from elearn/static/fonts (needs fontTools: requirements-dev)."""
    for path in prepare_certificate_fonts():
        click.echo(f"wrote {path} ({path.stat().st_size} bytes)")
