"""Reaching Redis: ``[queue]`` as arq settings, and the check a role runs before it starts.

:func:`check_queue` is the preflight of the roles that need Redis (``daemon --role scheduler``,
``newswatch worker``): the URL parses, one PING answers within the timeout, and the crawl's own time
limit (``crawl.closespider_timeout``) is below the job lease (``queue.job_timeout_seconds``), so a
crawl always ends before another worker may take its job. A failure is one ConfigError line (exit 2).
"""

from __future__ import annotations

import asyncio
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from redis.exceptions import RedisError

from newswatch.monitor.config.model import Config, QueueConfig
from newswatch.monitor.queue import codec
from newswatch.monitor.queue.errors import QueueUnavailable
from newswatch.storage.errors import ConfigError

PROBE_SECONDS = 3.0


def redis_settings(queue: QueueConfig, timeout: float = PROBE_SECONDS, retries: int = 0) -> RedisSettings:
    try:
        settings = RedisSettings.from_dsn(queue.redis_url)
    except (ValueError, AssertionError) as exc:
        raise ConfigError("queue.redis_url", f"not a Redis URL: {exc}") from exc
    settings.conn_timeout = max(1, round(timeout))
    settings.conn_retries = retries
    settings.conn_retry_delay = 1
    return settings


def shown(url: str) -> str:
    """A Redis URL as shown in messages: its password replaced by ``***``."""
    head, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{head}{sep}{user}:***@{host}"


async def open_pool(queue: QueueConfig, timeout: float = PROBE_SECONDS, retries: int = 0) -> ArqRedis:
    """An arq pool with our JSON codec; QueueUnavailable (one line) when Redis does not answer."""
    try:
        return await create_pool(redis_settings(queue, timeout, retries), job_serializer=codec.dumps,
                                 job_deserializer=codec.loads, default_queue_name=queue.queue_name)
    except (TimeoutError, RedisError, OSError) as exc:
        raise QueueUnavailable(f"Redis unreachable at {shown(queue.redis_url)}: {reason(exc)}") from exc


def reason(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0][:300]


async def _ping(queue: QueueConfig, timeout: float) -> None:
    pool = await open_pool(queue, timeout)
    try:
        await asyncio.wait_for(pool.ping(), timeout)
    except (TimeoutError, RedisError, OSError) as exc:
        raise QueueUnavailable(f"Redis unreachable at {shown(queue.redis_url)}: {reason(exc)}") from exc
    finally:
        await pool.aclose()


def check_queue(config: Config, timeout: float = PROBE_SECONDS) -> None:
    """The queue settings are usable and Redis answers; ConfigError naming the key otherwise."""
    queue = config.queue
    if config.crawl.closespider_timeout >= queue.job_timeout_seconds:
        raise ConfigError("queue.job_timeout_seconds", f"must be above crawl.closespider_timeout "
                          f"({config.crawl.closespider_timeout} s): a crawl must end before its job's lease")
    redis_settings(queue)
    try:
        asyncio.run(_ping(queue, timeout))
    except QueueUnavailable as exc:
        raise ConfigError("queue.redis_url", str(exc)) from exc


def run_sync(coroutine: Any) -> Any:
    """Run one coroutine to its end outside any loop (status, tests)."""
    return asyncio.run(coroutine)
