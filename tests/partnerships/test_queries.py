"""The partnership's pages run the same number of statements whatever the number of member settings."""

from __future__ import annotations

from elearn.models import Phase
from elearn.partnerships import service
from tests.partnerships.conftest import YEAR
from tests.partnerships.makers import join, signed_return


def _statements(client, count_queries, url: str) -> int:  # type: ignore[no-untyped-def]
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def _add_settings(make, network, how_many: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(how_many):
        setting = make.org(name=f"Extra School {n}", trust=network.elm if n % 2 else None)
        setting.phase = Phase.SECONDARY
        join(network.partnership, setting)
        if n % 3:
            signed_return(setting, YEAR)
            signed_return(setting, YEAR)  # a revised version too


def test_the_overview_runs_a_fixed_number_of_statements(client, sign_in, network, make, count_queries):
    sign_in(network.viewer)
    service.send_reminders(network.partnership, YEAR, actor=network.viewer)
    before = _statements(client, count_queries, "/partnership/")
    _add_settings(make, network, 15)
    service.send_reminders(network.partnership, YEAR, actor=network.viewer)
    after = _statements(client, count_queries, "/partnership/")
    assert after == before
    assert after <= 6, after  # the session and the signed-in person, then one statement for the whole list


def test_the_figures_page_and_reminder_page_run_a_fixed_number_of_statements(client, sign_in, network, make,
                                                                            count_queries):
    sign_in(network.viewer)
    pages = ("/partnership/aggregates", "/partnership/reminders", "/partnership/figures.csv")
    before = [_statements(client, count_queries, url) for url in pages]
    _add_settings(make, network, 15)
    assert [_statements(client, count_queries, url) for url in pages] == before
