"""Every partnership page and download, walked from the URL map: never a person's name, an email address or a DSL's
comment, and never a figure under 5; the CSVs validate against their published Table Schemas (frictionless)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from frictionless import Resource, Schema, validate
from openpyxl import load_workbook

from elearn.partnerships import service
from tests.partnerships.conftest import YEAR
from tests.partnerships.makers import SECRET_COMMENT, SECRET_NAMES
from tests.test_tabular import libreoffice_csv

FIGURE_COLUMNS = {"settings", "numerator", "denominator", "settings_green", "settings_amber", "settings_red"}
NEVER = (*SECRET_NAMES, SECRET_COMMENT, "hazel.example")  # the viewer's own name is in the header


def partnership_urls(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET address of the partnership's blueprint, each format of each download, for this year and the last."""
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("partnerships.") and "GET" in (rule.methods or ()):
            formats = ["csv", "xlsx"] if "fmt" in rule.arguments else [None]
            for fmt in formats:
                for year in (YEAR, YEAR - 1):
                    urls.append(adapter.build(rule.endpoint, {"fmt": fmt, "year": year} if fmt else {"year": year}))
    return urls


def _html_figures(body: str) -> list[str]:
    """The counts in the pages' tables (a share is a percentage, not a count)."""
    cells = re.findall(r'<td class="num" data-label="([^"]*)">(.*?)</td>', body, re.DOTALL)
    return [re.sub(r"<[^>]+>", "", cell).strip() for label, cell in cells if label != "Share"]


def _figures(url: str, data: bytes) -> list[str]:
    """The figures a download or page holds, as text ("" for a withheld cell in a file)."""
    if ".csv" in url:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        return [row[c] for row in rows for c in FIGURE_COLUMNS if c in row]
    if ".xlsx" in url:
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        wanted = {i for i, title in enumerate(header) if title in ("Settings returned", "People who meet it",
                                                                   "People counted", "Settings rated green",
                                                                   "Settings rated amber", "Settings rated red")}
        return ["" if row[i] is None else str(row[i]) for row in sheet.iter_rows(min_row=2, values_only=True)
                for i in wanted]
    return _html_figures(data.decode())


def _text(url: str, data: bytes) -> str:
    if ".xlsx" in url:
        workbook = load_workbook(io.BytesIO(data))
        return " ".join(str(c) for s in workbook.worksheets for row in s.iter_rows(values_only=True) for c in row)
    return data.decode("utf-8-sig")


def test_no_page_or_download_shows_a_name_or_a_figure_under_5(app, client, sign_in, network):
    service.send_reminders(network.partnership, YEAR, actor=network.viewer)  # "last reminded" shows too
    sign_in(network.viewer)
    urls = partnership_urls(app)
    assert len(urls) >= 14  # three pages, two downloads in two formats and two schemas, for two years
    shown = withheld = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text(url, response.data)
        assert not [secret for secret in NEVER if secret in text], url
        for figure in _figures(url, response.data):
            if figure in ("", "fewer than 5"):
                withheld += 1
                continue
            assert int(figure) >= 5, f"{url}: {figure}"
            shown += 1
    assert shown > 0 and withheld > 0  # the walk saw both kinds, so it could have failed


def test_the_figures_page_shows_sums_and_withholds_oak_trust(client, sign_in, network):
    sign_in(network.viewer)
    page = client.get("/partnership/aggregates").get_data(as_text=True)
    # 11 returned settings, each 9 of 10 on every measure: 99 of 110 (90%) overall
    assert re.search(r"All returned settings</th>\s*<td class=\"num\" data-label=\"Meet it\">99</td>", page)
    assert "90%" in page
    # Oak Trust's five schools are all primary; primary minus Oak is Willow Primary alone: Oak is withheld.
    oak = re.search(r"Trust: Oak Trust</th>\s*<td class=\"num\" data-label=\"Meet it\">(.*?)</td>", page)
    assert oak is not None and "fewer than 5" in oak.group(1)


@pytest.mark.parametrize("table", ["returns", "figures"])
def test_the_csv_validates_against_its_published_table_schema(client, sign_in, network, tmp_path: Path, table):
    sign_in(network.viewer)
    (tmp_path / "data.csv").write_bytes(client.get(f"/partnership/{table}.csv").data)
    schema = client.get(f"/partnership/{table}.schema.json")
    assert schema.headers["Content-Disposition"].endswith('.schema.json"')
    resource = Resource(path="data.csv", basepath=str(tmp_path), schema=Schema.from_descriptor(json.loads(schema.data)))
    report = validate(resource)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_returns_csv_lists_each_member_once(client, sign_in, network):
    sign_in(network.viewer)
    rows = list(csv.DictReader(io.StringIO(client.get("/partnership/returns.csv").data.decode("utf-8-sig"))))
    assert sorted(r["setting"] for r in rows) == sorted(network.settings)
    hazel = next(r for r in rows if r["setting"] == "Hazel School")
    assert (hazel["returned"], hazel["signed_on"]) == ("false", "")


def test_a_download_is_audited_and_never_cached(client, sign_in, network):
    from sqlalchemy import select

    from elearn.extensions import db
    from elearn.models import AuditEvent

    sign_in(network.viewer)
    response = client.get("/partnership/figures.xlsx")
    assert "no-store" in response.headers["Cache-Control"] and "attachment" in response.headers["Content-Disposition"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "partnership.exported")).one()
    assert (event.organisation_id, event.target) == (network.partnership.id, "figures.xlsx")


def test_libreoffice_reads_the_same_figures_from_the_xlsx(client, sign_in, network, tmp_path: Path):
    sign_in(network.viewer)
    from_csv = list(csv.reader(io.StringIO(client.get("/partnership/figures.csv").data.decode("utf-8-sig"))))
    from_xlsx = libreoffice_csv(client.get("/partnership/figures.xlsx").data, tmp_path)
    assert [row[5:] for row in from_xlsx[1:]] == [row[5:] for row in from_csv[1:]]
