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
    found = []
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
