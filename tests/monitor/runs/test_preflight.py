"""``newswatch config`` runs the checks ``run`` and ``daemon`` run, and all three refuse a bad config the same
way: exit 2, the same one-line message naming the key, no traceback, nothing crawled.

The site is a loopback server that counts its requests; each case breaks one thing of a migrated workspace.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.crawler.fixture_site import build_site, write_workspace
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import migrate, newswatch
from tests.monitor.receiver import free_port

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    message: str  # what the one line must contain (after "newswatch: error: ")
    toml: str = ""  # appended to the config file
    storage: str = ""  # keys added to its [storage] table
    env: dict[str, str] = field(default_factory=dict)
    setup: Setup | None = None  # prepares the workspace folder
    daemon: bool = False  # also check `newswatch daemon`


def _file(name: str) -> Setup:
    def make(folder: Path) -> None:
        (folder / name).write_text("not a folder\n", encoding="utf-8")

    return make


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` read-only even for root (the tests run as root in CI): permission bits, then the immutable
    attribute when they are not enough; fails the test when neither makes it so."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o555)
    immutable = False
    if _writable(path):
        immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0
    try:
        if _writable(path):
            pytest.fail(f"cannot make {path} read-only here (neither chmod nor chattr +i works)")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o755)


def _bad_source(rule: str) -> Setup:
    """A source whose noise rule ``rule`` (a TOML key = value) does not compile, added to the registry."""
    def make(folder: Path) -> None:
        registry = folder / "seeds" / "sources.toml"
        text = registry.read_text(encoding="utf-8") if registry.exists() else ""
        registry.write_text(text + f'\n[[source]]\nname = "坏规则"\nsite = "https://bad.example.cn/"\n{rule}\n',
                            encoding="utf-8")

    return make


def _writable(path: Path) -> bool:
    probe = path / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def _webhook(url: str = "http://127.0.0.1:9/in", secret_env: str = "PF_HOOK_SECRET") -> str:
    return f'[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl = "{url}"\nsecret_env = "{secret_env}"\n'


EMAIL_NO_PASSWORD = ('[[alerts.channels]]\nname = "desk"\nkind = "email"\nhost = "127.0.0.1"\nport = 2525\n'
                     'security = "starttls"\nusername = "nw"\npassword_env = "PF_UNSET_PASSWORD"\n'
                     'sender = "n@example.org"\nrecipients = ["d@example.org"]\n')

CASES = {
    "database-scheme-env": Case("NEWSWATCH_DATABASE_URL: cannot create an engine for nosuchdb://x/y",
                                env={"NEWSWATCH_DATABASE_URL": "nosuchdb://x/y"}),
    "database-scheme-file": Case("storage.database_url: cannot create an engine for nosuchdb://x/y",
                                 storage='database_url = "nosuchdb://x/y"\n'),
    "database-driver-missing": Case("No module named 'pymysql'",
                                    env={"NEWSWATCH_DATABASE_URL": "mysql+pymysql://nw@127.0.0.1/nw"}),
    "database-unreachable": Case("NEWSWATCH_DATABASE_URL: database unreachable at postgresql+psycopg://",
                                 env={"NEWSWATCH_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:{port}/test"}),
    "webhook-secret-unset": Case("alerts.channels[0].secret_env: the environment variable PF_UNSET_SECRET is not set",
                                 toml=_webhook(secret_env="PF_UNSET_SECRET")),
    "webhook-ftp-url": Case("alerts.channels[0].url: expected an http:// or https:// URL",
                            toml=_webhook(url="ftp://127.0.0.1/in")),
    "unknown-channel-kind": Case("alerts.channels[0].kind: unknown channel kind 'pager'", daemon=True,
                                 toml='[[alerts.channels]]\nname = "p"\nkind = "pager"\n'),
    "email-password-unset": Case("alerts.channels[0].password_env: environment variable 'PF_UNSET_PASSWORD' is not set",
                                 toml=EMAIL_NO_PASSWORD),
    "data-dir-is-a-file": Case("storage.data_dir: {folder}/datafile is a file, not a folder", daemon=True,
                               storage='data_dir = "datafile"\n', setup=_file("datafile")),
    "corpus-dir-is-a-file": Case("storage.corpus_dir: {folder}/corpusfile is a file, not a folder", daemon=True,
                                 storage='corpus_dir = "corpusfile"\n', setup=_file("corpusfile")),
    "corpus-dir-under-a-file": Case("storage.corpus_dir: {folder}/corpusfile/corpus cannot be created: "
                                    "{folder}/corpusfile is a file", storage='corpus_dir = "corpusfile/corpus"\n',
                                    setup=_file("corpusfile")),
    "registry-bad-ignore": Case("'(unclosed': not a regular expression", daemon=True,
                                setup=_bad_source('ignore = ["(unclosed"]')),
    "render-without-chromium": Case("source[1].render: needs Chromium, which is not installed: install the package "
                                    "chromium", daemon=True, setup=_bad_source('render = "browser"'),
                                    env={"NEWSWATCH_CHROMIUM": "/nonexistent/chromium"}),
    "registry-bad-selector": Case("'div[[[': not a CSS selector", setup=_bad_source('exclude = ["div[[["]')),
    "corpus-dir-read-only": Case("storage.corpus_dir: {folder}/ro is not writable", daemon=True,
                                 storage='corpus_dir = "ro"\n'),
}


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        build_site(server)
        yield server


@pytest.fixture(scope="module")
def migrated(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("migrated")
    config = write_workspace(folder, site.base_url)
    migrate(config)
    return folder


def _break(case: Case, folder: Path) -> Path:
    config = folder / "newswatch.toml"
    text = config.read_text(encoding="utf-8")
    for line in case.storage.splitlines():  # a [storage] key replaces the workspace's, or is added
        key = line.split("=", 1)[0].strip()
        text, replaced = re.subn(rf"(?m)^{key} = .*$", line, text, count=1)
        if not replaced:
            text = text.replace("[storage]\n", f"[storage]\n{line}\n", 1)
    config.write_text(text + case.toml, encoding="utf-8")
    if case.setup is not None:
        case.setup(folder)
    return config


@pytest.mark.parametrize("name", sorted(CASES), ids=str)
def test_config_run_and_daemon_refuse_alike(name: str, migrated: Path, site: SiteServer, tmp_path: Path) -> None:
    case = CASES[name]
    folder = tmp_path / "ws"
    shutil.copytree(migrated, folder)
    config = _break(case, folder)
    env = {key: value.format(port=free_port()) for key, value in case.env.items()}
    expected = case.message.format(folder=folder)
    before = site.hits()
    with read_only(folder / "ro") if name == "corpus-dir-read-only" else contextlib.nullcontext():
        results = {command: newswatch(config, command, env=env, timeout=120)
                   for command in ("config", "run", *(("daemon",) if case.daemon else ()))}
    for command, result in results.items():
        assert result.returncode == 2, (command, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (command, result.stderr[-2000:])
        line = result.stderr.strip()
        assert "\n" not in line and line.startswith("newswatch: error: "), (command, result.stderr[-2000:])
        assert expected in line, (command, line)
        assert result.stdout == "", (command, result.stdout[-2000:])
    assert len({r.stderr for r in results.values()}) == 1, "every command says the same"
    assert site.hits() == before, "nothing was crawled"


def test_config_accepts_a_good_config_and_creates_nothing(migrated: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    shutil.copytree(migrated, folder)
    config = _break(Case("", storage='corpus_dir = "new/corpus"\n', toml=_webhook()), folder)
    result = newswatch(config, "config", env={"PF_HOOK_SECRET": "s"})
    assert result.returncode == 0, result.stderr
    assert '"corpus_dir": "new/corpus"' in result.stdout
    assert not (folder / "new").exists(), "checking a folder does not create it"
    assert sorted(os.listdir(folder)) == ["data", "newswatch.toml", "seeds"]
