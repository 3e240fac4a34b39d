"""Daemon metrics in the Prometheus text format, and a tiny HTTP server for ``/healthz`` and ``/metrics``.

The counters are fed from each crawl's stats and each outbox pass; gauges (queue sizes) are read when
scraped. The server is plain asyncio on a local port: no framework, GET only.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

PREFIX = "newswatch"


@dataclass
class Metrics:
    counters: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    crawls: int = 0
    crawl_seconds: float = 0.0
    last_crawl_at: float | None = None
    started_at: float = field(default_factory=time.time)

    def observe_crawl(self, stats: dict[str, Any], seconds: float) -> None:
        def total(prefix: str) -> int:
            return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))

        self.crawls += 1
        self.crawl_seconds += seconds
        self.last_crawl_at = time.time()
        self.counters["pages_fetched"] += total("newswatch/fetched/")
        for outcome in ("new", "changed", "revert", "unchanged", "not_modified", "anomaly", "baseline"):
            self.counters[f"articles_{outcome}"] += total(f"newswatch/articles/{outcome}")
        for kind, count in (stats.get("newswatch/error_kinds") or {}).items():
            self.errors[str(kind)] += int(count)

    def observe_alerts(self, sent: int, failed: int, dead: int) -> None:
        self.counters["alerts_sent"] += sent
        self.counters["alerts_failed"] += failed
        self.counters["alerts_dead"] += dead

    def render(self, gauges: dict[str, float]) -> str:
        """The Prometheus text exposition (version 0.0.4)."""
        lines = [f"# TYPE {PREFIX}_crawls_total counter", f"{PREFIX}_crawls_total {self.crawls}",
                 f"# TYPE {PREFIX}_crawl_seconds_total counter",
                 f"{PREFIX}_crawl_seconds_total {self.crawl_seconds:.3f}"]
        for name in sorted(self.counters):
            lines += [f"# TYPE {PREFIX}_{name}_total counter", f"{PREFIX}_{name}_total {self.counters[name]}"]
        lines.append(f"# TYPE {PREFIX}_errors_total counter")
        lines += [f'{PREFIX}_errors_total{{kind="{_label(kind)}"}} {n}' for kind, n in sorted(self.errors.items())]
        for name, value in sorted(gauges.items()):
            lines += [f"# TYPE {PREFIX}_{name} gauge", f"{PREFIX}_{name} {value:g}"]
        return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


Handler = Callable[[], Awaitable[tuple[int, str, str]]]


async def serve(host: str, port: int, routes: dict[str, Handler]) -> asyncio.Server:
    """A minimal HTTP/1.1 server answering GET for ``routes`` (path -> handler giving status, type, body)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, path, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            route = routes.get(path.split("?", 1)[0]) if method in ("GET", "HEAD") else None
            status, ctype, body = await route() if route else (404, "text/plain", "not found\n")
            data = body.encode("utf-8")
            head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n")
            writer.write(head.encode("latin-1") + (data if method == "GET" else b""))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError, OSError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)


def health_body(ok: bool, details: dict[str, Any]) -> tuple[int, str, str]:
    return (200 if ok else 503, "application/json", json.dumps({"status": "ok" if ok else "failing", **details}))
