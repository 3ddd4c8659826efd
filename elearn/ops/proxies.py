"""Who the client is: X-Forwarded-* headers count only on a connection from a configured proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from config import Network

# Every header ProxyFix reads.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")


def is_trusted_peer(peer: str | None, proxies: Sequence[Network]) -> bool:
    """Whether the address that opened the connection (REMOTE_ADDR) is one of the proxies."""
    if peer == "":
        # gunicorn bound to a unix socket gives no address: only a process on this machine can connect, and
        # gunicorn's forwarded_allow_ips trusts such connections too.
        return True
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # an IPv4 peer seen through a dual-stack [::] bind
    return any(address in network for network in proxies)


class ForwardedByProxies:
    """WSGI middleware: Werkzeug's ProxyFix for a connection from a configured proxy; for any other peer the
    X-Forwarded-* headers are dropped, so neither the limiter nor the app can read an address a client chose."""

    def __init__(self, app: WSGIApplication, *, proxies: Iterable[Network], hops: int) -> None:
        self.app = app
        self.proxies = tuple(proxies)
        self.proxy_fix = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[Any]:
        if is_trusted_peer(environ.get("REMOTE_ADDR"), self.proxies):
            return self.proxy_fix(environ, start_response)
        for name in FORWARDED_HEADERS:
            environ.pop(name, None)
        return self.app(environ, start_response)
