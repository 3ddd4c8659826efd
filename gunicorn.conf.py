"""gunicorn settings for production. Every value can be overridden from the environment."""

import multiprocessing
import os

from config import DEFAULT_TRUSTED_PROXIES

# Loopback by default: the reverse proxy on this machine connects; nobody else reaches gunicorn directly. When the
# proxy runs elsewhere, bind to the private interface it uses and put its address in TRUSTED_PROXIES.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The usual (2 x cores) + 1 synchronous workers: requests are short and mostly wait on the database.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is restarted
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))  # recycle workers, bounding any leak
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")  # stdout: the hosts keep no log files
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
# The proxies whose X-Forwarded-Proto gunicorn believes: the same list the app trusts for X-Forwarded-For
# (config.py), so the two never disagree about who the proxy is. FORWARDED_ALLOW_IPS is not read.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)
raw_env = ["ELEARN_CONFIG=" + os.environ.get("ELEARN_CONFIG", "production")]
