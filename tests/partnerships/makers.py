"""Signed audit returns for the partnership's tests, written straight to `audit_returns` in the snapshot contract's
shape (schema 1), so these tests do not depend on how the returns feature computes them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from elearn.extensions import db
from elearn.models import AuditReturn, Organisation, PartnershipMember

MEASURE_KEYS = ("induction", "updated_in_year", "updated_more_than_once", "dsl_within_two_years",
                "governors_trained", "kcsie_read", "safer_recruitment_within_three_years", "others_covered")
# Names and a comment no partnership page may ever show.
SECRET_NAMES = ("Zebedee Quaxworth", "Ottoline Frumpington")
SECRET_COMMENT = "Marmaduke said the induction log was lost"


def rating_of(numerator: int, denominator: int) -> str:
    if denominator == 0:
        return "not_applicable"
    share = numerator / denominator
    return "green" if share >= 0.9 else "amber" if share >= 0.7 else "red"


def canonical(snapshot: Mapping[str, object]) -> str:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signed_return(setting: Organisation, year: int, measures: Mapping[str, tuple[int, int]] | None = None, *,
                  signed_at: datetime | None = None, ratings: Mapping[str, str] | None = None,
                  default: tuple[int, int] = (9, 10)) -> AuditReturn:
    """A signed return for a setting and academic year (the next version), each measure (numerator, denominator);
    measures not given are `default`; ratings follow a 90%/70% rule unless given. Committed."""
    measures = {key: (measures or {}).get(key, default) for key in MEASURE_KEYS}
    trust = db.session.get(Organisation, setting.trust_id) if setting.trust_id else None
    version = (db.session.scalar(select(func.max(AuditReturn.version)).where(
        AuditReturn.organisation_id == setting.id, AuditReturn.academic_year == year)) or 0) + 1
    signed_at = signed_at or datetime(year + 1, 7, 15, 10, 0, tzinfo=UTC)
    snapshot = {
        "schema": 1,
        "setting": {"id": setting.id, "name": setting.name, "phase": setting.phase, "trust": trust.name if trust else None,
                    "section": "157" if setting.is_independent else "175"},
        "academic_year": f"{year}/{(year + 1) % 100:02d}", "as_at": signed_at.date().isoformat(),
        "signed_by": SECRET_NAMES[0], "signed_at": signed_at.isoformat(), "version": version,
        "measures": [{"key": key, "label": key.replace("_", " "), "numerator": num, "denominator": den,
                      "rating": (ratings or {}).get(key, rating_of(num, den)), "comment": SECRET_COMMENT}
                     for key, (num, den) in measures.items()],
        "people": {key: [{"name": name, "met": True, "evidence": "certificate"} for name in SECRET_NAMES]
                   for key in MEASURE_KEYS},
    }
    text = canonical(snapshot)
    row = AuditReturn(organisation_id=setting.id, academic_year=year, version=version, snapshot=text,
                      snapshot_sha256=hashlib.sha256(text.encode()).hexdigest(), signed_by_name=SECRET_NAMES[0],
                      signed_at=signed_at)
    db.session.add(row)
    db.session.commit()
    return row


def join(partnership: Organisation, setting: Organisation, *, left: bool = False) -> None:
    """The setting joins the partnership with consent recorded (and has left it since, if `left`). Committed."""
    db.session.add(PartnershipMember(partnership_id=partnership.id, organisation_id=setting.id,
                                     consent_given_by="Chair of governors", consent_given_on=date(2026, 9, 1),
                                     left_at=datetime(2026, 10, 1, tzinfo=UTC) if left else None))
    db.session.commit()
