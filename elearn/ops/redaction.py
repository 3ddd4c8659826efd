"""Secrets that travel in URLs never reach a log: password-reset and invitation tokens, certificate codes.

One rule for every log that names a request (the JSON request log, Flask's error log, gunicorn's access log):
the segment after a secret-bearing route's prefix becomes `[redacted]`, and query strings are not logged at
all (`/login?next=/invitations/<token>` carries a token; search forms carry email addresses).
tests/ops/test_log_redaction.py walks `app.url_map`, so a new route with a secret in its path fails there.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

REDACTED = "[redacted]"
# The first segment of every route whose next segment is a secret: /reset-password/<token>,
# /invitations/<token>, /register/<token>, /verify/<path:code> (a certificate code shows the learner's name).
SECRET_ROUTES = ("reset-password", "invitations", "register", "verify")
# Anchored at the start of the path, so /manage/invitations/12 keeps its id. Repeated slashes and any case:
# whatever Werkzeug might still route (or redirect) to the page.
_ROUTES = "|".join(map(re.escape, SECRET_ROUTES))
_SECRET_PATH = re.compile(rf"^(/+(?:{_ROUTES})/+)[^?#]+", re.IGNORECASE)


def redact_path(path: str) -> str:
    """The request path with the secret after a token route's prefix replaced by `[redacted]`."""
    return _SECRET_PATH.sub(lambda match: match.group(1) + REDACTED, path)


def request_target(path: str, query: str) -> str:
    """What a log shows of a request's target: the redacted path, and only whether there was a query."""
    return redact_path(path) + (f"?{REDACTED}" if query else "")


def redact_url(url: str) -> str:
    """A full URL (a Referer header) with its path redacted and any query string dropped."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if url == "-":
        return url  # gunicorn's "no Referer"
    if not parts.path.startswith("/") or (parts.scheme and not parts.netloc):
        return REDACTED  # not a URL a browser sends: nothing to keep
    path = request_target(unquote(parts.path), parts.query)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")) + path
