"""``newswatch run --quiet`` prints the run's own error lines and nothing else: no Scrapy log lines, no
tracebacks (those go to ``--log-file``, at DEBUG). One run, in a child process, against a site whose
port is closed (every fetch refused: robots.txt's failure is the one Scrapy logs with a traceback)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from newswatch.storage.engine import make_engine
from newswatch.storage.migrate import upgrade
from tests.crawler.test_run import newswatch


def _closed_port() -> int:
    with socket.socket() as sock:  # bound, never listening: a connect is refused
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("quiet")
    base = f"http://127.0.0.1:{_closed_port()}"
    (folder / "seeds").mkdir()
    (folder / "seeds" / "sources.toml").write_text(
        f'[[source]]\nname = "gone"\nsite = "{base}/"\nfeeds = ["{base}/feed.xml"]\n', encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text('[storage]\ndata_dir = "data"\n[crawl]\nallow_networks = ["127.0.0.0/8"]\n'
                      "download_delay = 0.0\nretries = 1\n", encoding="utf-8")
    (folder / "data").mkdir()
    engine = make_engine(f"sqlite:///{folder / 'data' / 'newswatch.db'}")
    upgrade(engine)
    engine.dispose()
    return folder, newswatch(config, "run", "--quiet", "--log-file", "run.log")


def test_quiet_prints_one_line_per_failed_url_on_stderr(
        quiet_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _folder, result = quiet_run
    assert result.returncode == 1  # exit codes unchanged: finished with errors
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("  error connection_refused: http://127.0.0.1:") for line in lines), lines
    assert len(lines) == len(set(lines)) == 2  # the home page and the feed; robots.txt is not an error


def test_the_tracebacks_go_to_the_log_file(quiet_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    folder, _result = quiet_run
    log = (folder / "run.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "[scrapy.downloadermiddlewares.robotstxt] DEBUG: Error downloading" in log
    assert "ERROR" not in log  # Scrapy's failed-fetch lines are at DEBUG: the run reports those URLs itself
