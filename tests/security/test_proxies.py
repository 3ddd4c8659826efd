"""Client addresses: X-Forwarded-* count only when the peer is a configured proxy (TRUSTED_PROXIES).

With TRUSTED_PROXY_COUNT=1 a client that reached gunicorn directly used to choose its own address with
X-Forwarded-For, and with it a fresh sign-in counter for every request.
"""

from __future__ import annotations

import pytest
from flask import Flask, request

from config import ConfigError
from tests.ops.gunicorn_settings import load_gunicorn_config

PROXIES = "10.0.0.2, 192.168.10.0/24, fd00::/8"
OUTSIDER = "198.51.100.7"  # reached gunicorn without going through the proxy


def _echo_client(make_app, **settings):  # type: ignore[no-untyped-def]
    app: Flask = make_app(**settings)

    @app.route("/_test_client")
    def client_seen() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host}"

    return app.test_client()


def _seen(client, peer: str, headers: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/_test_client", headers=headers, environ_base={"REMOTE_ADDR": peer})
    return response.get_data(as_text=True).split(" ")


@pytest.mark.parametrize(("hops", "peer", "forwarded_for", "expected"), [
    (1, OUTSIDER,           "203.0.113.9",                            OUTSIDER),        # not a proxy: header ignored
    (1, "10.0.0.2",         "203.0.113.9",                            "203.0.113.9"),   # the proxy
    (1, "192.168.10.77",    "203.0.113.9",                            "203.0.113.9"),   # a proxy inside a network
    (1, "192.168.11.1",     "203.0.113.9",                            "192.168.11.1"),  # just outside it
    (1, "fd00::5",          "2001:db8::1",                            "2001:db8::1"),   # IPv6 proxy
    (1, "::ffff:10.0.0.2",  "203.0.113.9",                            "203.0.113.9"),   # the proxy, via a dual-stack bind
    (1, "::ffff:198.51.100.7", "203.0.113.9",                         "::ffff:198.51.100.7"),
    (1, "10.0.0.2",         "6.6.6.6, 203.0.113.9",                   "203.0.113.9"),   # a value the client sent first
    (2, "10.0.0.2",         "6.6.6.6, 203.0.113.9, 198.51.100.20",    "203.0.113.9"),   # CDN, then our proxy
    (2, OUTSIDER,           "6.6.6.6, 203.0.113.9, 198.51.100.20",    OUTSIDER),
    (1, "10.0.0.2",         "",                                       "10.0.0.2"),      # the proxy sent none
    (1, "",                 "203.0.113.9",                            "203.0.113.9"),   # a unix socket, as gunicorn treats it
    (1, "not-an-address",   "203.0.113.9",                            "not-an-address"),
    (0, "10.0.0.2",         "203.0.113.9",                            "10.0.0.2"),      # no proxy in front at all
])
def test_the_client_address_is_forwarded_only_by_a_configured_proxy(make_app, hops, peer, forwarded_for, expected):
    client = _echo_client(make_app, TRUSTED_PROXY_COUNT=hops, TRUSTED_PROXIES=PROXIES)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    assert _seen(client, peer, headers)[0] == expected


def test_scheme_and_host_are_forwarded_only_by_a_configured_proxy(make_app):
    client = _echo_client(make_app, TRUSTED_PROXY_COUNT=1, TRUSTED_PROXIES=PROXIES)
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    assert _seen(client, OUTSIDER, headers) == [OUTSIDER, "http", "localhost"]
    assert _seen(client, "10.0.0.2", headers) == ["203.0.113.9", "https", "evil.example"]


def test_forwarded_headers_from_another_peer_never_reach_the_app(make_app):
    app = make_app(TRUSTED_PROXY_COUNT=1, TRUSTED_PROXIES=PROXIES)

    @app.route("/_test_headers")
    def headers_seen() -> str:
        return ",".join(sorted(name for name, _ in request.headers if name.lower().startswith("x-forwarded")))

    sent = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "a.example",
            "X-Forwarded-Port": "443", "X-Forwarded-Prefix": "/x"}
    response = app.test_client().get("/_test_headers", headers=sent, environ_base={"REMOTE_ADDR": OUTSIDER})
    assert response.get_data(as_text=True) == ""


def test_a_client_that_bypasses_the_proxy_is_limited_on_its_own_address(make_app):
    """The probe: 120 failed sign-ins from one address, each with a made-up X-Forwarded-For, and no 429."""
    client = make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXY_COUNT=1, TRUSTED_PROXIES="10.0.0.2",
                      LOGIN_RATE_LIMIT_PER_IP="5 per minute").test_client()
    statuses = [client.post("/login", data={"email": f"person{i}@example.org", "password": "one guess each"},
                            headers={"X-Forwarded-For": f"203.0.113.{i}"},
                            environ_base={"REMOTE_ADDR": OUTSIDER}).status_code
                for i in range(7)]
    assert statuses == [422] * 5 + [429, 429]


def test_clients_behind_the_proxy_each_have_their_own_sign_in_limit(make_app):
    client = make_app(RATELIMIT_ENABLED=True, TRUSTED_PROXY_COUNT=1, TRUSTED_PROXIES="10.0.0.2",
                      LOGIN_RATE_LIMIT_PER_IP="5 per minute").test_client()

    def attempt(i: int, address: str) -> int:
        return client.post("/login", data={"email": f"person{i}@example.org", "password": "one guess each"},
                           headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code

    assert [attempt(i, f"203.0.113.{i}") for i in range(7)] == [422] * 7
    assert [attempt(i, "203.0.113.200") for i in range(7)] == [422] * 5 + [429, 429]


@pytest.mark.parametrize(("hops", "proxies", "problem"), [
    (1, "",                "TRUSTED_PROXY_COUNT is 1 but TRUSTED_PROXIES names no proxy"),
    (1, "*",               "TRUSTED_PROXIES cannot be '\\*'"),
    (1, "0.0.0.0/0",       "would trust every address"),
    (1, "::/0",            "would trust every address"),
    (1, "10.0.0.1/8",      "not an address or network: '10.0.0.1/8'"),
    (1, "proxy.internal",  "not an address or network: 'proxy.internal'"),
    (0, "nonsense",        "not an address or network: 'nonsense'"),
    (-1, "127.0.0.1",      "TRUSTED_PROXY_COUNT cannot be negative"),
])
def test_proxy_settings_that_cannot_be_right_stop_the_start(make_app, hops, proxies, problem):
    with pytest.raises(ConfigError, match=problem):
        make_app(TRUSTED_PROXY_COUNT=hops, TRUSTED_PROXIES=proxies)


def test_gunicorn_listens_on_loopback_unless_told_otherwise(monkeypatch):
    assert load_gunicorn_config(monkeypatch).bind == ["127.0.0.1:8000"]
    assert load_gunicorn_config(monkeypatch, GUNICORN_BIND="10.0.0.5:8000").bind == ["10.0.0.5:8000"]


def test_gunicorn_trusts_forwarded_headers_from_the_same_proxies_as_the_app(monkeypatch, app):
    by_default = load_gunicorn_config(monkeypatch).forwarded_allow_ips
    assert by_default == ["127.0.0.1", "::1"]
    assert by_default == [entry.strip() for entry in app.config["TRUSTED_PROXIES"].split(",")]
    configured = load_gunicorn_config(monkeypatch, TRUSTED_PROXIES=PROXIES, FORWARDED_ALLOW_IPS="*")
    assert configured.forwarded_allow_ips == ["10.0.0.2", "192.168.10.0/24", "fd00::/8"]


class _Arbiter:
    def __init__(self, cfg) -> None:  # type: ignore[no-untyped-def]
        self.cfg = cfg


def test_gunicorn_refuses_to_start_trusting_other_proxies_than_the_app(monkeypatch):
    config = load_gunicorn_config(monkeypatch, TRUSTED_PROXIES="10.0.0.2")
    config.on_starting(_Arbiter(config))
    config.set("forwarded_allow_ips", "*")  # `gunicorn --forwarded-allow-ips '*'`
    with pytest.raises(RuntimeError, match="differs from TRUSTED_PROXIES"):
        config.on_starting(_Arbiter(config))
