"""The providers' pure rules: the issuer, the tenant, a verified email and MFA."""

from __future__ import annotations

import pytest

from config import sso_settings_problem
from elearn.sso.providers import (
    GOOGLE,
    MICROSOFT,
    clean_tenant,
    expected_issuer,
    is_email_verified,
    tenant_of,
    used_mfa,
)

ENTRA_COMMON = "https://login.microsoftonline.com/{tenantid}/v2.0"
TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@pytest.mark.parametrize(("metadata_issuer", "claims", "expected"), [
    (ENTRA_COMMON, {"tid": TID}, f"https://login.microsoftonline.com/{TID}/v2.0"),
    (ENTRA_COMMON, {}, ""),  # no tenant: no issuer can match
    (ENTRA_COMMON, {"tid": 7}, ""),
    ("https://accounts.google.com", {"tid": TID}, "https://accounts.google.com"),
])
def test_entras_multi_tenant_issuer_is_the_tokens_own_tenant(metadata_issuer, claims, expected):
    assert expected_issuer(metadata_issuer, claims) == expected


@pytest.mark.parametrize(("provider", "claims", "verified"), [
    (GOOGLE, {"email_verified": True}, True),
    (GOOGLE, {"email_verified": "true"}, False),  # a string is not the JSON true
    (GOOGLE, {"xms_edov": True}, False),  # Entra's claim means nothing from Google
    (MICROSOFT, {"xms_edov": True}, True),
    (MICROSOFT, {}, False),
])
def test_only_the_providers_own_word_makes_an_email_verified(provider, claims, verified):
    assert is_email_verified(provider, claims) is verified


@pytest.mark.parametrize(("amr", "mfa"), [(["pwd", "mfa"], True), (["pwd"], False), ("mfa", False), (None, False)])
def test_mfa_only_when_amr_lists_it(amr, mfa):
    assert used_mfa({"amr": amr}) is mfa


def test_a_google_account_without_hd_is_a_personal_account():
    assert tenant_of(GOOGLE, {"email": "someone@gmail.com"}) is None
    assert tenant_of(GOOGLE, {"hd": "School.SCH.uk"}) == "school.sch.uk"


@pytest.mark.parametrize(("provider", "raw", "clean"), [
    (MICROSOFT, f" {TID.upper()} ", TID),
    (MICROSOFT, "contoso.onmicrosoft.com", None),
    (MICROSOFT, "72f988bf86f141af91ab2d7cd011db47", None),
    (GOOGLE, "@School.sch.uk", "school.sch.uk"),
    (GOOGLE, "school", None),
    (GOOGLE, "sch ool.uk", None),
])
def test_tenants_are_typed_as_a_guid_or_a_domain(provider, raw, clean):
    assert clean_tenant(provider, raw) == clean


@pytest.mark.parametrize(("settings", "problem"), [
    ({}, None),
    ({"SSO_MICROSOFT_CLIENT_ID": "id", "SSO_MICROSOFT_CLIENT_SECRET": "secret"}, None),
    ({"SSO_GOOGLE_CLIENT_ID": "id"}, "SSO_GOOGLE_CLIENT_ID and SSO_GOOGLE_CLIENT_SECRET go together"),
    ({"SSO_MICROSOFT_CLIENT_SECRET": "secret"}, "SSO_MICROSOFT_CLIENT_ID and SSO_MICROSOFT_CLIENT_SECRET go together"),
])
def test_a_client_id_and_its_secret_are_set_together(settings, problem):
    found = sso_settings_problem(settings)
    assert found == problem if problem is None else found.startswith(problem)
