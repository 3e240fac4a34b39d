"""One crawl of :class:`crawler.spiders.news.NewsSpider` in a child process (the Twisted reactor cannot
restart inside pytest), on Scrapy's real download path, with the crawl's own settings.

    result = crawl_plan(tmp_path, settings, [ArticleTarget(url, etag='"e1"')])
    result.stats["newswatch/fetched/not_modified"]; result.delays  # every download slot's last delay

The child writes the crawl stats and the delay of every download slot at the end to a JSON file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.items import ArticleTarget
from tests.conftest import ROOT


@dataclass(frozen=True)
class ChildCrawl:
    stats: dict[str, Any]
    delays: dict[str, float]  # download slot -> its delay when the spider closed
    log: str

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0))


def child_main(spec_file: str) -> None:
    """Child process: crawl the spec's plan, write stats and slot delays."""
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.items import CrawlPlan
    from crawler.spiders.news import NewsSpider

    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    plan = CrawlPlan(tuple(ArticleTarget(**target) for target in spec["articles"]))
    process = AsyncCrawlerProcess(spec["settings"])
    crawler = process.create_crawler(NewsSpider)
    delays: dict[str, float] = {}

    def closing() -> None:
        assert crawler.engine is not None
        delays.update({key: slot.delay for key, slot in crawler.engine.downloader.slots.items()})

    crawler.signals.connect(closing, signal=signals.spider_closed)
    process.crawl(crawler, plan=plan)
    process.start()
    assert crawler.stats is not None
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
    Path(spec["out"]).write_text(json.dumps({"stats": stats, "delays": delays}), encoding="utf-8")


def crawl_plan(workdir: Path, settings: dict[str, Any], articles: Sequence[ArticleTarget],
               timeout: float = 180) -> ChildCrawl:
    workdir.mkdir(parents=True, exist_ok=True)
    spec, out = workdir / "spec.json", workdir / "out.json"
    out.unlink(missing_ok=True)
    payload = {"settings": settings, "articles": [dataclasses.asdict(a) for a in articles], "out": str(out)}
    spec.write_text(json.dumps(payload), encoding="utf-8")
    code = "import sys; from tests.crawler.crawl_child import child_main; child_main(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code, str(spec)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0 and out.exists(), f"crawl failed:\n{proc.stderr[-8000:]}"
    loaded = json.loads(out.read_text(encoding="utf-8"))
    return ChildCrawl(loaded["stats"], loaded["delays"], proc.stderr)
