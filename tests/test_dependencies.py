"""Every package the code imports is declared in pyproject.toml, not left to arrive through another one
(an upgrade of Scrapy or FastAPI could drop it). Read from the source (AST) and the installed metadata."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from tests.conftest import ROOT

PACKAGES = ("crawler", "monitor", "storage")
OPTIONAL = {"pytest"}  # only the pytest plugin imports it, and only pytest loads that (tests/plugin)


def imported_top_levels() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"newswatch", "__future__"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {normalized(re.split(r"[\s\[<>=~!;]", dep, maxsplit=1)[0]) for dep in project["dependencies"]}


def test_every_imported_package_is_declared() -> None:
    distributions = importlib.metadata.packages_distributions()
    imported = imported_top_levels() - OPTIONAL
    assert {"twisted", "parsel", "w3lib", "redis", "starlette", "charset_normalizer"} <= imported  # the scan sees
    undeclared = {name: distributions.get(name) for name in imported
                  if not {normalized(d) for d in distributions.get(name, [name])} & declared()}
    assert undeclared == {}, f"imported but not in [project] dependencies: {undeclared}"
