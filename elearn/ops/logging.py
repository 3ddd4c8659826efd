"""Structured logs: JSON lines to stdout, one per request with its id, user, status and duration."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request
from flask_login import current_user

from elearn.ops.redaction import redact_path

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_log = logging.getLogger("elearn.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with any `extra` fields the caller passed."""

    RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
    # One encoder for every line: json.dumps(default=...) builds a new one per call.
    ENCODER = json.JSONEncoder(default=str)
    _second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self._time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in self.RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.ENCODER.encode(entry)

    def _time(self, record: logging.LogRecord) -> str:
        """The record's second, formatted once per second rather than once per line."""
        second, cached = self._second
        if second != int(record.created):
            cached = self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
            self._second = (int(record.created), cached)
        return cached


def configure_logging(app: Flask) -> None:
    """Log to stdout once (the hosts keep no log files); JSON unless LOG_FORMAT=text."""
    root = logging.getLogger("elearn")
    if not any(getattr(h, "_elearn", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler._elearn = True  # type: ignore[attr-defined]
        json_logs = app.config.get("LOG_FORMAT", "json") == "json"
        handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.propagate = app.testing  # pytest's caplog reads propagated records
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    app.before_request(_start_request)
    app.after_request(_log_request)


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # Trust a proxy's id only when it looks like one; otherwise make our own.
    g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    response.headers["X-Request-ID"] = g.get("request_id", "")
    path = redact_path(request.path)  # never the token of a reset or invitation link; never the query string
    request_log.info(
        "%s %s %s", request.method, path, response.status_code,
        extra={"request_id": g.get("request_id"), "user_id": user_id, "status": response.status_code,
               "duration_ms": duration_ms, "method": request.method, "path": path},
    )
    return response
