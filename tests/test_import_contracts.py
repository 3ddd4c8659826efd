"""The import contracts `make lint` checks (.importlinter): they name every feature, and they can fail."""

from __future__ import annotations

import configparser
from pathlib import Path

import grimp
import pytest

from tests.import_contracts import FeaturesThroughServicesContract

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p.name for p in (ROOT / "elearn").iterdir() if (p / "__init__.py").exists())
MODULES = sorted(p.stem for p in (ROOT / "elearn").glob("*.py") if p.stem != "__init__")


def _contracts() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config


def test_every_package_and_module_of_the_app_has_a_layer():
    layers = _contracts()["importlinter:contract:layers"]["layers"]
    named = {name.strip() for line in layers.splitlines() for name in line.split(":") if name.strip()}
    assert set(PACKAGES) | set(MODULES) <= named, "add the new package or module to a layer in .importlinter"


def test_every_feature_is_held_to_the_service_rule():
    features = _contracts()["importlinter:contract:services"]["features"].split()
    shared = {"models", "static", "templates"}  # the bottom layer and non-code folders
    assert {f"elearn.{p}" for p in PACKAGES if p not in shared} == set(features)


def _check(*imports: tuple[str, str]) -> list[tuple[str, str]]:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="import x")
    contract = FeaturesThroughServicesContract(
        name="test", session_options={},
        contract_options={"features": ["app.a", "app.b"], "entry_points": ["views", "forms", "cli"]})
    check = contract.check(graph, verbose=False)
    return [(item["importer"], item["imported"]) for item in check.metadata["broken"]]


@pytest.mark.parametrize(("imported", "allowed"), [
    ("app.b.service", True),
    ("app.b.marking", True),  # a named service or pure module
    ("app.b.views", False),
    ("app.b.invite_views", False),
    ("app.b.forms", False),
    ("app.b.cli", False),
    ("app.b._helpers", False),
    ("app.b.sub._private", False),
])
def test_a_feature_reaches_another_only_through_its_service_layer(imported, allowed):
    assert _check(("app.a.service", imported)) == ([] if allowed else [("app.a.service", imported)])


def test_a_feature_may_use_its_own_views_and_forms():
    assert _check(("app.a.views", "app.a.forms"), ("app.a.views", "app.a._helpers")) == []
