"""Imports point one way: cli → web / queue → core → alerts → changes → crawler → storage, and testing → core
(README, Layout). The crawl is handed its recorder as an object (``crawler.recorder``): no setting names it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

# each room, and the rooms it may import from (itself included)
ALLOWED: dict[str, set[str]] = {
    "monitor": set(),  # the package's own __init__: imports nothing of ours
    "storage": {"storage"},
    "crawler": {"crawler", "storage"},
    # alerts read the events changes raise and apply the channels' rules at delivery: changes never import alerts
    "monitor.alerts": {"monitor.alerts", "monitor.changes", "crawler", "storage"},
    "monitor.changes": {"monitor.changes", "crawler", "storage"},
    "monitor.core": {"monitor.core", "monitor.changes", "monitor.alerts", "crawler", "storage"},
    # the job queue (arq on Redis): beside the web view, above core; only the CLI imports it
    "monitor.queue": {"monitor.queue", "monitor.core", "monitor.changes", "monitor.alerts", "crawler", "storage"},
    "monitor.cli": {"monitor.cli", "monitor.web", "monitor.queue", "monitor.core", "monitor.changes",
                    "monitor.alerts", "crawler", "storage"},
    # the web view: a top tier beside the CLI; only the CLI imports it (the daemon is handed the app)
    "monitor.web": {"monitor.web", "monitor.core", "monitor.changes", "monitor.alerts", "crawler", "storage"},
    # the pytest plugin and its helpers: beside the CLI at the top; nothing of ours imports it
    "monitor.testing": {"monitor.testing", "monitor.core", "monitor.changes", "monitor.alerts", "crawler",
                        "storage"},
}
OURS = ("storage", "crawler", "monitor")


def room_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in OURS:
        return None
    if parts[0] == "monitor":
        return ".".join(parts[:2]) if len(parts) > 1 else "monitor"
    return parts[0]


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
    return sorted(p for package in OURS for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def test_every_module_is_in_a_room() -> None:
    loose = [p.relative_to(ROOT).as_posix() for p in (ROOT / "monitor").glob("*.py") if p.name != "__init__.py"]
    assert loose == [], "monitor/ modules belong in changes/, alerts/, core/ or cli/"


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_point_one_way(path: Path) -> None:
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    room = room_of(module)
    assert room in ALLOWED, f"{module} is in no room"
    wrong = [name for name in imports_of(path) if (target := room_of(name)) and target not in ALLOWED[room]]
    assert wrong == [], f"{module} ({room}) imports against the arrow: {wrong}"


def test_changes_import_nothing_of_the_alerts() -> None:
    """Detection records events; which channel hears of them is decided at delivery (monitor.alerts.outbox)."""
    wrong = {p.relative_to(ROOT).as_posix(): names for p in sorted((ROOT / "monitor" / "changes").rglob("*.py"))
             if (names := [n for n in imports_of(p) if n == "monitor.alerts" or n.startswith("monitor.alerts.")])}
    assert wrong == {}


def test_no_setting_names_the_recorder() -> None:
    """The recorder is an object handed to the crawl (the spider's ``recorder`` argument), not a dotted path in
    a Scrapy setting loaded by name."""
    named = [p.relative_to(ROOT).as_posix() for p in modules() + sorted((ROOT / "tests").rglob("*.py"))
             if p.name != "test_layers.py" and "NEWSWATCH_RECORDER" in p.read_text(encoding="utf-8")]
    assert named == []
    pipeline = (ROOT / "crawler" / "pipelines.py").read_text(encoding="utf-8")
    assert "load_object" not in pipeline, "the pipeline loads no component by its dotted path"
    paths = re.compile(r"""["'](?:crawler|monitor)\.[\w.]*Recorder["']""")
    dotted = [p.relative_to(ROOT).as_posix() for p in modules() if paths.search(p.read_text(encoding="utf-8"))]
    assert dotted == [], "a recorder named by its dotted path"


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
# modules other branches are converting meanwhile: to be emptied (each still builds SQL today; the other
# modules those branches hold, crawler/pipelines.py, crawler/settings.py, monitor/alerts/events.py,
# monitor/core/config.py and monitor/core/overrides.py, build none and are held to the rule already)
SQL_ALLOWED_FOR_NOW = {
    "monitor/alerts/outbox.py", "monitor/changes/record.py", "monitor/core/check.py", "monitor/core/daemon.py",
    "monitor/core/run.py", "monitor/queue/recorder.py", "monitor/queue/worker.py",
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
    if name in SQL_ALLOWED_FOR_NOW:
        return
    assert built == [], f"{name} builds SQL ({built}): put the statement in a storage/queries module"


def test_sql_allow_list_is_current() -> None:
    """Each allowed module exists; once one builds no SQL any more, it leaves the list."""
    stale = sorted(n for n in SQL_ALLOWED_FOR_NOW if not (ROOT / n).exists() or not sql_built_in(ROOT / n))
    assert stale == [], f"no SQL built here any more: remove from SQL_ALLOWED_FOR_NOW: {stale}"
