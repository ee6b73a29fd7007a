"""Every published number passes one gate: the aggregation layer is private to it.

A page that computes its own aggregate (as the thank-you page once did) can show a number the
dashboard hides; so the modules that compute aggregates may be imported by `api.results.gate`
and by nothing else in the app.
"""

from __future__ import annotations

import ast
from pathlib import Path

from api.platform.settings import ROOT

PRIVATE = {"api.results._aggregation", "api.results._reliability", "api.results._network"}
GATE = ROOT / "api" / "results" / "gate.py"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def app_modules() -> list[Path]:
    return sorted(p for folder in ("api", "web") for p in (ROOT / folder).rglob("*.py"))


def test_only_the_gate_imports_the_aggregation_layer():
    offenders = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & PRIVATE)
                 for p in app_modules() if p != GATE and p.parent.name != "__pycache__"}
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_check_sees_an_import_of_the_aggregation_layer(tmp_path):
    """The test above can fail: a module importing the layer is seen, in both spellings."""
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from api.results import _aggregation\nimport api.results._reliability\n"
                      "from api.results._network import marks_per_unit\n")
    assert imported_modules(sneaky) >= PRIVATE


def test_the_gate_itself_uses_the_aggregation_layer():
    assert imported_modules(GATE) >= PRIVATE


LAYERS = ["api.platform", "api.results", "api.survey", "api.setup"]  # each may import only leftwards


def test_imports_flow_one_way_from_setup_to_survey_to_results_to_platform():
    wrong = []
    for index, layer in enumerate(LAYERS):
        folder = ROOT / layer.replace(".", "/")
        higher = LAYERS[index + 1:] + ["api.v1", "web", "api.cli", "api.main"]
        for path in sorted(folder.rglob("*.py")):
            for module in imported_modules(path):
                if any(module == h or module.startswith(h + ".") for h in higher):
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []
