"""Small things an outside probe found: caching of personal pages, and form bodies with too many fields."""

from __future__ import annotations

import pytest


def test_every_page_for_a_signed_in_person_is_kept_by_no_cache(client, make, login_as):
    login_as(make.user())
    for url in ("/my-learning", "/courses", "/account", "/my-certificates"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-store", url


def test_public_pages_and_static_files_stay_cacheable(client, make, login_as):
    public = client.get("/courses")
    assert public.status_code == 200 and "no-store" not in public.headers.get("Cache-Control", "")
    login_as(make.user())
    static = client.get("/static/css/elearn.css")
    static.close()  # a file response holds the file open until closed
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.parametrize(("fields", "status"), [(499, 200), (500, 200), (501, 413), (5000, 413)])
def test_an_urlencoded_form_is_held_to_the_same_number_of_fields_as_a_multipart_one(app, client, fields, status):
    assert app.config["MAX_FORM_PARTS"] == 500
    body = "&".join(f"f{i}=1" for i in range(fields - 1)) + "&email=a%40example.org"
    response = client.post("/reset-password", data=body.encode(),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == status
