"""One crawl of :class:`crawler.spiders.news.NewsSpider` in a child process (the Twisted reactor cannot
restart inside pytest), on Scrapy's real download path, with the crawl's own settings.

    result = crawl_plan(tmp_path, settings, [ArticleTarget(url, etag='"e1"')])
    result.stats["newswatch/fetched/not_modified"]; result.delays  # every download slot's last delay
    crawl_plan(tmp_path, settings, targets, spies=True).parses      # page decodes/parses in the crawl's process

The child writes the crawl stats and the delay of every download slot at the end to a JSON file; with
``spies`` it also counts the calls, in its own process (not in extraction workers), of every function that
decodes or parses a page (:data:`SPIED`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch.crawler.items import ArticleTarget, SiteTarget
from tests.conftest import ROOT

if TYPE_CHECKING:
    from newswatch.crawler.options import CrawlOptions


@dataclass(frozen=True)
class ChildCrawl:
    stats: dict[str, Any]
    delays: dict[str, float]  # download slot -> its delay when the spider closed
    log: str
    parses: dict[str, int] = field(default_factory=dict)  # spied function -> calls in the crawl's process
    extractors: tuple[str, ...] = ()  # trafilatura, py3langid: those the crawl's process had imported

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0))


# what decodes or parses a page, module by module (a module imported before the next binds the spy)
SPIED = (("lxml.html", "document_fromstring"), ("parsel.selector", "create_root_node"),
         ("newswatch.crawler.encoding", "decode_body"), ("newswatch.crawler.htmltree", "parse_html"),
         ("newswatch.crawler.htmltree", "parse_text"), ("newswatch.crawler.discover.canonical", "declared_canonical"),
         ("newswatch.crawler.discover.links", "discover_feeds"), ("newswatch.crawler.discover.links", "site_links"),
         ("newswatch.crawler.discover.links", "page_links"), ("newswatch.crawler.extract.article", "extract"),
         ("newswatch.crawler.extract.article", "extract_tree"), ("newswatch.crawler.extract.reading", "read"))


def install_spies() -> Counter[str]:
    """Wrap every :data:`SPIED` function in this process with a call counter (before the crawler imports
    them by name)."""
    import importlib

    calls: Counter[str] = Counter()

    def spy(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return original(*args, **kwargs)
        return counted

    for module_name, function in SPIED:
        module = importlib.import_module(module_name)
        setattr(module, function, spy(f"{module_name}.{function}", getattr(module, function)))
    return calls


def child_main(spec_file: str) -> None:
    """Child process: crawl the spec's plan, write stats and slot delays (and the spies' counts)."""
    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    calls = install_spies() if spec.get("spies") else Counter()
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    from newswatch.crawler.items import CrawlPlan
    from newswatch.crawler.spiders.news import NewsSpider

    sites = tuple(SiteTarget(**{k: tuple(v) if isinstance(v, list) else v for k, v in site.items()})
                  for site in spec.get("sites", ()))
    plan = CrawlPlan(tuple(ArticleTarget(**target) for target in spec["articles"]), sites)
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
    extractors = [name for name in ("trafilatura", "py3langid") if name in sys.modules]
    Path(spec["out"]).write_text(json.dumps({"stats": stats, "delays": delays, "parses": dict(calls),
                                             "extractors": extractors}), encoding="utf-8")


def crawl_plan(workdir: Path, settings: dict[str, Any], articles: Sequence[ArticleTarget],
               timeout: float = 180, spies: bool = False, sites: Sequence[SiteTarget] = ()) -> ChildCrawl:
    workdir.mkdir(parents=True, exist_ok=True)
    spec, out = workdir / "spec.json", workdir / "out.json"
    out.unlink(missing_ok=True)
    payload = {"settings": settings, "articles": [dataclasses.asdict(a) for a in articles], "out": str(out),
               "spies": spies, "sites": [dataclasses.asdict(site) for site in sites]}
    spec.write_text(json.dumps(payload), encoding="utf-8")
    code = "import sys; from tests.crawler.crawl_child import child_main; child_main(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-W", "error", "-c", code, str(spec)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0 and out.exists(), f"crawl failed:\n{proc.stderr[-8000:]}"
    loaded = json.loads(out.read_text(encoding="utf-8"))
    return ChildCrawl(loaded["stats"], loaded["delays"], proc.stderr, loaded["parses"], tuple(loaded["extractors"]))


def loopback_settings(folder: Path, **options: Any) -> dict[str, Any]:
    """The crawl settings of a fresh, upgraded SQLite database in ``folder``, for a loopback site: robots.txt
    not read, loopback allowed, no download delay; ``options`` are more :class:`CrawlOptions` fields."""
    from newswatch.crawler.settings import crawl_settings
    from newswatch.storage.engine import make_engine
    from newswatch.storage.migrate import upgrade

    url = f"sqlite:///{folder / 'newswatch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    loopback = {"obey_robots": False, "allow_networks": ("127.0.0.0/8",), "download_delay": 0.0}
    return crawl_settings(options_of(url, str(folder / "corpus"), **{**loopback, **options}))


def options_of(database_url: str, corpus_dir: str, **values: Any) -> CrawlOptions:
    """:class:`CrawlOptions` from flat keywords: those of ``[crawl]`` go to its :class:`CrawlConfig`."""
    from newswatch.crawler.options import CrawlConfig, CrawlOptions

    names = {f.name for f in dataclasses.fields(CrawlConfig)}
    crawl = CrawlConfig(**{k: v for k, v in values.items() if k in names})
    return CrawlOptions(database_url, corpus_dir, crawl=crawl, **{k: v for k, v in values.items() if k not in names})
