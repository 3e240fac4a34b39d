"""Redis for the queue tests: a database number of its own per test (an empty one), flushed after."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


@pytest.fixture
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/N`` for a database N (1-15) found empty and flushed after the test."""
    client = redis.Redis(REDIS_HOST, REDIS_PORT, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") or os.environ.get("NEWSWATCH_REQUIRE_POSTGRES"):
            pytest.fail(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc}")
    finally:
        client.close()
    for db in range(1, 16):
        taken = redis.Redis(REDIS_HOST, REDIS_PORT, db=db)
        # a claim key, set only if the database is empty of it: two tests never share a database
        if taken.dbsize() == 0 and taken.set("newswatch:test-claim", "1", nx=True):
            try:
                yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
            finally:
                taken.flushdb()
                taken.close()
            return
        taken.close()
    pytest.fail("no empty Redis database (1-15) for this test")
