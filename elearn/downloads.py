"""Files people download: CSV cells no spreadsheet runs, file names any browser keeps, and one way to send them.

Every download of personal data (certificates, exports, a learner's own data) goes out through
`send`, so each carries an RFC 6266 attachment header and `Cache-Control: private, no-store`
(a personal document must not linger in shared or browser caches: SECURITY-TESTS E5). A download
someone makes of other people's data is recorded with `audited` before it is sent.
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response, stream_with_context

from elearn.audit import record_event
from elearn.extensions import db
from elearn.models import User

log = logging.getLogger(__name__)

# Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (or hide one), even
# after leading spaces: OWASP "CSV Injection"; SECURITY-TESTS E1.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_MAX_SLUG = 60


def safe_cell(value: object) -> str:
    """A value as CSV text that no spreadsheet runs as a formula: a risky first character gets a `'` before it."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (int, Decimal)):  # a number, even a negative one, is data, not a formula
        return str(value)
    text = str(value)
    if text.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """Rows as UTF-8 CSV with a byte-order mark (so Excel reads the encoding), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_stream(rows: Iterable[Iterable[object]], *, flush_at: int = 64 * 1024) -> Iterator[bytes]:
    """Rows as the same CSV as `csv_bytes`, produced lazily: pieces of about `flush_at` bytes, the first one
    (byte-order mark and header) as soon as the first row is ready, so memory holds a piece, never the file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    first = True
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        if first or buffer.tell() >= flush_at:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            first = False
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def slug(text: str, *, ascii_only: bool = True) -> str:
    """Lower-case letters and digits joined by single dashes; no dots, slashes, quotes or controls; "" if none."""
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    else:
        text = unicodedata.normalize("NFC", text)
    result = "-".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())
    if len(result) > _MAX_SLUG:  # cut at a word boundary when there is one
        result = result[:_MAX_SLUG]
        result = result[: result.rindex("-")] if "-" in result else result
    return result


def content_disposition(ascii_filename: str, filename: str) -> str:
    """An RFC 6266 attachment header: a plain ASCII name, plus `filename*` when the real name is not ASCII."""
    header = f'attachment; filename="{ascii_filename}"'
    if filename != ascii_filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


@dataclass(frozen=True)
class Download:
    """A file ready to send: its bytes, type and name (with an ASCII fallback when the name is not ASCII)."""

    body: bytes | Iterable[bytes]  # an iterable is streamed (the request stays open while it runs)
    mimetype: str
    filename: str
    ascii_filename: str = ""

    @property
    def content_disposition(self) -> str:
        return content_disposition(self.ascii_filename or self.filename, self.filename)


def audited(download: Download, action: str, *, actor: User, **event: Any) -> Download:
    """Record who downloaded what (an AuditEvent, committed) and hand the file back to be sent."""
    record_event(action, actor=actor, **event)
    db.session.commit()
    log.info("%s by user %s (%s)", action, actor.id, event.get("target"))
    return download


def send(download: Download) -> Response:
    """The HTTP response for a download: an attachment that no cache keeps; a streamed body keeps its request
    (and database session) until the last piece is sent."""
    body = download.body if isinstance(download.body, bytes) else stream_with_context(iter(download.body))
    return Response(body, content_type=download.mimetype, headers={
        "Content-Disposition": download.content_disposition, "Cache-Control": "private, no-store"})
