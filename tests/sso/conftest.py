"""A real OpenID Connect provider for the single sign-on tests: oidc-provider (npm), started on loopback.

tests/sso/provider/provider.mjs configures it like Microsoft Entra ID and Google. The tests point the app's
Microsoft and Google settings at it and run the whole flow: the app's redirect, the provider's pages (sign-in and
consent are approved at once for the account the test names), the code swapped for tokens with PKCE, and the
ID token checked against the provider's published keys.

Without Node the provider tests are skipped; in CI (CI set) that is a failure. `make test` installs the
provider's npm package (`npm install --prefix tests/sso/provider`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from elearn.sso.client import init_sso

PROVIDER_DIR = Path(__file__).parent / "provider"
CLIENT_ID = "elearn-test-client"
CLIENT_SECRET = "elearn-test-client-secret"
BASE = "https://elearn.test"  # TestConfig's PUBLIC_BASE_URL: the redirect URI the app sends
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class OpenIdProvider:
    issuer: str

    def sign_in_as(self, **claims: Any) -> None:
        """Name the account the provider signs in next (its claims: sub, email, email_verified, tid or hd, amr...)."""
        requests.post(f"{self.issuer}/test/account", json=claims, timeout=5).raise_for_status()

    def next_answer(self, *, cancel: bool = False, tamper: str | None = None, down: str | None = None) -> None:
        """Decline the next consent, tamper with the next ID token (aud, expired, signature or replay_nonce), or
        answer 503 once from an endpoint (/token or /jwks)."""
        requests.post(f"{self.issuer}/test/next", json={"cancel": cancel, "tamper": tamper, "down": down},
                      timeout=5).raise_for_status()


@contextmanager
def running_provider(redirect_uris: list[str]) -> Iterator[OpenIdProvider]:
    """The test provider on a free loopback port, accepting these redirect URIs, until the block ends."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node not found (CI is set, so the single sign-on tests must run)", pytrace=False)
        pytest.skip("node not found: the single sign-on tests need Node.js to run the test OpenID provider")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("oidc-provider is not installed: run `npm install --prefix tests/sso/provider` (make test does)",
                    pytrace=False)
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
           "REDIRECT_URIS": ",".join(redirect_uris), "NODE_ENV": "test"}
    process = subprocess.Popen([node, "provider.mjs"], cwd=PROVIDER_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.stdout else ""
                    pytest.fail(f"the test OpenID provider did not start:\n{output}", pytrace=False)
                time.sleep(0.1)
        yield OpenIdProvider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIdProvider]:
    with running_provider([f"{BASE}/sso/microsoft/callback", f"{BASE}/sso/google/callback"]) as provider:
        yield provider


def sso_settings(metadata_url: str) -> dict[str, Any]:
    return {f"SSO_{name}_{key}": value for name in ("MICROSOFT", "GOOGLE") for key, value in (
        ("CLIENT_ID", CLIENT_ID), ("CLIENT_SECRET", CLIENT_SECRET), ("METADATA_URL", metadata_url))}


@pytest.fixture
def configure_sso(app: Flask) -> Iterator[Any]:
    """Point the app's Microsoft and Google settings somewhere (a fresh Authlib client each time); undone after."""
    saved = {key: app.config.get(key) for key in sso_settings("")}

    def configure(metadata_url: str) -> None:
        app.config.update(sso_settings(metadata_url) | {"SSO_TIMEOUT_SECONDS": 3})
        init_sso(app)

    yield configure
    app.config.update(saved)
    init_sso(app)


@pytest.fixture
def sso(openid_provider: OpenIdProvider, configure_sso: Any) -> OpenIdProvider:
    """The app signs in with Microsoft and Google through the test provider."""
    configure_sso(f"{openid_provider.issuer}/.well-known/openid-configuration")
    return openid_provider


def through_provider(client: FlaskClient, start: TestResponse, *, state: str | None = None) -> TestResponse:
    """Follow the app's redirect through the provider's pages (a browser of its own) back to the app's callback.
    `state` replaces the state the provider sends back, as a forged or mixed-up callback would."""
    assert start.status_code == 302, start.get_data(as_text=True)
    url, browser = start.headers["Location"], requests.Session()
    while not url.startswith(BASE):
        answer = browser.get(url, allow_redirects=False, timeout=10)
        assert answer.status_code in (302, 303), (answer.status_code, answer.text)
        url = urljoin(url, answer.headers["Location"])
    browser.close()
    path = url[len(BASE):]
    if state is not None:
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query)) | {"state": state}
        path = f"{parts.path}?{urlencode(query)}"
    return client.get(path)


def sso_sign_in(client: FlaskClient, provider: str = "microsoft", **kwargs: Any) -> TestResponse:
    """Press "Sign in with Microsoft" (or Google) and come back signed in, or refused."""
    return through_provider(client, client.get(f"/sso/{provider}/start"), **kwargs)
