"""Commands imported when they are used: ``newswatch run`` loads the run's modules, not the web app's.

:class:`LazyGroup` knows each command's name and module (:data:`COMMAND_MODULES`) and imports the module
(its ``COMMANDS`` tuple) only when the command is invoked or listed (``newswatch --help``). A command
with nothing to do then costs the imports it needs, not every command's (FastAPI, Apprise, Scrapy...).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import click

# every command of the cli modules' COMMANDS tuples: name -> module (tests/monitor/cli check it stays whole)
COMMAND_MODULES: Mapping[str, str] = {
    "run": "newswatch.monitor.cli.run", "daemon": "newswatch.monitor.cli.run", "status": "newswatch.monitor.cli.run",
    "relevance": "newswatch.monitor.cli.corpus", "history": "newswatch.monitor.cli.corpus", "diff": "newswatch.monitor.cli.corpus",
    "export": "newswatch.monitor.cli.corpus", "reextract": "newswatch.monitor.cli.corpus",
    "alerts": "newswatch.monitor.cli.alerts", "prune": "newswatch.monitor.cli.prune", "serve": "newswatch.monitor.cli.web",
    "sources": "newswatch.monitor.cli.sources", "extract": "newswatch.monitor.cli.preview", "check": "newswatch.monitor.cli.preview",
    "worker": "newswatch.monitor.cli.queue",
}  # fmt: skip


def load_command(name: str, module: str) -> click.Command:
    """The command ``name`` from ``module``'s ``COMMANDS``."""
    for command in importlib.import_module(module).COMMANDS:
        if command.name == name:
            return command  # type: ignore[no-any-return]
    raise LookupError(f"{module} has no command {name!r} in its COMMANDS")


class LazyGroup(click.Group):
    """A click group whose :data:`COMMAND_MODULES` commands are imported on first use; ``prepare`` is
    applied to each one as it loads (e.g. :func:`monitor.cli.common.accept_config`)."""

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None,
                 prepare: Callable[[click.Command], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(COMMAND_MODULES if lazy is None else lazy)
        self.prepare = prepare

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            command = load_command(cmd_name, self.lazy[cmd_name])
            if self.prepare is not None:
                self.prepare(command)
            self.add_command(command)
        return super().get_command(ctx, cmd_name)
