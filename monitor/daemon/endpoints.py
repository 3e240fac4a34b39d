"""The daemon's HTTP routes: ``/healthz``, ``/metrics``, and whatever app it was handed for the rest.

GET (and HEAD) only: any other method on these paths is 405. ``/metrics`` speaks OpenMetrics when the
scraper's ``Accept`` header asks for it, the Prometheus text format otherwise. Routes run in the thread
pool, so reading storage never blocks the loop the crawls run on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp

from newswatch.monitor.daemon.metrics import Metrics

Health = Callable[[], tuple[int, dict[str, Any]]]  # the status code and the JSON body


def daemon_app(health: Health, metrics: Metrics, rest: ASGIApp | None = None) -> ASGIApp:
    """``/healthz`` (JSON: 200 ok or degraded, 503 unhealthy; see :mod:`monitor.daemon.healthcheck`),
    ``/metrics``, and ``rest`` (or 404) for other paths."""

    def healthz(request: Request) -> Response:
        code, body = health()
        return JSONResponse(body, status_code=code)

    def scrape(request: Request) -> Response:
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(body, media_type=content_type)

    async def not_found(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("not found\n", status_code=404)(scope, receive, send)

    routes = [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", scrape, methods=["GET"])]
    return Router(routes, default=rest or not_found)
