"""Authlib's Flask client, one per app: the authorisation code flow with PKCE (S256), `state` and `nonce`, and
the ID token's checks (signature by the provider's published keys, issuer, audience, expiry, nonce).

Authlib keeps `state`, the nonce and the PKCE verifier in the signed session cookie and refuses a callback whose
`state` it did not issue; `finish` adds the issuer rule for Entra's multi-tenant metadata.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from elearn.sso.providers import PROVIDERS, Provider, expected_issuer

_EXTENSION = "elearn_sso"


def init_sso(app: Flask) -> None:
    """Register each provider that has a client id in this deployment's settings."""
    oauth = OAuth(app)
    for provider in PROVIDERS.values():
        client_id = app.config.get(provider.config_key("CLIENT_ID"))
        if not client_id:
            continue
        oauth.register(
            provider.name,
            client_id=client_id,
            client_secret=app.config.get(provider.config_key("CLIENT_SECRET")),
            server_metadata_url=app.config[provider.config_key("METADATA_URL")],
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256",
                           "default_timeout": app.config.get("SSO_TIMEOUT_SECONDS", 10)},
        )
    app.extensions[_EXTENSION] = oauth


def enabled_providers() -> list[Provider]:
    """The providers this deployment offers (those with a client id), for the sign-in page and the settings."""
    return [p for p in PROVIDERS.values() if current_app.config.get(p.config_key("CLIENT_ID"))]


def find_provider(name: str) -> Provider | None:
    provider = PROVIDERS.get(name)
    return provider if provider is not None and provider in enabled_providers() else None


def _client(provider: Provider) -> Any:
    return current_app.extensions[_EXTENSION].create_client(provider.name)


def start(provider: Provider, redirect_uri: str) -> Any:
    """The redirect to the provider's sign-in page (a fresh state, nonce and PKCE verifier in the session)."""
    return _client(provider).authorize_redirect(redirect_uri)


def finish(provider: Provider) -> dict[str, Any]:
    """Check the callback's state, swap the code (with the PKCE verifier) for tokens and check the ID token.
    Returns the ID token's claims. Raises Authlib's, joserfc's and requests' errors for the caller to name."""
    client = _client(provider)
    metadata_issuer = client.load_server_metadata().get("issuer", "")
    options = {
        "iss": {"essential": True, "validate": lambda claims, value: value == expected_issuer(metadata_issuer, claims)},
        "sub": {"essential": True},
    }
    token = client.authorize_access_token(claims_options=options, leeway=60)
    claims = token.get("userinfo")
    if not claims:  # an answer without an ID token: nothing says who this is
        raise MissingIdToken()
    return dict(claims)


class MissingIdToken(Exception):
    """The token endpoint answered without an ID token."""
