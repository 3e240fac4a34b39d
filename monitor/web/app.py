"""The web app (FastAPI + Jinja2): pages, Atom feeds, the JSON API and its OpenAPI description.

``create_app(sessions, settings)`` builds it over a storage session factory; ``newswatch serve`` runs it
under uvicorn, and ``newswatch daemon`` serves the same app on its port beside ``/healthz`` and
``/metrics`` (the CLI hands the daemon :func:`app_factory`: the daemon never imports this room).
Read-only: every route is GET; anything else is 405. Everything fetched is escaped (Jinja2 autoescape)
and the pages send a Content-Security-Policy that allows no script at all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from newswatch.monitor.config.model import Config
from newswatch.monitor.web import api, feed_routes, pages
from newswatch.monitor.web.deps import BadInput, WebSettings, root
from newswatch.monitor.web.format import datetime_text, page_query
from newswatch.monitor.web.links import safe_url
from newswatch.monitor.web.once import OncePerCause
from newswatch.storage.errors import StorageError

log = logging.getLogger("newswatch.web")
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = datetime_text
    env.globals.update(safe_url=safe_url, page_query=page_query, root=root)
    return Jinja2Templates(env=env)


def create_app(sessions: sessionmaker[Session], settings: WebSettings | None = None) -> FastAPI:
    app = FastAPI(title="newswatch", summary="Read-only view of newswatch's changes, articles and sources.",
                  version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.sessions = sessions
    app.state.settings = settings or WebSettings()
    app.state.storage_errors = OncePerCause(log)
    views = templates()
    app.state.templates = views
    app.include_router(pages.router())
    app.include_router(feed_routes.router())
    app.include_router(api.router())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    _errors(app, views)

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _errors(app: FastAPI, views: Jinja2Templates) -> None:
    """Errors as JSON under /api, as a page elsewhere; the message names what was wrong."""

    def answer(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith(("/api/", "/feeds/")) or request.url.path == "/openapi.json":
            return JSONResponse({"detail": message}, status_code=status)
        page = views.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                      status_code=status)
        assert isinstance(page, HTMLResponse)
        return page

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        return answer(request, 400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = answer(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(StorageError)
    async def storage_down(request: Request, exc: Exception) -> Response:
        app.state.storage_errors.report(exc)
        return answer(request, 503, "storage is not available; try again later")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}" for e in exc.errors())
        return answer(request, 400 if not request.url.path.startswith("/api/") else 422, where)


def app_factory(config: Config) -> Callable[[sessionmaker[Session]], FastAPI]:
    """What the CLI hands the daemon: storage in, the app out."""
    settings = WebSettings.from_config(config)
    return lambda sessions: create_app(sessions, settings)
