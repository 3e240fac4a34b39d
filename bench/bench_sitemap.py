"""A sitemap at the protocol's limits: ``python -m bench.bench_sitemap`` prints a table (not a test).

The loopback site lists 60,000 URLs in one ``/sitemap.xml`` (3.4 MB; the protocol allows 50,000 URLs and
50 MB per file): 300 real article pages (the bench's zh_news copies), 100 dead links (404) among them,
then filler URLs that are dead too. ``crawl.max_pages_per_site = 400`` bounds what is fetched; the
default ``download_delay`` (1 s, AutoThrottle's start) is kept, so dead links that raised the per-site
delay would show in the wall time. One ``newswatch run --json`` on SQLite and one on PostgreSQL (a fresh
schema); figures: wall seconds, exit status, outcome, new articles, errors, the URLs beyond the limit.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.site import article_path, pages, serve_page, templates
from bench.workspace import ChildRun, newswatch, postgres_available, postgres_schema, write_workspace
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
    text = config.read_text(encoding="utf-8").replace("download_delay = 0.0\n", "")
    text = text.replace(f"max_pages_per_site = {3 * ARTICLES + 1000}", "max_pages_per_site = 400")
    config.write_text(text, encoding="utf-8")
    return config


def one(config: Path, database_url: str | None) -> ChildRun:
    upgrade = newswatch(config, "db", "upgrade", database_url=database_url)
    assert upgrade.status == 0, upgrade.stderr[-2000:]
    return newswatch(config, "run", "--json", database_url=database_url)


def row(name: str, run: ChildRun, body: int) -> str:
    summary = run.summary()
    figures = summary.get("figures", {})
    errors = [line for line in run.stdout.splitlines() + run.stderr.splitlines() if line.startswith("error ")]
    return (f"| {name} | {body / 1e6:.2f} MB | {run.seconds:.1f} | {run.status} | {summary.get('outcome', '?')} "
            f"| {figures.get('new', 0)} | {len(errors)} |")


def main() -> None:
    found = templates()
    with tempfile.TemporaryDirectory(prefix="bench-sitemap-") as scratch, SiteServer() as server:
        for page in pages(found, ARTICLES):
            serve_page(server, page)
        body = sitemap(server.base_url)
        server.add("/sitemap.xml", body, headers={"Content-Type": "application/xml"})
        lines = ["| database | sitemap | wall s | exit | outcome | new | error lines |",
                 "|---|---|---|---|---|---|---|"]
        lines.append(row("SQLite", one(workspace(Path(scratch) / "sqlite", server.base_url), None), len(body)))
        if postgres_available():
            with postgres_schema() as url:
                lines.append(row("PostgreSQL", one(workspace(Path(scratch) / "pg", server.base_url), url), len(body)))
        print("\n".join(lines))
        print(json.dumps({"urls": URLS, "articles": ARTICLES, "dead_links": DEAD}))


if __name__ == "__main__":
    main()
