"""What the queue holds and who works on it: depth, jobs in progress, each worker's last heartbeat.

Workers write a heartbeat every ``queue.heartbeat_seconds`` into one Redis hash,
``<queue_name>:workers`` (field: the worker's name, value: JSON with the time, host, pid, jobs done and
failed, jobs running); a clean stop removes the field, a killed worker's beat grows old (``status``
shows its age). Depth and jobs in progress come from arq's own keys: the queue's sorted set and the
``arq:in-progress:<job id>`` lease of each running job.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

from newswatch.monitor.config.model import Config, QueueConfig
from newswatch.monitor.queue.connection import open_pool, reason, shown
from newswatch.monitor.queue.errors import QueueUnavailable


@dataclass(frozen=True)
class WorkerBeat:
    name: str
    beat_at: float  # unix time
    host: str
    pid: int
    done: int
    failed: int
    running: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps({"beat_at": self.beat_at, "host": self.host, "pid": self.pid, "done": self.done,
                           "failed": self.failed, "running": list(self.running)})

    @classmethod
    def from_json(cls, name: str, text: str) -> WorkerBeat | None:
        try:
            data = json.loads(text)
            return cls(name, float(data["beat_at"]), str(data["host"]), int(data["pid"]), int(data["done"]),
                       int(data["failed"]), tuple(str(j) for j in data["running"]))
        except (ValueError, KeyError, TypeError):
            return None  # not a beat of ours: ignored


@dataclass(frozen=True)
class QueueState:
    queued: int  # waiting for a worker
    in_progress: int  # taken by a worker (leased)
    workers: tuple[WorkerBeat, ...]


def workers_key(queue_name: str) -> str:
    return f"{queue_name}:workers"


async def beat(pool: ArqRedis, queue_name: str, worker: WorkerBeat) -> None:
    await pool.hset(workers_key(queue_name), worker.name, worker.to_json())  # type: ignore[misc]


async def forget(pool: ArqRedis, queue_name: str, name: str) -> None:
    await pool.hdel(workers_key(queue_name), name)  # type: ignore[misc]


async def queue_state(pool: ArqRedis, queue_name: str) -> QueueState:
    ids = [i.decode() if isinstance(i, bytes) else str(i) for i in await pool.zrange(queue_name, 0, -1)]
    running = 0
    for job_id in ids:
        running += int(bool(await pool.exists(in_progress_key_prefix + job_id)))
    raw = await pool.hgetall(workers_key(queue_name))  # type: ignore[misc]
    beats = (WorkerBeat.from_json(_text(k), _text(v)) for k, v in raw.items())
    workers = tuple(sorted((b for b in beats if b is not None), key=lambda b: b.name))
    return QueueState(len(ids) - running, running, workers)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def beat_age(worker: WorkerBeat, now: float | None = None) -> float:
    return max(0.0, (time.time() if now is None else now) - worker.beat_at)


async def _read(queue: QueueConfig) -> QueueState:
    pool = await open_pool(queue)
    try:
        return await queue_state(pool, queue.queue_name)
    except (RedisError, OSError) as exc:
        raise QueueUnavailable(f"Redis unreachable at {shown(queue.redis_url)}: {reason(exc)}") from exc
    finally:
        await pool.aclose()


def read_queue(queue: QueueConfig) -> QueueState:
    """The queue's state now (``newswatch status``); QueueUnavailable when Redis does not answer."""
    return asyncio.run(_read(queue))


def configured(config: Config) -> bool:
    """True when the config names a queue (any ``queue.*`` key set): status then shows it."""
    return any(key.startswith("queue.") and origin != "default" for key, origin in config.origins)
