"""Background work on Celery: the outbox's deliveries and the scheduled jobs (see queue.py)."""
