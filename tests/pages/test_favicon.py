"""/favicon.ico: the real icon base.html links (16, 32 and 48 px), cached for a long while by anyone, also for a
signed-in visitor (every other answer to one is private, no-store), and answered with 304 once cached."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

ICON = Path(__file__).resolve().parents[2] / "elearn" / "static" / "img" / "favicon.ico"


def test_the_favicon_is_the_sites_icon_with_long_public_caching(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.get_data() == ICON.read_bytes()
    with Image.open(io.BytesIO(response.get_data())) as icon:
        assert icon.format == "ICO" and {(16, 16), (32, 32)} <= set(icon.info["sizes"])
    assert response.cache_control.public and response.cache_control.max_age == 30 * 24 * 60 * 60
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_signed_in_visitor_gets_the_same_cacheable_icon(client, cast, sign_in) -> None:
    sign_in(cast.learner_a)
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"] and response.cache_control.max_age == 2592000
    assert "no-store" in client.get("/my-learning").headers["Cache-Control"]  # pages still are not cached


def test_a_cached_favicon_is_confirmed_with_304(client) -> None:
    first = client.get("/favicon.ico")
    again = client.get("/favicon.ico", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
