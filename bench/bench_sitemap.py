"""A sitemap at the protocol's limits: ``python -m bench.bench_sitemap`` prints a table (not a test).

The loopback site lists 60,000 URLs in one ``/sitemap.xml`` (3.4 MB; the protocol allows 50,000 URLs and
50 MB per file): 300 real article pages (the bench's zh_news copies) with 100 dead links (404) between
them, then filler URLs that are dead too. First the parse alone (CPU time, the process's peak RSS before
and after), then one ``newswatch run --json`` on SQLite and one on PostgreSQL (a fresh schema) with
``crawl.max_pages_per_site = 400`` and ``download_delay = 0.05``; figures: wall seconds, exit status,
outcome, new articles, error lines by kind, the peak and final per-site delay (``crawl_runs.stats``).
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bench.site import article_path, pages, serve_page, templates
from bench.workspace import ChildRun, newswatch, postgres_available, postgres_schema, write_workspace
from newswatch.crawler.discover.sitemaps import parse_sitemap
from newswatch.storage.engine import make_engine
from newswatch.storage.models import CrawlRun
from tests.crawler.site_server import SiteServer

URLS, ARTICLES, DEAD = 60_000, 300, 100


def sitemap(base: str) -> bytes:
    real = [article_path(i) for i in range(ARTICLES)]
    dead = [f"/2025/12/31/gone-{i:05d}.html" for i in range(DEAD)]
    listed = [p for pair in zip(real, dead + [None] * (ARTICLES - DEAD), strict=True) for p in pair if p]
    listed += [f"/2024/01/01/filler-{i:05d}.html" for i in range(URLS - len(listed))]
    rows = "".join(f"<url><loc>{base}{path}</loc><lastmod>2025-02-11</lastmod></url>\n" for path in listed)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n').encode()


def workspace(folder: Path, base: str) -> Path:
    config = write_workspace(folder, base, [], [f"{base}/sitemap.xml"], ARTICLES)
    text = config.read_text(encoding="utf-8").replace("download_delay = 0.0\n", "download_delay = 0.05\n")
    text = text.replace(f"max_pages_per_site = {3 * ARTICLES + 1000}", "max_pages_per_site = 400")
    config.write_text(text, encoding="utf-8")
    return config


def one(config: Path, database_url: str | None) -> ChildRun:
    upgrade = newswatch(config, "db", "upgrade", database_url=database_url)
    assert upgrade.status == 0, upgrade.stderr[-2000:]
    return newswatch(config, "run", "--json", database_url=database_url)


def row(name: str, run: ChildRun, delays: tuple[float, float]) -> str:
    summary = run.summary()
    kinds = Counter(str(error["kind"]) for error in summary.get("errors", []))
    return (f"| {name} | {run.seconds:.1f} | {run.status} | {summary.get('outcome', '?')} "
            f"| {summary.get('figures', {}).get('new', 0)} | {dict(kinds) or 0} | {delays[0]:.0f} / {delays[1]:.0f} |")


def delays(database_url: str) -> tuple[float, float]:
    """The last crawl's peak and final per-site delay in ms (the throttle's figures in crawl_runs.stats)."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        stats = connection.execute(select(CrawlRun.stats).order_by(CrawlRun.id.desc()).limit(1)).scalar_one()
    engine.dispose()
    return (float(stats.get("newswatch/throttle/peak_delay_ms", -1)),
            float(stats.get("newswatch/throttle/final_delay_ms", -1)))


def parse_figures(body: bytes) -> str:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    sitemap = parse_sitemap(body, "http://127.0.0.1/sitemap.xml")
    cpu = time.process_time() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (f"parse of {len(body) / 1e6:.2f} MB, {URLS:,} URLs: {cpu:.2f} s CPU, {len(sitemap.entries):,} kept, "
            f"{sitemap.truncated:,} beyond the limit; peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB")


def main() -> None:
    found = templates()
    with tempfile.TemporaryDirectory(prefix="bench-sitemap-") as scratch, SiteServer() as server:
        for page in pages(found, ARTICLES):
            serve_page(server, page)
        body = sitemap(server.base_url)
        server.add("/sitemap.xml", body, headers={"Content-Type": "application/xml"})
        print(parse_figures(body), flush=True)
        lines = ["| database | wall s | exit | outcome | new | error lines by kind | delay ms peak / final |",
                 "|---|---|---|---|---|---|---|"]
        sqlite = Path(scratch) / "sqlite"
        run = one(workspace(sqlite, server.base_url), None)
        lines.append(row("SQLite", run, delays(f"sqlite:///{sqlite / 'data' / 'newswatch.db'}")))
        if postgres_available():
            with postgres_schema() as url:
                lines.append(row("PostgreSQL", one(workspace(Path(scratch) / "pg", server.base_url), url), delays(url)))
        print("\n".join(lines))
        print(json.dumps({"urls": URLS, "articles": ARTICLES, "dead_links": DEAD}))


if __name__ == "__main__":
    main()
