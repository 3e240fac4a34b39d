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
    found: list[str] = []
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


# where a Scrapy component is named by its dotted path: Scrapy's own component settings (DOWNLOADER_MIDDLEWARES,
# EXTENSIONS, SCHEDULER, DOWNLOAD_HANDLERS...), which must stay plain data (Scrapy deep-copies its settings,
# and a child crawl receives them as JSON); nothing of ours is loaded by a name of our own choosing
SCRAPY_COMPONENTS = {"crawler/settings.py", "crawler/fetch/cassette.py", "crawler/fetch/render.py"}
DOTTED = re.compile(r"""["'](newswatch\.(?:crawler|monitor|storage)\.[\w.]+)["']""")


def test_no_component_is_named_by_a_dotted_path_of_ours() -> None:
    """The recorder is an object handed to the crawl (the spider's ``recorder`` argument); no ``NEWSWATCH_*``
    setting names a component, nothing loads one with ``load_object``."""
    for path in modules():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        assert "NEWSWATCH_RECORDER" not in text and "load_object(" not in text, name
        classes = [d for d in DOTTED.findall(text) if d.rpartition(".")[2][:1].isupper()]
        assert name in SCRAPY_COMPONENTS or classes == [], f"{name} names a component by its path: {classes}"


@pytest.mark.parametrize("name", sorted(SCRAPY_COMPONENTS))
def test_every_scrapy_component_path_names_a_class(name: str) -> None:
    """A renamed module cannot leave a component setting pointing nowhere."""
    import importlib

    found = DOTTED.findall((ROOT / name).read_text(encoding="utf-8"))
    for dotted in found:
        module, _, attr = dotted.rpartition(".")
        if attr[:1].isupper():
            assert isinstance(getattr(importlib.import_module(module), attr), type), dotted
    assert found


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


# -- SQL lives in storage/ (issue 25): outside it, SQLAlchemy is sessions, engines and errors only --------

# what a module outside storage/ may import from SQLAlchemy: sessions and their factory, engines and URLs,
# errors; every name that builds a statement (select, insert, update, delete, text, func, and_, aliased,
# defer, the dialects' insert...) belongs to a query module under storage/ (storage/queries/)
SQL_FREE_IMPORTS: dict[str, set[str] | None] = {
    "sqlalchemy": {"Engine"},
    "sqlalchemy.orm": {"Session", "sessionmaker"},
    "sqlalchemy.engine": {"Engine", "URL", "make_url"},
    "sqlalchemy.exc": None,  # any error class
}


def sql_built_in(path: Path) -> list[str]:
    """What ``path`` uses to build SQL: SQLAlchemy names beyond :data:`SQL_FREE_IMPORTS`, ``session.query``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            free = SQL_FREE_IMPORTS.get(node.module, set())
            found += [f"{node.module}.{a.name}" for a in node.names if free is not None and a.name not in free]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "query"
              and isinstance(node.func.value, ast.Name) and node.func.value.id.endswith("session")):
            found.append(f"{node.func.value.id}.query")
    return found


def outside_storage() -> list[Path]:
    return [p for p in modules() if p.relative_to(ROOT).parts[0] != "storage"]


@pytest.mark.parametrize("path", outside_storage(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_sql_is_built_in_storage_only(path: Path) -> None:
    name = path.relative_to(ROOT).as_posix()
    built = sql_built_in(path)
    assert built == [], f"{name} builds SQL ({built}): put the statement in a storage/queries module"
