"""Settings classes. Every secret and URL comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


class Config:
    PLATFORM_NAME = "elearn"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}
    COURSES_DIR = os.environ.get("COURSES_DIR", str(BASE_DIR / "courses"))
    # Absolute base used in emails and on certificates (QR codes), never taken from the Host header.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "folder")  # smtp | folder | memory
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(BASE_DIR / "instance" / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "elearn <no-reply@elearn.invalid>")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # If the shared store (Redis) stops answering, each process keeps enforcing the same limits in its own
    # memory (per process, so looser by the number of workers) instead of failing every limited request with
    # a 500; Flask-Limiter goes back to Redis by itself once it answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Per client address: generous enough for a school behind one NAT address, tight enough to stop stuffing.
    LOGIN_RATE_LIMIT_PER_IP = os.environ.get("LOGIN_RATE_LIMIT_PER_IP", "30 per minute")
    LOGIN_RATE_LIMIT_PER_EMAIL = os.environ.get("LOGIN_RATE_LIMIT_PER_EMAIL", "5 per minute")
    REGISTER_RATE_LIMIT_PER_IP = os.environ.get("REGISTER_RATE_LIMIT_PER_IP", "20 per hour")
    PASSWORD_RESET_HOURS = 1
    # Argon2id parameters (RFC 9106 second recommended option, 64 MiB).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # json | text
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # How many reverse proxies (nginx, a load balancer) sit in front of the app; 0 trusts no X-Forwarded-* header.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_PARTS = 500
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    def validate(self) -> None:
        """Refuse to run without the settings this environment needs."""


class DevelopmentConfig(Config):
    DEBUG = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'instance' / 'elearn.db'}"
    # Development only: a fresh key per start (sessions end on restart). Production refuses to start without one.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)


class TestConfig(Config):
    TESTING = True
    LOG_FORMAT = "text"
    SECRET_KEY = "test-only-secret-key"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_BACKEND = "memory"
    WTF_CSRF_ENABLED = False  # tests/test_csrf.py switches it on and checks every POST route
    RATELIMIT_ENABLED = False  # the rate-limit tests switch it on
    PUBLIC_BASE_URL = "https://elearn.test"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024


class ProductionConfig(Config):
    # __Host- cookies must be Secure, path=/ and have no Domain: no subdomain can set or read them.
    SESSION_COOKIE_NAME = "__Host-elearn"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

    def validate(self) -> None:
        missing = [name for name in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI") if not getattr(self, name)]
        if missing:
            names = ", ".join("DATABASE_URL" if m == "SQLALCHEMY_DATABASE_URI" else m for m in missing)
            raise ConfigError(f"production needs these environment variables: {names}")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
