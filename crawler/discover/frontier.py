"""The crawl frontier: every HTML page a crawl fetches, seen once, with what is known about it, and the
per-site page budget shared fairly between the routes that found the pages.

Pure bookkeeping (no Scrapy): the spider *offers* each URL a route found (a section page's link, a feed
item, a sitemap entry) and *releases* the next ones to request. A URL is in the seen-map once, whatever
the number of routes or the order of their responses; a second route only adds its evidence (a feed or
sitemap lists it; a shallower depth) to the entry, which the spider reads back when the page arrives.

Budget (``max_pages_per_site``): each route is a *lane* (one per feed, one per sitemap, one for section
links); a site's discovered URLs are released round-robin over its lanes, at most ``window`` in flight
per site, and only once the site's own sources (configured pages, feeds, sitemaps, robots.txt) have
answered, so one huge feed cannot spend the budget before the others are read. Held URLs (seeds, stored
articles due for a re-check, configured pages) are outside the budget and never compete with discovery.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, replace

SECTION_LANE = "section"


@dataclass(frozen=True)
class Entry:
    """What the crawl knows about one URL: how it was found and what that says about the page."""

    url: str
    site: str
    lane: str
    depth: int | None = None  # hops from a configured page, when a section page led to it
    listed: bool = False  # a feed or a sitemap lists it: evidence of an article
    held: bool = False  # a seed, a stored article's re-check, a configured page: its failure is an error
    article: bool = False  # held as an article (a seed, a stored article's re-check), whatever else links it
    discovered_from: str | None = None

    def merged(self, other: Entry) -> Entry:
        """This entry with the evidence of ``other`` (another route to the same URL) added."""
        depths = [d for d in (self.depth, other.depth) if d is not None]
        return replace(self, depth=min(depths) if depths else None, listed=self.listed or other.listed,
                       held=self.held or other.held, article=self.article or other.article,
                       discovered_from=self.discovered_from or other.discovered_from)


class Frontier:
    """The seen-map, the lanes and the budget of one crawl."""

    def __init__(self, budget: int, window: int) -> None:
        self.budget = budget
        self.window = max(1, window)
        self.entries: dict[str, Entry] = {}
        self.state: dict[str, str] = {}  # url -> queued | requested | done
        self.lanes: dict[str, dict[str, deque[str]]] = {}  # site -> lane -> queued URLs
        self.turn: Counter[str] = Counter()  # site -> next lane index (round-robin)
        self.spent: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.flying: set[str] = set()  # released URLs not yet answered
        self.sources: Counter[str] = Counter()  # site -> own sources not yet answered
        self.limited = 0

    def hold(self, entry: Entry) -> bool:
        """Register a held URL, requested at once outside the budget; False when already requested."""
        known = self.entries.get(entry.url)
        held = replace(entry, held=True)
        self.entries[entry.url] = known.merged(held) if known else held
        if self.state.get(entry.url) in ("requested", "done"):
            return False
        if known is not None:
            self._unqueue(known)
        self.state[entry.url] = "requested"
        return True

    def offer(self, entry: Entry) -> str:
        """A route found ``entry.url``: ``queued``, ``merged`` (already seen: evidence added) or ``limited``."""
        known = self.entries.get(entry.url)
        if known is not None:
            self.entries[entry.url] = known.merged(entry)
            return "merged"
        if self.spent[entry.site] >= self.budget:
            self.limited += 1
            return "limited"
        self.entries[entry.url] = entry
        self.state[entry.url] = "queued"
        self.lanes.setdefault(entry.site, {}).setdefault(entry.lane, deque()).append(entry.url)
        return "queued"

    def source_opened(self, site: str) -> None:
        self.sources[site] += 1

    def source_answered(self, site: str) -> None:
        if self.sources[site] > 0:
            self.sources[site] -= 1

    def release(self, site: str) -> list[Entry]:
        """The next URLs of ``site`` to request: round-robin over its lanes, within window and budget."""
        lanes = self.lanes.get(site)
        released: list[Entry] = []
        if not lanes or self.sources[site] > 0:
            return released
        while self.in_flight[site] < self.window and self.spent[site] < self.budget:
            url = self._next(site, lanes)
            if url is None:
                break
            self.state[url] = "requested"
            self.spent[site] += 1
            self.in_flight[site] += 1
            self.flying.add(url)
            released.append(self.entries[url])
        if self.spent[site] >= self.budget:
            self.limited += sum(len(q) for q in lanes.values())
            lanes.clear()
        return released

    def _next(self, site: str, lanes: dict[str, deque[str]]) -> str | None:
        """The head of the next non-empty lane after the last one served (lanes in order of creation)."""
        names = list(lanes)
        for step in range(len(names)):
            index = (self.turn[site] + step) % len(names)
            if lanes[names[index]]:
                self.turn[site] = index + 1
                return lanes[names[index]].popleft()
        return None

    def _unqueue(self, entry: Entry) -> None:
        queue = self.lanes.get(entry.site, {}).get(entry.lane)
        if queue is not None and entry.url in queue:
            queue.remove(entry.url)

    def answered(self, url: str) -> Entry | None:
        """``url`` was answered (or failed): its entry, with every route's evidence; None if unknown."""
        entry = self.entries.get(url)
        if entry is None or self.state.get(url) == "done":
            return entry
        self.state[url] = "done"
        if url in self.flying:
            self.flying.discard(url)
            self.in_flight[entry.site] -= 1
        return entry

    def idle(self) -> int:
        """The crawl has nothing in flight: whatever is still counted in flight or awaited was lost on
        the way (a request dropped before any callback); forget it so the queues move. Returns how many."""
        stale = len(self.flying) + sum(self.sources.values())
        self.flying.clear()
        self.in_flight.clear()
        self.sources.clear()
        return stale

    def waiting_sites(self) -> list[str]:
        """Sites with queued URLs and budget left."""
        return [site for site, lanes in self.lanes.items()
                if any(lanes.values()) and self.spent[site] < self.budget]

    def queued(self) -> int:
        return sum(len(q) for lanes in self.lanes.values() for q in lanes.values())
