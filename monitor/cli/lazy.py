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
COMMAND_MODULES: Mapping[str, str] = {name: f"newswatch.monitor.cli.{module}" for name, module in {
    "run": "run", "daemon": "run", "status": "run",
    "relevance": "corpus", "history": "corpus", "diff": "corpus", "export": "corpus", "reextract": "corpus",
    "alerts": "alerts", "prune": "prune", "serve": "web", "sources": "sources", "extract": "preview",
    "check": "preview", "worker": "queue",
}.items()}  # fmt: skip


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
