"""One rule per kind of field: its length limit here is the one the form, the service and the column use."""

from __future__ import annotations

PERSON_NAME_MAX = 120  # users.display_name, invitations.display_name, certificates.learner_name
EMAIL_MAX = 254  # RFC 5321's longest usable address
PASSWORD_MAX = 256  # Argon2 takes any length; this only stops a megabyte "password" being hashed
