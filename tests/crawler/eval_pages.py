"""Real pages for discovery tests: trafilatura's evaluation set (``tests/fixtures/extraction_eval/``),
served on a loopback site under URLs of any shape, and a workspace for ``newswatch run`` against it.

    pages = eval_pages()                         # [(name, original bytes)], in evaldata.json order
    config = discovery_workspace(folder, base, max_pages_per_site=50, feeds=("/feed.xml",))
    run = newswatch_json(config)                 # the --json summary (and the exit status)
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.crawler.test_run import migrate, newswatch

EVAL = ROOT / "tests" / "fixtures" / "extraction_eval"  # trafilatura's evaluation set (provenance: its README)
HTML = {"Content-Type": "text/html; charset=utf-8"}
RAW_HTML = {"Content-Type": "text/html"}  # the page's own bytes: its own meta charset decides


def eval_pages() -> list[tuple[str, bytes]]:
    """Every page of the evaluation set: (its file's stem, its original bytes)."""
    data = json.loads((EVAL / "evaldata.json").read_text(encoding="utf-8"))
    found = []
    for record in data.values():
        path = EVAL / "pages" / Path(record["file"]).name
        if not path.name.endswith(".gz"):
            path = path.with_name(path.name + ".gz")
        found.append((path.name.removesuffix(".html.gz"), gzip.decompress(path.read_bytes())))
    return found


def home_page(links: list[str], feed: str | None = "/feed.xml") -> bytes:
    alternate = f'<link rel="alternate" type="application/rss+xml" href="{feed}">' if feed else ""
    anchors = "".join(f'<li><a href="{link}">item {i}</a></li>' for i, link in enumerate(links))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Home</title>{alternate}</head>"
            f"<body><nav><ul>{anchors}</ul></nav></body></html>").encode()


def rss(base: str, links: list[str]) -> bytes:
    items = "".join(f"<item><title>t{i}</title><link>{base}{link}</link></item>" for i, link in enumerate(links))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>site</title>'
            f"<link>{base}/</link><description>d</description>{items}</channel></rss>").encode()


def urlset(base: str, links: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}{link.replace('&', '&amp;')}</loc></url>" for link in links)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def discovery_workspace(folder: Path, base_url: str, *, max_pages_per_site: int = 200, recheck: bool = False,
                        feeds: tuple[str, ...] = (), sitemaps: tuple[str, ...] = (), max_depth: int = 2) -> Path:
    """A seeds folder (one registry source: the site's home page, and ``feeds``/``sitemaps`` when
    configured) and a config allowing loopback; stored articles are re-checked on every run only when
    ``recheck``. The database is upgraded; returns the config path."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    lists = "".join(f"{key} = {json.dumps([base_url + p for p in paths])}\n"
                    for key, paths in (("feeds", feeds), ("sitemaps", sitemaps)) if paths)
    (seeds / "sources.toml").write_text(f'[[source]]\nname = "site"\nsite = "{base_url}/"\n{lists}',
                                        encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text(
        '[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n'
        '[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = 0.0\ndownload_timeout = 10.0\n'
        f"retries = 0\nconcurrency = 8\nconcurrency_per_domain = 4\nmax_depth = {max_depth}\n"
        f"max_pages_per_site = {max_pages_per_site}\n"
        f'[schedule]\narticles = ["3650d={"0s" if recheck else "3650d"}"]\n',
        encoding="utf-8",
    )
    migrate(config)
    return config


@dataclass(frozen=True)
class Run:
    status: int
    summary: dict[str, Any]
    stdout: str
    stderr: str


def newswatch_json(config: Path, *args: str, timeout: float = 600) -> Run:
    result = newswatch(config, "run", "--json", *args, timeout=timeout)
    line = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "{}"
    return Run(result.returncode, json.loads(line), result.stdout, result.stderr)
