"""The crawl's options (``[crawl]`` of ``newswatch.toml``), defined once: the monitor's config embeds them
(pydantic validates them when the file is read), the crawl reads them typed. :class:`CrawlOptions` is one
crawl's whole set (the section, storage, the run's additions), placed in the Scrapy settings as plain data by
:func:`crawler.settings.crawl_settings` and read back by every component with :func:`options_of`.

Also the small vocabulary every config section uses: strict scalar types (a TOML ``true`` is no integer,
``"3"`` no number) and non-negative or positive numbers.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, Strict, with_config

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

OPTIONS = "NEWSWATCH_OPTIONS"  # the setting that holds the crawl's CrawlOptions (read with options_of)

# every section: unknown keys are errors (the types are checked where the sections are validated, e.g.
# monitor.config.model.load_config; building one in code checks nothing)
SECTION = ConfigDict(extra="forbid")
Float = Annotated[float, Strict()]  # an integer is a number too
Str = Annotated[str, Strict()]
Bool = Annotated[bool, Strict()]
Strs = tuple[Str, ...]  # a TOML array of strings (a list is accepted and kept as a tuple)
Count = Annotated[int, Strict(), Field(ge=0)]
Positive = Annotated[int, Strict(), Field(gt=0)]
Seconds = Annotated[float, Strict(), Field(ge=0)]
PositiveSeconds = Annotated[float, Strict(), Field(gt=0)]


def _networks(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ValueError(f"not a network (CIDR like 127.0.0.0/8): {value!r}") from exc
    return values


def _servers(values: tuple[str, ...]) -> tuple[str, ...]:
    from newswatch.crawler.addresses import parse_servers

    parse_servers(values)  # ValueError says which one
    return values


@with_config(SECTION)
@dataclass(frozen=True)
class CrawlConfig:
    """How a crawl fetches: politeness, caps, retries (``[crawl]``)."""

    user_agent: Str = "newswatch/0.1"
    contact_url: Str = "https://github.com/newswatch/newswatch"
    obey_robots: Bool = True
    # private networks that may be fetched (tests: 127.0.0.0/8)
    allow_networks: Annotated[Strs, AfterValidator(_networks)] = ()
    # "host:port" DNS servers the crawl asks; empty: the system's resolver
    dns_servers: Annotated[Strs, AfterValidator(_servers)] = ()
    concurrency: Positive = 16  # requests in flight at once, all sites together (a waiting retry takes none)
    concurrency_per_domain: Positive = 2
    download_delay: Seconds = 1.0  # seconds between requests to one domain (AutoThrottle start)
    download_timeout: PositiveSeconds = 30.0
    # seconds a page rendered in the browser (``render = "browser"``) has to settle; past it: render_timeout
    render_timeout: PositiveSeconds = 30.0
    retries: Count = 2
    retry_after_max: Seconds = 120.0  # seconds; a longer Retry-After is not waited for (the next run retries)
    # seconds; a stored article's first 404 is asked again this much later in the same crawl (a second 404
    # removes it); 0: the next check confirms it
    missing_recheck_seconds: Seconds = 0.0
    max_page_bytes: Positive = 5 * 1024 * 1024
    max_feed_bytes: Positive = 2 * 1024 * 1024
    max_sitemap_bytes: Positive = 50 * 1024 * 1024  # the sitemap protocol's limit (uncompressed, .gz too)
    max_depth: Count = 2  # link following from section pages
    max_pages_per_site: Count = 200
    closespider_timeout: Count = 900  # a crawl that hangs is bounded
    extract_workers: Count | None = None  # extraction processes; None: one per core; 0 or 1: in-process
    # processes a one-shot run splits a re-check of 200 or more stored articles across (each its share of
    # every site's concurrency and delay: monitor.runs.split); 1 (default): one process
    recheck_processes: Positive = 1

    @property
    def agent(self) -> str:
        """The ``User-Agent`` header: the agent and, when set, where to reach its operator."""
        return f"{self.user_agent} (+{self.contact_url})" if self.contact_url else self.user_agent


@dataclass(frozen=True)
class CrawlOptions:
    """One crawl: where it records, what it looks for, how it fetches (``crawl``, the ``[crawl]`` section as
    validated), and what the run adds (a cassette, the registry's per-source rules)."""

    database_url: str
    corpus_dir: str
    keywords: tuple[str, ...] = ()
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    cassette: str | None = None
    cassette_mode: str | None = None  # record | replay
    log_level: str = "WARNING"
    # per-source noise rules, by site: {"example.com": {"include": [...], "exclude": [...], "ignore": [...]}}
    source_rules: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # the registered source's name by site: the corpus ``source`` of the site's articles
    source_names: Mapping[str, str] = field(default_factory=dict)
    # sites whose pages are rendered in headless Chromium (``render = "browser"``: crawler.fetch.render)
    render_sites: tuple[str, ...] = ()

    @property
    def guard_dns(self) -> bool:
        """Names are looked up (and checked by the SSRF guard) unless a cassette is replayed."""
        return not self.cassette or (self.cassette_mode or "replay") != "replay"


DEFAULT_OPTIONS = CrawlOptions(database_url="", corpus_dir="corpus")


def options_of(settings: BaseSettings) -> CrawlOptions:
    """The crawl's options as :func:`crawl_settings` placed them (the defaults for settings built otherwise):
    every component of the crawl reads its options here, typed, instead of a setting per value."""
    plain = settings.get(OPTIONS)
    if not plain:
        return DEFAULT_OPTIONS
    options: CrawlOptions = _options_adapter().validate_python(plain)
    return options


@functools.cache
def _options_adapter() -> Any:
    """pydantic's TypeAdapter of :class:`CrawlOptions` (plain data back to the typed options), built once."""
    from pydantic import TypeAdapter

    return TypeAdapter(CrawlOptions)


def log_keeps(enabled: object, level: object, threshold: int) -> bool:
    """A log that is ``enabled`` at ``level`` (Scrapy's ``LOG_LEVEL``: a name, a number or its digits) writes
    records of ``threshold`` (``logging.INFO``, ``logging.DEBUG``)."""
    text = str(level).upper()
    number = level if isinstance(level, int) else int(text) if text.isdigit() else logging.getLevelName(text)
    return bool(enabled) and isinstance(number, int) and number <= threshold
