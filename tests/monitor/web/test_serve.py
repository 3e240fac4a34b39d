"""``newswatch serve`` as a user runs it: a taken port or an unmigrated database is a clear error."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.crawler.test_run import newswatch


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text("", encoding="utf-8")
    assert newswatch(config, "db", "upgrade").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = newswatch(config, "serve", "--port", str(port), timeout=60)
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr, result.stderr


def test_an_unmigrated_database_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text("", encoding="utf-8")
    result = newswatch(config, "serve", "--port", "0", timeout=60)
    assert result.returncode == 2 and "newswatch db upgrade" in result.stderr, result.stderr
