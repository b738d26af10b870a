"""The code's layers point one way (DESIGN.md), and tests share helpers instead of importing
one another: checked on the source, so a new import that breaks either fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("workflows"), ids=lambda p: p.name)
def test_workflows_import_neither_flask_nor_the_app(path):
    bad = {m for m in imports(path) if m.split(".")[0] in ("flask", "app")}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_module_imports_another(path):
    bad = {m for m in imports(path) if m.startswith("tests.")
           and any(part.startswith("test_") for part in m.split(".")[1:])}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}: use tests/helpers.py"


# What infrastructure may use of the app: its factory (a worker builds the app), extensions,
# models and i18n, and itself.
INFRASTRUCTURE_MAY_IMPORT = ("app.create_app", "app.extensions", "app.models", "app.i18n",
                             "app.services")


@pytest.mark.parametrize("path", modules("app/services"), ids=lambda p: p.name)
def test_services_are_infrastructure_importing_no_area_and_no_web_layer(path):
    bad = {m for m in imports(path) if m.split(".")[0] == "app" and m != "app"
           and not m.startswith(INFRASTRUCTURE_MAY_IMPORT)}
    assert not bad, (f"{path.relative_to(ROOT)} imports {sorted(bad)}: app/services is "
                     "infrastructure; move the rule to its area (e.g. app/cases)")
