"""An import-linter contract of our own: features reach each other only through their service layer.

`lint-imports` (run by `make lint`) loads it from `.importlinter`. The built-in contracts hold the
layers and forbid cycles; this one holds the seams between features. A feature's entry points (its
blueprint views, its forms and its CLI commands) and its private modules (`_name`) are its own
business. Another feature that needs something from it calls its service layer: `service.py` and
the named service or pure modules beside it (`marking`, `kinds`, `invitations`, `reports`...). So a
page or a form can be rewritten without breaking a feature that merely uses the rules behind it.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output


class FeaturesThroughServicesContract(Contract):
    """Options: `features` (packages) and `entry_points` (module names no other feature may import)."""

    type_name = "features_through_services"

    features = fields.ListField(subfield=fields.StringField())
    entry_points = fields.ListField(subfield=fields.StringField())

    def _feature_of(self, module: str) -> str | None:
        for feature in self.features:  # type: ignore[attr-defined]
            if module == feature or module.startswith(feature + "."):
                return str(feature)
        return None

    def _is_entry_point_or_private(self, module: str, feature: str) -> bool:
        """`views`, `forms`, `cli`, `invite_views`... or any module whose name starts with an underscore."""
        names = module[len(feature) + 1:].split(".") if module != feature else []
        entry_points: list[str] = list(self.entry_points)  # type: ignore[call-overload]
        return any(name.startswith("_") or any(name == e or name.endswith("_" + e) for e in entry_points)
                   for name in names)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        broken: list[dict[str, Any]] = []
        for importer in sorted(graph.modules):
            importer_feature = self._feature_of(importer)
            if importer_feature is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                imported_feature = self._feature_of(imported)
                if imported_feature is None or imported_feature == importer_feature:
                    continue
                if self._is_entry_point_or_private(imported, imported_feature):
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = sorted({d["line_number"] for d in details})
                    broken.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(f"{item['importer']} -> {item['imported']} ({lines}): another feature's views, "
                               "forms, commands and private modules are its own; call its service layer", bold=False)
            output.new_line()
