"""The plugin as shipped: an entry point in the package, pytest optional, fixtures after a plain install.

``test_fresh_virtualenv_gets_the_fixtures_from_pip_install`` is the issue's "done when": a new virtual
environment, ``pip install <this working tree>`` and then ``pip install pytest``, and an outside test
module using the fixtures with no conftest and no ``-p``. pip builds the wheel and installs it with
``--no-deps``: the dependencies, already resolved and installed for this test run (``make test``
installs them from pyproject.toml), are lent to the new environment by a ``.pth`` line, through a folder
of links to this environment's packages with pytest's and newswatch's own left out. Installing them all
again took two minutes of the suite.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.monitor.testing.outside import run_pytest, write_project

PACKAGES = ("crawler", "monitor", "storage")
NOT_PYTEST = [p for p in sorted((ROOT / "monitor" / "testing").glob("*.py")) if p.name != "plugin.py"]
SITE = "http://127.0.0.1:38527/"


def imports_pytest(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if any(name == "pytest" or name.startswith(("pytest.", "_pytest")) for name in names):
            return True
    return False


def test_only_the_plugin_module_imports_pytest() -> None:
    found = [p.relative_to(ROOT).as_posix() for package in PACKAGES for p in (ROOT / package).rglob("*.py")
             if imports_pytest(p)]
    assert found == ["monitor/testing/plugin.py"]


def test_importing_the_testing_helpers_never_imports_pytest() -> None:
    modules = ["newswatch.monitor.testing"] + [f"newswatch.monitor.testing.{p.stem}" for p in NOT_PYTEST
                                               if p.stem != "__init__"]
    code = ("import sys, importlib\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "from newswatch.monitor.testing import Replayer, WebhookReceiver, Workspace\n"
            "print(sorted(m for m in sys.modules if m == 'pytest' or m.startswith('_pytest')))\n")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_pyproject_ships_the_package_and_the_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["pytest11"] == {"newswatch": "newswatch.monitor.testing.plugin"}
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["newswatch*"]
    assert project["project"]["scripts"] == {"newswatch": "newswatch.monitor.cli.main:main"}
    # setuptools' find follows the links: every package folder of the three is found under newswatch/
    assert all((ROOT / "newswatch" / package / "__init__.py").is_file() for package in PACKAGES)
    assert not any(dep.startswith("pytest") for dep in project["project"]["dependencies"])


OUTSIDE_TEST = f'''
import newswatch.monitor.testing


def test_newswatch_is_the_installed_package():
    assert "site-packages" in newswatch.monitor.testing.__file__


def test_two_moments_reach_the_receiver_signed(newswatch_workspace, newswatch_replay, webhook_receiver):
    newswatch_workspace.configure(crawl={{"allow_networks": ["127.0.0.0/8"]}})
    first, second = newswatch_replay.series(
        ["cassettes/moments_1.yaml", "cassettes/moments_2.yaml"],
        sources={{"测试新闻": "{SITE}"}}, channels=[webhook_receiver])
    assert len(first.new_articles) == 5 and all(d.verified for d in webhook_receiver.deliveries)
    changed = {{d.payload["article"]["url"].rsplit("/", 1)[-1]: d.payload["change"]["change_class"]
               for d in second.deliveries if d.payload["type"] == "article.changed"}}
    assert changed == {{"a.html": "addition", "e.html": "title"}}
    assert [a.title for a in second.new_articles] == ["短缺药品保供稳价 全力保障临床用药需求"]
'''


def source_tree(target: Path) -> Path:
    """The working tree's packaging inputs (what `pip install .` reads), copied so the build writes there."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    shutil.copytree(ROOT / "newswatch", target / "newswatch", symlinks=True, ignore=ignore)  # the links as links
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    return target


NOT_LENT = ("pytest", "_pytest", "py.py", "pluggy", "iniconfig", "newswatch", "__editable__")


def lend_dependencies(environment: Path, links: Path) -> None:
    """Make this environment's installed packages importable in ``environment`` (a new venv): links to
    each of them in ``links``, named by a ``.pth`` line; pytest (installed later, as a user does) and
    newswatch itself (installed from the tree) are left out."""
    links.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if not entry.name.lower().startswith(NOT_LENT) and entry.suffix != ".pth":
            (links / entry.name).symlink_to(entry)
    python = environment / "bin" / "python"
    target = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True, timeout=120).stdout.strip()
    (Path(target) / "newswatch-test-dependencies.pth").write_text(f"{links}\n", encoding="utf-8")


def pip(python: Path, *args: str) -> str:
    """``pip install ARGS`` into the environment of ``python``, by this environment's pip (``--python``:
    the new venv is made without a pip of its own, which costs ensurepip's half a minute)."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--disable-pip-version-check"]
    done = subprocess.run([*command, *args],
                          capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.timeout(1200)  # pip builds and installs everything; minutes on a loaded machine
def test_fresh_virtualenv_gets_the_fixtures_from_pip_install(tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=False, clear=True)
    python = tmp_path / "venv" / "bin" / "python"
    lend_dependencies(tmp_path / "venv", tmp_path / "dependencies")
    # -v: the build backend's warnings too
    built = pip(python, "-v", "--no-deps", str(source_tree(tmp_path / "src")))
    assert "Building wheel" in built and "would be ignored" not in built, built[-4000:]  # setuptools is content
    probe = ("import importlib.metadata as m, importlib.util as u, newswatch.monitor.testing\n"
             "print([e.value for e in m.entry_points(group='pytest11') if e.name == 'newswatch'], "
             "u.find_spec('pytest') is None)")
    before = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False,
                            cwd=tmp_path, timeout=120)
    # installed; pytest is not
    assert before.stdout.strip() == "['newswatch.monitor.testing.plugin'] True", before.stderr
    pip(python, "pytest")
    cassettes = {f"cassettes/moments_{n}.yaml": (ROOT / "tests" / "cassettes" / f"moments_{n}.yaml").read_bytes()
                 for n in (1, 2)}
    project = write_project(tmp_path / "project", {"test_receiver.py": OUTSIDE_TEST, **cassettes})
    done = run_pytest(python, project)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
    listed = run_pytest(python, project, "--fixtures")
    for name in ("newswatch_workspace", "newswatch_replay", "newswatch_seeds", "webhook_receiver"):
        assert f"{name} -- " in listed.stdout or f"{name} [" in listed.stdout, listed.stdout[-3000:]
    off = run_pytest(python, project, "-p", "no:newswatch")
    assert off.returncode == 1 and "fixture 'newswatch_workspace' not found" in off.stdout



def fixtures_of_the_plugin() -> list[str]:
    tree = ast.parse((ROOT / "monitor" / "testing" / "plugin.py").read_text(encoding="utf-8"))
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and any(ast.unparse(d).startswith("pytest.fixture") for d in node.decorator_list)]


@pytest.mark.parametrize("doc", ["docs/testing.md"])
def test_every_fixture_and_the_record_option_are_documented(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    names = fixtures_of_the_plugin()
    assert names == ["newswatch_seeds", "newswatch_workspace", "newswatch_replay", "webhook_receiver"]
    missing = [name for name in [*names, "--newswatch-record"] if f"`{name}`" not in text]
    assert missing == [], f"{doc} does not describe {missing}"
