"""The long-running processes' reactor (the daemon, the queue worker): Scrapy's asyncio reactor, installed
once, with our log handlers, run until SIGTERM/SIGINT; crawls are awaited on its loop
(:func:`monitor.runs.crawlrun.crawl_on`)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from newswatch.monitor.daemon import logs

Halt = Callable[[], Awaitable[None]]

def start_reactor(log_format: str) -> Any:
    """Install Scrapy's asyncio reactor and our log handlers (Scrapy's root handler would be re-set by every
    crawl); the reactor, not yet running."""
    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    configure_logging({"LOG_INSTALL_ROOT_HANDLER": False})
    logs.install(log_format)
    return reactor


def run_reactor(core: Any, begin: Callable[[Halt], Awaitable[None]], stop: Halt) -> None:
    """Run the reactor ``core`` (the installed AsyncioSelectorReactor): ``begin`` once it runs, ``stop`` on
    SIGTERM/SIGINT and then the reactor stopped; ``begin`` is handed that halt (a start that fails uses it)."""
    loop = asyncio.get_event_loop()

    async def halt() -> None:
        try:
            await stop()
        finally:
            core.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(halt()))
    core.callWhenRunning(lambda: asyncio.ensure_future(begin(halt)))
    core.run(installSignalHandlers=False)
