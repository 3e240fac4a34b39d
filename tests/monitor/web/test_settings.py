"""The ``[web]`` keys: documented defaults, and errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.monitor.config.model import WebConfig, load_config
from newswatch.monitor.web.deps import WebSettings
from newswatch.storage.errors import ConfigError
from tests.conftest import ROOT

BAD = {
    "port": ("[web]\nport = 70000\n", "web.port", "not a TCP port"),
    "metrics-port": ("[daemon]\nmetrics_port = 70000\n", "daemon.metrics_port", "not a TCP port"),
    "host": ('[web]\nhost = " "\n', "web.host", "must name an address"),
    "token-env": ('[web]\ntoken_env = ""\n', "web.token_env", "environment variable"),
    "page-size": ("[web]\npage_size = 0\n", "web.page_size", "between 1 and 200"),
    "feed-size": ("[web]\nfeed_size = 500\n", "web.feed_size", "between 1 and 200"),
    "in-daemon": ('[web]\nin_daemon = "yes"\n', "web.in_daemon", "true or false"),
    "unknown": ("[web]\ntheme = 1\n", "web.theme", "unknown key"),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=str)
def test_bad_web_keys_name_the_key(tmp_path: Path, case: str) -> None:
    text, key, reason = BAD[case]
    (tmp_path / "newswatch.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "newswatch.toml", environ={})
    assert info.value.key == key and reason in str(info.value)


def test_example_documents_the_web_defaults() -> None:
    config = load_config(ROOT / "deploy" / "newswatch.example.toml", environ={})
    assert config.web == WebConfig()
    assert WebSettings.from_config(config) == WebSettings(50, 50, config.alerts.quiet_days)
