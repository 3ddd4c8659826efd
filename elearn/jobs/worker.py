"""The entry point for the worker and the scheduler processes.

    celery -A elearn.jobs.worker worker --loglevel=INFO
    celery -A elearn.jobs.worker beat --loglevel=INFO

Both build the app from the environment (ELEARN_CONFIG, default production) like gunicorn does.
"""

from __future__ import annotations

import os

from elearn import create_app

flask_app = create_app(os.environ.get("ELEARN_CONFIG", "production"))
celery = flask_app.extensions["celery"]
