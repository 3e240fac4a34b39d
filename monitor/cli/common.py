"""What every command needs: the configuration and storage, opened from the root group's options.

``--config`` is accepted before the command (``newswatch --config x.toml run``) and after it
(``newswatch run --config x.toml``): :func:`accept_config_everywhere` gives every command the option.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from click.core import ParameterSource

from newswatch.monitor.config.model import Config, load_config
from newswatch.monitor.config.runtime import Storage, open_storage

CONFIG_SOURCE = "newswatch.config_source"


def config_of(ctx: click.Context) -> Config:
    return load_config(ctx.find_root().obj)


@contextmanager
def storage_of(ctx: click.Context, check_schema: bool = True) -> Iterator[Storage]:
    storage = open_storage(config_of(ctx), check_schema=check_schema)
    try:
        yield storage
    finally:
        storage.close()


def remember_root_config(ctx: click.Context, path: Path | None) -> None:
    """The root group's ``--config`` (or ``NEWSWATCH_CONFIG``), kept for :func:`config_of`."""
    ctx.obj = path
    ctx.meta[CONFIG_SOURCE] = ctx.get_parameter_source("config_path")


def _config_after_command(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is None:
        return
    root = ctx.find_root()
    given_before = root.meta.get(CONFIG_SOURCE) == ParameterSource.COMMANDLINE
    if given_before and root.obj is not None and Path(root.obj) != value:
        raise click.UsageError(f"--config given twice ({root.obj} and {value}): keep one")
    root.obj = value


def accept_config_everywhere(group: click.Group) -> None:
    """Add ``--config PATH`` to every command and group below ``group`` (it wins over NEWSWATCH_CONFIG)."""
    for command in group.commands.values():
        accept_config(command)


def accept_config(command: click.Command) -> None:
    """Add ``--config PATH`` to ``command`` and, for a group, to every command below it."""
    if not any(p.name == "config_after" for p in command.params):
        command.params.append(click.Option(
            ["--config", "config_after"], type=click.Path(dir_okay=False, path_type=Path), expose_value=False,
            callback=_config_after_command, help="Config file (also accepted before the command)."))
    if isinstance(command, click.Group):
        accept_config_everywhere(command)
