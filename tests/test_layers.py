"""Imports follow the flow (docs/design.md, "Rooms"): no module imports a later stage.

storage → crawler (its base, then fetch → discover → extract → pipeline → spiders) → changes → alerts →
schedule → config → sources → runs → housekeeping → daemon → queue → web → cli, and testing at the
top. A room may import itself and the rooms before it, never one after it. Two assemblies name
components of every stage: ``crawler.settings`` (the crawl's Scrapy settings) and the monitor's ``config``
(which validates each concern's settings); they are placed in the order where their imports allow.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

ORDER = [
    "storage", "storage.corpus",
    "crawler", "crawler.fetch", "crawler.discover", "crawler.extract", "crawler.pipeline", "crawler.spiders",
    "crawler.settings",
    "monitor", "monitor.changes", "monitor.alerts", "monitor.schedule", "monitor.config", "monitor.sources",
    "monitor.runs", "monitor.housekeeping", "monitor.daemon", "monitor.queue", "monitor.web", "monitor.cli",
    "monitor.testing",
]
PACKAGES = ("crawler", "monitor", "storage")
# the rooms of a package: its subfolders (and the package's own modules, its base)
SUBROOMS = {"crawler": {"fetch", "discover", "extract", "pipeline", "spiders"},
            "storage": {"corpus"}}


def room_of(module: str) -> str | None:
    """The room of a dotted module name (``newswatch.crawler.fetch.netguard`` → ``crawler.fetch``)."""
    parts = module.split(".")
    if parts[0] != "newswatch" or len(parts) < 2 or parts[1] not in PACKAGES:
        return None
    package, rest = parts[1], parts[2:]
    if package == "monitor":
        return f"monitor.{rest[0]}" if rest else "monitor"
    if package == "crawler" and rest[:1] == ["settings"]:
        return "crawler.settings"
    return f"{package}.{rest[0]}" if rest and rest[0] in SUBROOMS.get(package, set()) else package


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def module_name(path: Path) -> str:
    return "newswatch." + ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_every_module_is_in_a_room() -> None:
    loose = [p.relative_to(ROOT).as_posix() for p in (ROOT / "monitor").glob("*.py") if p.name != "__init__.py"]
    assert loose == [], "monitor/ modules belong in a room of their concern"
    assert sorted({room_of(module_name(p)) or "" for p in modules()} - set(ORDER)) == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_point_one_way(path: Path) -> None:
    room = room_of(module_name(path))
    assert room in ORDER, f"{path} is in no room"
    rank = ORDER.index(room)
    later = [name for name in imports_of(path) if (target := room_of(name)) and ORDER.index(target) > rank]
    assert later == [], f"{module_name(path)} ({room}) imports a later stage: {later}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_one_name_for_every_module(path: Path) -> None:
    """Ours are imported as ``newswatch.*`` only: a bare ``crawler.x`` would load a second copy."""
    bare = [name for name in imports_of(path) if name.split(".")[0] in PACKAGES]
    assert bare == []


DOTTED_SETTING = re.compile(r"""["']newswatch\.(?:crawler|monitor|storage)\.[\w.]+["']""")


def test_no_dotted_path_component_settings() -> None:
    """Components reach the crawl as objects or classes, not as dotted strings to load."""
    found = {p.relative_to(ROOT).as_posix(): DOTTED_SETTING.findall(p.read_text(encoding="utf-8"))
             for p in modules()}
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_the_package_name_is_the_only_top_level() -> None:
    """The wheel installs one importable name: the folders are linked into ``newswatch/``."""
    for package in PACKAGES:
        link = ROOT / "newswatch" / package
        assert link.is_symlink() and link.resolve() == (ROOT / package).resolve()


def test_a_folder_imported_by_its_own_name_refuses() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import crawler"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 1 and "import newswatch.crawler" in done.stderr
