"""The manager area's shared templates: the layout every /manage page extends, and the organisation chooser.

This blueprint has no routes. Each feature under /manage (people, compliance, contacts, training, evidence's
learning gain) has its own blueprint, and each of those calls access.guard().
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("manage", __name__, template_folder="templates")
