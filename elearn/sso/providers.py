"""The two OpenID Connect providers, pure: what each calls its tenant, how its issuer is checked, whether its
token says a second factor was used. No database, no requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MFA_METHODS = frozenset({"mfa"})  # RFC 8176: "mfa" is what Entra ID puts in `amr` after a second factor


@dataclass(frozen=True)
class Provider:
    name: str  # in URLs and in the database: "microsoft" | "google"
    label: str  # on buttons: "Sign in with Microsoft"
    tenant_claim: str  # the ID token claim naming the organisation: Entra's `tid`, Google Workspace's `hd`
    tenant_label: str  # on the settings page

    def config_key(self, setting: str) -> str:
        return f"SSO_{self.name.upper()}_{setting}"


MICROSOFT = Provider("microsoft", "Microsoft", "tid", "Microsoft Entra tenant ID")
GOOGLE = Provider("google", "Google", "hd", "Google Workspace domain")
PROVIDERS: dict[str, Provider] = {p.name: p for p in (MICROSOFT, GOOGLE)}


def expected_issuer(metadata_issuer: str, claims: Mapping[str, Any]) -> str:
    """The issuer an ID token must name. Entra's multi-tenant metadata says
    https://login.microsoftonline.com/{tenantid}/v2.0: each tenant signs as itself, so the template takes the
    token's own `tid` (which must then be a tenant some organisation connected)."""
    if "{tenantid}" in metadata_issuer:
        tenant = claims.get("tid")
        return metadata_issuer.replace("{tenantid}", tenant) if isinstance(tenant, str) and tenant else ""
    return metadata_issuer


def tenant_of(provider: Provider, claims: Mapping[str, Any]) -> str | None:
    """The tenant the token speaks for, in lower case; None for a personal account (no `hd` from Google)."""
    value = claims.get(provider.tenant_claim)
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def is_email_verified(provider: Provider, claims: Mapping[str, Any]) -> bool:
    """The provider vouches for the email address: `email_verified`, or Entra's `xms_edov` (the address's domain is
    verified by the tenant that issued the token). A string "true" is not enough: it must be the JSON true."""
    return claims.get("email_verified") is True or (provider is MICROSOFT and claims.get("xms_edov") is True)


def used_mfa(claims: Mapping[str, Any]) -> bool:
    """The token says the person used more than one factor (`amr` contains "mfa")."""
    methods = claims.get("amr")
    return isinstance(methods, list) and any(method in MFA_METHODS for method in methods)


def clean_tenant(provider: Provider, raw: str) -> str | None:
    """A tenant as an organisation types it: a GUID for Entra, a domain for Google; None when it cannot be one."""
    value = (raw or "").strip().lower()
    if provider is MICROSOFT:
        hexdigits = value.replace("-", "")
        ok = len(value) == 36 and len(hexdigits) == 32 and all(c in "0123456789abcdef" for c in hexdigits) \
            and [len(part) for part in value.split("-")] == [8, 4, 4, 4, 12]
        return value if ok else None
    labels = value.lstrip("@").split(".")
    if len(value) > 253 or len(labels) < 2 or not all(
            label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels):
        return None
    return value.lstrip("@")
