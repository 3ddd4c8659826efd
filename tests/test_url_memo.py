"""Links are built once per process (elearn.Elearn.url_for) and stay what Flask would have built for each request."""

from __future__ import annotations

from flask import Flask, g, url_for


def test_a_memoised_link_is_the_one_flask_builds(app: Flask):
    with app.test_request_context("/courses"):
        first = url_for("catalog.index")
        assert url_for("catalog.index") == first == Flask.url_for(app, "catalog.index")
        assert url_for("static", filename="css/elearn.css") == Flask.url_for(app, "static", filename="css/elearn.css")


def test_links_follow_the_script_root_and_host_of_each_request(app: Flask):
    with app.test_request_context("/courses"):
        plain = url_for("catalog.index")
    with app.test_request_context("/courses", base_url="http://localhost/training/"):
        assert url_for("catalog.index") == "/training" + plain
    with app.test_request_context("/courses", base_url="https://other.example.org/"):
        assert url_for("catalog.index") == plain
        assert url_for("catalog.index", _external=True) == "https://other.example.org" + plain


def test_arguments_are_part_of_the_link(app: Flask):
    with app.test_request_context("/courses"):
        assert url_for("catalog.course", slug="one") != url_for("catalog.course", slug="two")
        assert url_for("static", filename="a.css") != url_for("static", filename="b.css")


def test_links_a_url_defaults_function_fills_in_are_built_for_each_request(app: Flask):
    """The manager area keeps ?org= on its links: one organisation's link is never served to another."""
    with app.test_request_context("/manage"):
        g.manage_org_param = 1
        first = url_for("compliance.dashboard")
    with app.test_request_context("/manage"):
        g.manage_org_param = 2
        second = url_for("compliance.dashboard")
    assert "org=1" in first and "org=2" in second


def test_true_is_not_taken_for_one(app: Flask):
    with app.test_request_context("/courses"):
        assert url_for("catalog.index", page=1) == Flask.url_for(app, "catalog.index", page=1)
        assert url_for("catalog.index", page=True) == Flask.url_for(app, "catalog.index", page=True)


def test_an_endpoint_whose_rules_differ_by_method_gets_the_link_of_each_requests_method():
    """Werkzeug builds with the request's method by default: a GET's link is not served to a POST."""
    from elearn import Elearn

    app = Elearn(__name__)

    def item() -> str:
        return ""

    app.add_url_rule("/read", "item", item, methods=["GET"])
    app.add_url_rule("/write", "item", item, methods=["POST"])
    with app.test_request_context("/", method="GET"):
        assert url_for("item") == "/read"
    with app.test_request_context("/", method="POST"):
        assert url_for("item") == "/write"
