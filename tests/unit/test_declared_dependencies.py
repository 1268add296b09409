"""Declare what we import: every third-party module that ``src/anxin`` imports comes from a
distribution listed in pyproject's ``[project] dependencies`` (issue 13: fontTools was
imported by ``letters/`` and installed only because fpdf2 happens to need it)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_level_modules() -> dict[str, set[str]]:
    """Third-party top-level module → the files of src/anxin that import it."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "src" / "anxin").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top != "anxin" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_canonical(re.split(r"[\s\[<>=!~;]", d, maxsplit=1)[0])
            for d in project["dependencies"]}


def test_every_imported_distribution_is_declared() -> None:
    dists = importlib.metadata.packages_distributions()
    deps = declared()
    undeclared = {}
    for module, files in imported_top_level_modules().items():
        assert module in dists, f"{module} (imported by {sorted(files)}) is not installed"
        if not {_canonical(d) for d in dists[module]} & deps:
            undeclared[module] = (dists[module], sorted(files))
    assert not undeclared, f"imported but not in pyproject dependencies: {undeclared}"


def test_the_scan_sees_the_imports_that_were_missing() -> None:
    seen = imported_top_level_modules()
    assert "fontTools" in seen
    assert "fpdf" in seen
