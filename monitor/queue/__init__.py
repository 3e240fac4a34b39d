"""Crawl workers on arq (Redis) beside PostgreSQL: the room of ``daemon --role scheduler`` and
``newswatch worker``.

jobs        the job schema: frozen dataclasses, strict JSON validation (a bad payload is never run)
codec       arq's job serializer and deserializer: JSON only (arq pickles by default)
connection  the Redis URL as arq settings, the reachability probe of preflight
dispatch    the scheduler's side: due work grouped per site, one job per site (``crawl:<site>``)
scheduler   the daemon in the scheduler role: plans as today, enqueues instead of crawling
recorder    the change recorder with the article row locked: two workers never write one article at once
worker      the worker: an arq Worker on Scrapy's asyncio reactor, one AsyncCrawlerRunner crawl per job
beats       worker heartbeats, queue depth and jobs in progress, for ``status`` and ``/metrics``
"""
