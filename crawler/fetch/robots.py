"""robots.txt for every request that waited for it: Scrapy's middleware, with its hand-over mended.

Scrapy's ``RobotsTxtMiddleware`` fetches a site's robots.txt on the site's first request and makes the
requests that arrive meanwhile wait on one ``Deferred``. Each waiter turns it into an asyncio future with a
callback that returns nothing, so only the first waiter receives the parser: every other request of that
first burst got ``None`` ("no robots.txt") and was fetched whatever robots.txt said (Scrapy 2.19, asyncio
reactor). A stored re-check sends all its requests at once, so a page the site had disallowed since it was
stored was asked for again. Here a waiter that got ``None`` reads the parser the middleware keeps for the
site once the fetch is done; ``None`` stays ``None`` only when robots.txt could not be had (Scrapy's rule:
then everything is allowed).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is not None:
            return parser
        held = self._parsers.get(urlparse_cached(request).netloc)
        return None if isinstance(held, Deferred) else held
