"""The entry point for the job-queue processes, beside wsgi.py for gunicorn.

    celery -A worker worker --loglevel=INFO      # any number, on any number of machines
    celery -A worker beat --loglevel=INFO        # exactly one: the schedule (elearn/jobs/queue.py)

Both build the app from the environment (ELEARN_CONFIG, default production) as gunicorn does.
"""

from __future__ import annotations

import os

from elearn import create_app

flask_app = create_app(os.environ.get("ELEARN_CONFIG", "production"))
celery = flask_app.extensions["celery"]
