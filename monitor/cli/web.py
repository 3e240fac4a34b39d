"""``newswatch serve``: the read-only web view, Atom feeds and JSON API under uvicorn."""

from __future__ import annotations

import asyncio
import os
import signal

import click

from newswatch.monitor.cli.common import config_of, storage_of
from newswatch.monitor.daemon.http import HttpServer, credential
from newswatch.monitor.web.app import create_app
from newswatch.monitor.web.deps import WebSettings


@click.command("serve")
@click.option("--host", help="Address to bind (default web.host, 127.0.0.1). Another address needs a token.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default web.port, 8090; 0 = any free port).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the web view (recent changes, articles and diffs, new articles, sources, outbox), the Atom
    feeds (/feeds) and the JSON API (/api, described at /openapi.json). Read-only; stop with Ctrl-C.
    Bound to anything but loopback, it needs the token in $NEWSWATCH_WEB_TOKEN (web.token_env).

    \b
    Examples:
      newswatch serve                       # then open http://127.0.0.1:8090/
      NEWSWATCH_WEB_TOKEN=s3cret newswatch serve --host 0.0.0.0 --port 8090
    """
    config = config_of(ctx)
    bind = host or config.web.host
    token = credential(bind, "web.host" if host is None else "--host", config.web.token_env, os.environ)
    with storage_of(ctx) as storage:
        app = create_app(storage.sessions, WebSettings.from_config(config))
        server = HttpServer(app, bind, config.web.port if port is None else port, token)
        try:
            asyncio.run(_serve(server))
        except OSError as exc:  # the port is taken, the address is not ours...
            raise click.ClickException(f"cannot listen on {bind}:{server.port}: {exc.strerror or exc}") from exc


async def _serve(server: HttpServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    click.echo(f"serving {server.url}  (feeds: {server.url}feeds, API: {server.url}openapi.json)", err=True)
    await stop.wait()
    await server.stop()


COMMANDS = (serve,)
