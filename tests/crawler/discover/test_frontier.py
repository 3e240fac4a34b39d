"""The frontier alone: one entry per URL whatever the routes, evidence merged, the budget shared
round-robin between lanes, the site's own sources awaited, held URLs outside the budget."""

from __future__ import annotations

import pytest

from newswatch.crawler.discover.frontier import SECTION_LANE, Entry, Frontier

SITE = "news.example.com"
BASE = f"https://{SITE}"


def feed(i: int, lane: str = "feed:big") -> Entry:
    return Entry(f"{BASE}/f/{i}", SITE, lane, listed=True, discovered_from=BASE + "/feed")


def section(i: int) -> Entry:
    return Entry(f"{BASE}/s/{i}", SITE, SECTION_LANE, depth=1, discovered_from=BASE + "/")


def drain(frontier: Frontier) -> list[str]:
    """Release everything, answering each released URL at once (a crawl with instant responses)."""
    out: list[str] = []
    while batch := frontier.release(SITE):
        for entry in batch:
            out.append(entry.url)
            frontier.answered(entry.url)
    return out


def test_the_budget_is_shared_round_robin_between_lanes() -> None:
    frontier = Frontier(budget=9, window=4)
    for i in range(20_000):
        frontier.offer(feed(i))
    for i in range(3):
        frontier.offer(section(i))
        frontier.offer(Entry(f"{BASE}/m/{i}", SITE, "sitemap:x", listed=True))
    released = drain(frontier)
    assert len(released) == 9
    assert {u for u in released if "/s/" in u or "/m/" in u} == {f"{BASE}/{k}/{i}" for k in "sm" for i in range(3)}
    assert frontier.limited == 20_000 - 3


def test_a_url_found_by_two_routes_is_one_entry_with_both_evidences() -> None:
    frontier = Frontier(budget=10, window=10)
    assert frontier.offer(section(1)) == "queued"
    (entry,) = frontier.release(SITE)
    listed = Entry(entry.url, SITE, "feed:x", listed=True, discovered_from="feed")
    assert frontier.offer(listed) == "merged", "already requested: not requested again"
    answered = frontier.answered(entry.url)
    assert answered is not None and answered.listed and answered.depth == 1
    assert answered.discovered_from == BASE + "/"
    assert frontier.release(SITE) == []


@pytest.mark.parametrize("order", ["feed_first", "section_first"], ids=["feed first", "section first"])
def test_route_order_changes_nothing_but_the_lane(order: str) -> None:
    frontier = Frontier(budget=10, window=10)
    url = f"{BASE}/news/story.html"
    routes = [Entry(url, SITE, "feed:x", listed=True), Entry(url, SITE, SECTION_LANE, depth=1)]
    for route in routes if order == "feed_first" else routes[::-1]:
        frontier.offer(route)
    assert drain(frontier) == [url], "requested once"
    entry = frontier.entries[url]
    assert entry.listed and entry.depth == 1


def test_release_waits_for_the_sites_own_sources() -> None:
    frontier = Frontier(budget=10, window=10)
    frontier.source_opened(SITE)
    frontier.offer(feed(1))
    assert frontier.release(SITE) == []
    frontier.source_answered(SITE)
    assert [e.url for e in frontier.release(SITE)] == [feed(1).url]


def test_held_urls_never_spend_the_budget_and_are_not_requested_twice() -> None:
    frontier = Frontier(budget=2, window=10)
    assert frontier.hold(Entry(feed(0).url, SITE, "held"))
    assert frontier.offer(feed(0)) == "merged"
    for i in range(1, 4):
        frontier.offer(feed(i))
    assert drain(frontier) == [feed(1).url, feed(2).url]
    assert frontier.entries[feed(0).url].held and frontier.entries[feed(0).url].listed


def test_the_window_bounds_what_is_in_flight_per_site() -> None:
    frontier = Frontier(budget=100, window=3)
    for i in range(10):
        frontier.offer(section(i))
    assert len(frontier.release(SITE)) == 3
    assert frontier.release(SITE) == []
    frontier.answered(section(0).url)
    assert [e.url for e in frontier.release(SITE)] == [section(3).url]
    assert frontier.idle() == 3 and len(frontier.release(SITE)) == 3
