"""An import-linter contract of our own: features reach each other only through their service modules.

`lint-imports` (run by `make lint`) loads it from `.importlinter`. The built-in contracts hold the
layers and forbid cycles; this one holds the seams between features. A feature's views, forms,
templates and private helpers are its own business; another feature that needs something from it
calls its `service` module (or a module the contract names as public, such as a pure rule
module), so a change inside a feature cannot break a feature that merely uses it.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output


class FeaturesThroughServicesContract(Contract):
    """Options: `features` (packages), `public_modules` (module names, e.g. `service`) and `also_public` (full names)."""

    type_name = "features_through_services"

    features = fields.ListField(subfield=fields.StringField())
    public_modules = fields.ListField(subfield=fields.StringField())
    also_public = fields.ListField(subfield=fields.StringField(), required=False)

    def _is_public(self, module: str, feature: str) -> bool:
        if module == feature:  # the package's own (empty) __init__
            return True
        also_public: list[str] = list(self.also_public or [])  # type: ignore[call-overload]
        name = module[len(feature) + 1:].split(".", 1)[0]
        return name in self.public_modules or module in also_public  # type: ignore[operator]

    def _feature_of(self, module: str) -> str | None:
        for feature in self.features:  # type: ignore[attr-defined]
            if module == feature or module.startswith(feature + "."):
                return str(feature)
        return None

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        broken: list[dict[str, Any]] = []
        for importer in sorted(graph.modules):
            importer_feature = self._feature_of(importer)
            if importer_feature is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                imported_feature = self._feature_of(imported)
                if imported_feature in (None, importer_feature):
                    continue
                assert imported_feature is not None
                if not self._is_public(imported, imported_feature):
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = sorted({d["line_number"] for d in details})
                    broken.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(f"{item['importer']} -> {item['imported']} ({lines}): "
                               "go through that feature's service module", bold=False)
            output.new_line()
