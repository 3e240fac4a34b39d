"""What every command needs: the configuration and storage, opened from the root group's options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from monitor.core.config import Config, load_config
from monitor.core.runtime import Storage, open_storage


def config_of(ctx: click.Context) -> Config:
    return load_config(ctx.find_root().obj)


@contextmanager
def storage_of(ctx: click.Context, check_schema: bool = True) -> Iterator[Storage]:
    storage = open_storage(config_of(ctx), check_schema=check_schema)
    try:
        yield storage
    finally:
        storage.close()
