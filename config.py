"""Settings classes. Every secret and URL comes from the environment."""

from __future__ import annotations

import ipaddress
import os
import secrets
from email.utils import parseaddr
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A proxy on this machine, as gunicorn's own forwarded_allow_ips default.
DEFAULT_TRUSTED_PROXIES = "127.0.0.1,::1"


def trusted_proxy_networks(value: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES as networks: comma-separated addresses or CIDR networks, read as gunicorn reads them.

    Raises:
        ValueError: an entry is not an address or a network (or a network with host bits set, like 10.0.0.1/8).
    """
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: not an address or network: {entry!r}") from None
    return tuple(networks)


def trusted_proxies_problem(value: str, hops: int) -> str | None:
    """Why TRUSTED_PROXIES and TRUSTED_PROXY_COUNT cannot be right together, or None if they can."""
    if hops < 0:
        return "TRUSTED_PROXY_COUNT cannot be negative"
    if value.strip() == "*":
        return "TRUSTED_PROXIES cannot be '*': name the proxies' addresses, or anyone can say who they are"
    try:
        networks = trusted_proxy_networks(value)
    except ValueError as error:
        return str(error)
    if any(network.prefixlen == 0 for network in networks):
        return f"TRUSTED_PROXIES {value!r} would trust every address: name the proxies"
    if hops and not networks:
        return f"TRUSTED_PROXY_COUNT is {hops} but TRUSTED_PROXIES names no proxy"
    return None


def job_broker_problem(broker_url: str | None, single_process: bool) -> str | None:
    """Why production cannot send its email and run its schedule, or None if it can."""
    if broker_url or single_process:
        return None
    return ("CELERY_BROKER_URL is not set: emails and scheduled jobs need a broker (redis://… or amqp://…) with "
            "a worker and a scheduler; a single-process install sets SINGLE_PROCESS=1 to run them inline")


def sso_settings_problem(settings: dict[str, str | None]) -> str | None:
    """Why the Microsoft or Google sign-in settings cannot work, or None if they can (docs/SSO.md)."""
    for name in ("MICROSOFT", "GOOGLE"):
        if bool(settings.get(f"SSO_{name}_CLIENT_ID")) != bool(settings.get(f"SSO_{name}_CLIENT_SECRET")):
            return f"SSO_{name}_CLIENT_ID and SSO_{name}_CLIENT_SECRET go together: set both, or neither"
    return None


class Config:
    # The issuer printed on certificates, in page titles and emails: the deployment's own name.
    PLATFORM_NAME = os.environ.get("PLATFORM_NAME", "elearn").strip() or "elearn"
    # The body that accredits this deployment's courses, if any. Unset: nothing claims accreditation; set, it is
    # printed on certificates issued from then on and shown on the home and verification pages.
    ACCREDITING_BODY: str | None = os.environ.get("ACCREDITING_BODY", "").strip() or None
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}
    # SQLite only: how long a connection waits for another's write lock before "database is locked".
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
    COURSES_DIR = os.environ.get("COURSES_DIR", str(BASE_DIR / "courses"))
    # Absolute base used in emails and on certificates (QR codes), never taken from the Host header.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "folder")  # smtp | folder | memory
    MAIL_CLAIM_SECONDS = int(os.environ.get("MAIL_CLAIM_SECONDS", "120"))  # see elearn.mail.claim_period
    # The job queue's broker (redis://… or amqp://…). Unset: jobs run inline in the process that queues them.
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(BASE_DIR / "instance" / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "elearn <no-reply@elearn.invalid>")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # memory:// counts in each process: production accepts it only when told the app runs as one process
    # (gunicorn.conf.py then starts one worker and never recycles it).
    SINGLE_PROCESS = os.environ.get("SINGLE_PROCESS", "0") == "1"
    # If the shared store (Redis) stops answering, each process keeps enforcing the same limits in its own
    # memory (per process, so looser by the number of workers) instead of failing every limited request with
    # a 500; Flask-Limiter goes back to Redis by itself once it answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Per client address: generous enough for a school behind one NAT address, tight enough to stop stuffing.
    # Guessing at one account is slowed by the sign-in throttle (elearn/auth/throttle.py), not by a request
    # limit per email address: anyone could spend that one and keep the owner out.
    LOGIN_RATE_LIMIT_PER_IP = os.environ.get("LOGIN_RATE_LIMIT_PER_IP", "30 per minute")
    REGISTER_RATE_LIMIT_PER_IP = os.environ.get("REGISTER_RATE_LIMIT_PER_IP", "20 per hour")
    PASSWORD_RESET_HOURS = 1
    REGISTRATION_LINK_HOURS = 24
    # Names the accounts that have signed in from a browser before (elearn/auth/known_browsers.py).
    KNOWN_BROWSER_COOKIE = "elearn_browser"
    # Argon2id parameters (RFC 9106 second recommended option, 64 MiB).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # json | text
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # How many reverse proxies (nginx, a load balancer) sit in front of the app; 0 trusts no X-Forwarded-* header.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    # The addresses or networks (comma-separated) of the proxy that connects to gunicorn. X-Forwarded-* headers
    # count only on a connection from one of them; gunicorn.conf.py gives gunicorn the same list.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)

    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_PARTS = 500
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # "Remember this device for 30 days" after two-factor sign-in (elearn/auth/sessions.py): its own signed cookie.
    DEVICE_COOKIE_NAME = "elearn-device"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Sign in with Microsoft Entra ID or Google (OpenID Connect, elearn/sso; docs/SSO.md). One registration per
    # deployment: a provider without a client id is not offered. Each organisation names its tenant in the app.
    SSO_MICROSOFT_CLIENT_ID = os.environ.get("SSO_MICROSOFT_CLIENT_ID")
    SSO_MICROSOFT_CLIENT_SECRET = os.environ.get("SSO_MICROSOFT_CLIENT_SECRET")
    SSO_MICROSOFT_METADATA_URL = os.environ.get(
        "SSO_MICROSOFT_METADATA_URL", "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration")
    SSO_GOOGLE_CLIENT_ID = os.environ.get("SSO_GOOGLE_CLIENT_ID")
    SSO_GOOGLE_CLIENT_SECRET = os.environ.get("SSO_GOOGLE_CLIENT_SECRET")
    SSO_GOOGLE_METADATA_URL = os.environ.get(
        "SSO_GOOGLE_METADATA_URL", "https://accounts.google.com/.well-known/openid-configuration")
    SSO_TIMEOUT_SECONDS = float(os.environ.get("SSO_TIMEOUT_SECONDS", "10"))  # each call to the provider

    def validate(self) -> None:
        """Refuse to run without the settings this environment needs, or with settings that cannot be right."""
        problem = trusted_proxies_problem(self.TRUSTED_PROXIES, self.TRUSTED_PROXY_COUNT) or sso_settings_problem(
            {name: getattr(self, name) for name in dir(self) if name.startswith("SSO_")})
        if problem:
            raise ConfigError(problem)


class DevelopmentConfig(Config):
    DEBUG = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'instance' / 'elearn.db'}"
    # Development only: a fresh key per start (sessions end on restart). Production refuses to start without one.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)


class TestConfig(Config):
    TESTING = True
    CELERY_BROKER_URL = None  # inline; the worker tests name their Redis themselves
    LOG_FORMAT = "text"
    SECRET_KEY = "test-only-secret-key"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_BACKEND = "memory"
    WTF_CSRF_ENABLED = False  # tests/test_csrf.py switches it on and checks every POST route
    RATELIMIT_ENABLED = False  # the rate-limit tests switch it on
    PUBLIC_BASE_URL = "https://elearn.test"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024


# Names reserved for examples and tests (RFC 2606, RFC 6761): mail from them bounces, links to them go nowhere.
_RESERVED_DOMAINS = ("invalid", "test", "example", "localhost", "local", "example.com", "example.net", "example.org")


def _is_reserved_domain(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == reserved or host.endswith("." + reserved) for reserved in _RESERVED_DOMAINS)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host.lower().rstrip(".") in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost")


def public_base_url_problem(url: str | None) -> str | None:
    """Why PUBLIC_BASE_URL cannot go on printed certificates and in emails, or None if it can."""
    if not url:
        return "PUBLIC_BASE_URL is not set"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return f"PUBLIC_BASE_URL must be an https:// address, not {url!r}"
    if _is_loopback(parts.hostname):
        return f"PUBLIC_BASE_URL points at this machine ({parts.hostname}): QR codes and links would not work elsewhere"
    return None


def mail_sender_problem(sender: str | None) -> str | None:
    """Why MAIL_SENDER cannot send real mail, or None if it can."""
    if not sender:
        return "MAIL_SENDER is not set"
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2]
    if "@" not in address or not domain or " " in address:
        return f"MAIL_SENDER is not an email address: {sender!r}"
    if _is_reserved_domain(domain) or _is_loopback(domain):
        return f"MAIL_SENDER uses a domain reserved for examples and tests ({domain}): set the address you send from"
    return None


def rate_limit_storage_problem(uri: str, single_process: bool) -> str | None:
    """Why the rate-limit counters would not be shared by every process serving the app, or None if they are."""
    if urlsplit(uri).scheme.lower() == "memory" and not single_process:
        return (f"RATELIMIT_STORAGE_URI is {uri}, which counts in each process: five workers would allow five times "
                "every sign-in limit. Point it at Redis (redis://host:6379/0), or set SINGLE_PROCESS=1 if the app "
                "runs as one process")
    return None


class ProductionConfig(Config):
    # __Host- cookies must be Secure, path=/ and have no Domain: no subdomain can set or read them.
    SESSION_COOKIE_NAME = "__Host-elearn"
    SESSION_COOKIE_SECURE = True
    KNOWN_BROWSER_COOKIE = "__Host-elearn-browser"
    REMEMBER_COOKIE_SECURE = True
    DEVICE_COOKIE_NAME = "__Host-elearn-device"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

    def __init__(self) -> None:
        # No defaults here: both are printed (QR codes on certificates, links and the sender in emails), so a
        # forgotten one must stop the start rather than send learners to 127.0.0.1. Read at start, not import.
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")  # type: ignore[assignment]
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER")  # type: ignore[assignment]
        # Also read at start: these two decide whether the sign-in limits hold across workers.
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.SINGLE_PROCESS = os.environ.get("SINGLE_PROCESS", "0") == "1"
        self.CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")

    def validate(self) -> None:
        super().validate()
        missing = [name for name in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI") if not getattr(self, name)]
        if missing:
            names = ", ".join("DATABASE_URL" if m == "SQLALCHEMY_DATABASE_URI" else m for m in missing)
            raise ConfigError(f"production needs these environment variables: {names}")
        problems = [p for p in (public_base_url_problem(self.PUBLIC_BASE_URL), mail_sender_problem(self.MAIL_SENDER),
                                rate_limit_storage_problem(self.RATELIMIT_STORAGE_URI, self.SINGLE_PROCESS),
                                job_broker_problem(self.CELERY_BROKER_URL, self.SINGLE_PROCESS)) if p]
        if problems:
            raise ConfigError("production cannot start: " + "; ".join(problems))


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
