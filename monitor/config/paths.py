"""The folders and files a configuration names, checked before a command uses them: never created here.

Every command that opens storage checks its paths (:func:`check_storage_paths`, read-only commands too); the
commands that crawl also check that their folders can be written (:mod:`monitor.runs.preflight`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from newswatch.monitor.config.model import Config
from newswatch.storage.engine import database_path
from newswatch.storage.errors import ConfigError


def check_storage_paths(config: Config) -> None:
    """The folders storage needs are folders (or can be made): ``storage.data_dir`` and, for SQLite, the
    database file's folder; the database file, when it exists, is a file. Nothing is created or written
    (a read-only command such as ``status`` or ``serve`` works on a read-only mount)."""
    check_folder(config.path(config.storage.data_dir), "storage.data_dir", writable=False)
    path = database_path(config.database_url)
    if path is None:
        return
    key = "storage.database_url" if config.storage.database_url else "storage.data_dir"
    if path.exists() and not path.is_file():
        raise ConfigError(key, f"the SQLite database {path} is not a file")
    check_folder(path.parent, key, writable=False)


def check_folder(path: Path, key: str, writable: bool = True) -> None:
    """``path`` is a (``writable``) folder, or can be created as one; ConfigError naming ``key`` otherwise."""
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        where = f"{path} is" if existing == path else f"{path} cannot be created: {existing} is"
        raise ConfigError(key, f"{where} a file, not a folder")
    problem = _write_problem(existing) if writable else None
    if problem:
        where = f"{path} is" if existing == path else f"{path} cannot be created: {existing} is"
        raise ConfigError(key, f"{where} not writable ({problem})")


def _write_problem(folder: Path) -> str | None:
    try:
        fd, name = tempfile.mkstemp(prefix=".newswatch-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.close(fd)
    os.unlink(name)
    return None
