"""gunicorn's access log without secrets: `logger_class` in gunicorn.conf.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from elearn.ops.redaction import REDACTED, redact_path, redact_url, request_target


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger; the request line, path and referrer are redacted and the query string is not logged.

    The WSGI environ is not offered to access_log_format (`%({name}e)s`): it holds the raw URI and Werkzeug's
    request object, which both carry the token.
    """

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> dict[str, Any]:
        atoms = {key: value for key, value in super().atoms(resp, req, environ, request_time).items()
                 if not key.endswith("}e")}
        path, query = environ.get("PATH_INFO") or "", environ.get("QUERY_STRING") or ""
        referer = redact_url(environ.get("HTTP_REFERER") or "-")
        atoms.update({
            "r": f"{environ.get('REQUEST_METHOD', '-')} {request_target(path, query)} {environ.get('SERVER_PROTOCOL', '-')}",
            "U": redact_path(path),
            "q": REDACTED if query else "",
            "f": referer,
            "{referer}i": referer,
        })
        return atoms
