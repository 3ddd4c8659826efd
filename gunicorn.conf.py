"""gunicorn settings for production. Every value can be overridden from the environment."""

import multiprocessing
import os

from config import DEFAULT_TRUSTED_PROXIES

# Loopback by default: the reverse proxy on this machine connects; nobody else reaches gunicorn directly. When the
# proxy runs elsewhere, bind to the private interface it uses and put its address in TRUSTED_PROXIES.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# SINGLE_PROCESS=1 (with RATELIMIT_STORAGE_URI=memory://): one worker holds the only rate-limit counters, so
# it must be the only worker, and it is never recycled (a new worker would start its counters from zero).
single_process = os.environ.get("SINGLE_PROCESS", "0") == "1"
# Otherwise the usual (2 x cores) + 1 synchronous workers: requests are short and mostly wait on the database.
workers = int(os.environ.get("GUNICORN_WORKERS", 1 if single_process else multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is restarted
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0" if single_process else "2000"))  # recycle workers, bounding any leak
max_requests_jitter = 200
# Load the app once, in the master, and fork each worker from it: a recycled worker then starts in milliseconds
# instead of spending about 1.5 s of CPU importing and building the app again while requests wait for a core.
# Each worker opens its own database connections (post_fork). GUNICORN_PRELOAD=0 loads the app in each worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")  # stdout: the hosts keep no log files
errorlog = "-"
# The request line (%(r)s) as RedactingLogger gives it: the path without the token of a reset or invitation
# link, and no query string.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
logger_class = "elearn.ops.access_log.RedactingLogger"
# The proxies whose X-Forwarded-Proto gunicorn believes: the same list the app trusts for X-Forwarded-For
# (config.py), so the two never disagree about who the proxy is. FORWARDED_ALLOW_IPS is not read.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)
raw_env = ["ELEARN_CONFIG=" + os.environ.get("ELEARN_CONFIG", "production")]


def on_starting(server):  # type: ignore[no-untyped-def]
    """Refuse a start that breaks this file's promises once the command line has had its say (`-w 4`)."""
    if set(server.cfg.forwarded_allow_ips) != {entry.strip() for entry in forwarded_allow_ips.split(",") if entry.strip()}:
        raise RuntimeError(f"--forwarded-allow-ips {','.join(server.cfg.forwarded_allow_ips)} differs from TRUSTED_PROXIES "
                           f"({forwarded_allow_ips}): set the proxies once, in TRUSTED_PROXIES")
    if single_process and server.cfg.workers != 1:
        raise RuntimeError(f"SINGLE_PROCESS=1 keeps the rate-limit counters in one process, but {server.cfg.workers} "
                           "workers were asked for: run one worker, or share the counters in Redis and unset it")


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """A worker forked from the preloaded app never shares the master's database connections."""
    app = getattr(server.app, "callable", None)  # None when each worker loads the app itself
    if app is not None:
        from elearn.extensions import forget_inherited_connections

        forget_inherited_connections(app)
