"""What never changes once a course version is published, loaded once per process.

A course version's lessons and question bank are written by `flask courses sync` and never edited afterwards
(a change to the files makes a new version). So each app process keeps them, as frozen plain values, after the
first request that needs them. The key is the version id *and* its content hash: an id reused by another
database (a test, a restore) with other content is a different key, so nothing stale is ever served. Only the
course's own content is kept here; anything about a person (progress, answers, attempts) is read per request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import TypeVar

from flask import current_app

T = TypeVar("T")

# Versions a process keeps per kind of content; the least recently used goes first. A platform publishes a
# few dozen versions a year, so this is never reached in practice; it only bounds memory.
KEEP = 256


class VersionCache:
    """A bounded, thread-safe map from (version id, content hash) to values built once from the database."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._values: OrderedDict[tuple[int, str], object] = OrderedDict()
        self._lock = Lock()

    def get(self, version_id: int, content_hash: str, build: Callable[[], T]) -> T:
        key = (version_id, content_hash)
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[return-value]
        value = build()  # outside the lock: two threads may build the same value once each, harmlessly
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._keep:
                self._values.popitem(last=False)
        return value


def version_cache(name: str) -> VersionCache:
    """This app's cache for one kind of published content (e.g. "outlines", "question texts")."""
    caches: dict[str, VersionCache] = current_app.extensions.setdefault("elearn.published", {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, VersionCache())
    return cache
