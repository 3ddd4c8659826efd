"""The partnership's returns overview: who may see it, and what it lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from elearn.access import Oversight, oversight_of
from elearn.partnerships import service
from tests.partnerships.conftest import YEAR
from tests.partnerships.makers import signed_return


def test_the_overview_lists_consenting_members_returned_or_not(network):
    overview = service.build_overview(network.partnership, YEAR)
    returned = {s.name for s in overview.returned}
    assert returned == set(network.settings) - {"Hazel School"}
    assert [s.name for s in overview.outstanding] == ["Hazel School"]
    assert "Birch Academy" not in {s.name for s in overview.statuses}  # never joined
    assert "Leaver School" not in {s.name for s in overview.statuses}  # left: consent withdrawn


def test_every_setting_listed_is_one_the_partnership_oversees_as_aggregates(network):
    for status in service.build_overview(network.partnership, YEAR).statuses:
        setting = next(s for s in network.settings.values() if s.id == status.setting_id)
        assert oversight_of(network.viewer, setting) == Oversight.AGGREGATES


def test_a_revised_return_shows_its_latest_version_and_date(network):
    oak = network.settings["Oak Primary 1"]
    signed_return(oak, YEAR, signed_at=datetime(2027, 8, 1, 9, tzinfo=UTC))
    status = next(s for s in service.build_overview(network.partnership, YEAR).statuses if s.setting_id == oak.id)
    assert (status.version, status.signed_at) == (2, datetime(2027, 8, 1, 9, tzinfo=UTC))


def test_a_return_for_another_year_does_not_count(network):
    overview = service.build_overview(network.partnership, YEAR - 1)
    assert overview.returned == [] and len(overview.outstanding) == len(network.settings)


def test_the_page_shows_the_year_and_both_lists(client, sign_in, network):
    sign_in(network.viewer)
    page = client.get("/partnership/").get_data(as_text=True)
    assert "Training section returns, 2026/27" in page
    assert "Hazel School" in page and "Oak Primary 3" in page and "15 July 2027" in page
    assert "Birch Academy" not in page and "Leaver School" not in page


def test_an_earlier_year_can_be_chosen_and_an_unknown_one_is_not_found(client, sign_in, network):
    sign_in(network.viewer)
    assert "2025/26" in client.get(f"/partnership/?year={YEAR - 1}").get_data(as_text=True)
    assert client.get("/partnership/?year=1999").status_code == 404


@pytest.mark.parametrize("path", ["/partnership/", "/partnership/aggregates", "/partnership/reminders"])
def test_only_a_partnership_officer_reaches_the_partnership_pages(client, sign_in, network, cast, path):
    sign_in(None)
    assert "/login" in client.get(path).headers.get("Location", "")
    sign_in(cast.learner_a)
    assert client.get(path).status_code == 403
    for somebody_else in (network.school_manager, cast.manager_a, cast.admin):
        sign_in(somebody_else)
        assert client.get(path).status_code == 404, somebody_else.display_name


def test_another_partnership_sees_none_of_these_settings(client, sign_in, network):
    sign_in(network.other_partnership_viewer)
    page = client.get("/partnership/").get_data(as_text=True)
    assert "Oak Primary" not in page and "Hazel School" not in page
    aggregates = client.get("/partnership/aggregates").get_data(as_text=True)
    assert "Oak Trust" not in aggregates


def test_a_partnership_officer_lands_on_the_overview_after_signing_in(client, make, network):
    totp = make.two_factor(network.viewer)
    client.post("/login", data={"email": network.viewer.email, "password": make.PASSWORD})
    response = client.post("/login/two-factor", data={"code": make.next_totp_code(network.viewer, totp)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/partnership/")


def test_a_school_manager_still_lands_on_the_compliance_dashboard(network):
    from elearn.access import landing_endpoint

    assert landing_endpoint(network.viewer) == "partnerships.overview"
    assert landing_endpoint(network.school_manager) == "compliance.dashboard"
