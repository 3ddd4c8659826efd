"""Files people upload (a signed register, a policy PDF): the type read from the bytes, never from the name or
the browser's word, and a size limit below the request limit so the person gets a message, not a 413 page."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import IO

from elearn.errors import InvalidInput

# Below config.MAX_CONTENT_LENGTH (2 MB for the whole request), so an oversize file is refused with a message.
UPLOAD_MAX_BYTES = 1536 * 1024
UPLOAD_MAX_LABEL = "1.5 MB"
FILENAME_MAX = 200

# The first bytes of each accepted type (their specifications' signatures).
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
TYPE_NAMES = {"application/pdf": "a PDF", "image/png": "a PNG image", "image/jpeg": "a JPEG image"}


@dataclass(frozen=True)
class Upload:
    """A checked file: its bytes, its type as read from them, and a filename safe to send back."""

    data: bytes
    mimetype: str
    filename: str

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(data: bytes) -> str | None:
    """The type the file's first bytes say it is, or None."""
    for mimetype, starts in SIGNATURES.items():
        if data.startswith(starts):
            return mimetype
    return None


def _safe_name(raw: str, mimetype: str) -> str:
    """The uploaded name without folders, controls or odd characters, ending in the type's extension."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base).rsplit(".", 1)[0] if "." in base else base
    base = "".join(ch if ch.isalnum() or ch in " -_()" else "-" for ch in base).strip(" -.") or "document"
    return f"{base[:FILENAME_MAX - 5]}.{EXTENSIONS[mimetype]}"


def read_upload(stream: IO[bytes], filename: str, *, field: str, accept: tuple[str, ...]) -> Upload:
    """The uploaded file if it is one of the accepted types and at most UPLOAD_MAX_BYTES, else InvalidInput(field)."""
    data = stream.read(UPLOAD_MAX_BYTES + 1)
    if not data:
        raise InvalidInput(field, "The file is empty. Choose the file again.")
    if len(data) > UPLOAD_MAX_BYTES:
        raise InvalidInput(field, f"The file is larger than {UPLOAD_MAX_LABEL}. Scan it at a lower resolution, "
                                  "or save it as a smaller PDF.")
    mimetype = sniff(data)
    if mimetype is None or mimetype not in accept:
        names = [TYPE_NAMES[m] for m in accept]
        kinds = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise InvalidInput(field, f"The file must be {kinds}. This file is not.")
    return Upload(data, mimetype, _safe_name(filename or "", mimetype))
