"""Secrets from the environment, or from files the environment points to.

A variable newswatch reads (a channel's ``secret_env`` / ``password_env``, ``NEWSWATCH_DATABASE_URL``,
any ``NEWSWATCH_<SECTION>__<KEY>`` override) is looked up, in order, as

1. the variable itself (``NEWSWATCH_SMTP_PASSWORD=...``);
2. ``<VARIABLE>_FILE``: the path of a file holding the value (Docker and Kubernetes secrets:
   ``NEWSWATCH_SMTP_PASSWORD_FILE=/run/secrets/smtp``);
3. a file named like the variable in ``$CREDENTIALS_DIRECTORY`` (systemd credentials:
   ``LoadCredential=NEWSWATCH_SMTP_PASSWORD:/etc/newswatch/smtp-password`` in the unit).

A file's value is its text with one trailing newline removed; files over :data:`MAX_SECRET_BYTES`,
unreadable files and a variable set both directly and as ``_FILE`` are errors naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from newswatch.storage.errors import ConfigError

FILE_SUFFIX = "_FILE"
CREDENTIALS = "CREDENTIALS_DIRECTORY"
MAX_SECRET_BYTES = 64 * 1024


class Secrets(Mapping[str, str]):
    """The environment as newswatch reads it: ``get(name)`` follows ``_FILE`` and systemd credentials."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def origin(self, name: str) -> str | None:
        """Where ``name`` comes from: ``env NAME``, ``file NAME_FILE=...``, ``credential ...``; None if unset."""
        if name in self.environ:
            return f"env {name}"
        if self.environ.get(name + FILE_SUFFIX):
            return f"file {name}{FILE_SUFFIX}={self.environ[name + FILE_SUFFIX]}"
        credential = self._credential(name)
        return f"credential {credential}" if credential is not None else None

    def __getitem__(self, name: str) -> str:
        direct = self.environ.get(name)
        path = self.environ.get(name + FILE_SUFFIX)
        if direct is not None and path:
            raise ConfigError(name, f"both {name} and {name}{FILE_SUFFIX} are set: keep one")
        if direct is not None:
            return direct
        if path:
            return read_secret(Path(path), name + FILE_SUFFIX)
        credential = self._credential(name)
        if credential is not None:
            return read_secret(credential, f"${CREDENTIALS}/{name}")
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        names = dict.fromkeys(self.environ)
        names.update(dict.fromkeys(n[: -len(FILE_SUFFIX)] for n in self.environ if n.endswith(FILE_SUFFIX)))
        folder = self.environ.get(CREDENTIALS)
        if folder and Path(folder).is_dir():
            names.update(dict.fromkeys(p.name for p in sorted(Path(folder).iterdir()) if p.is_file()))
        return iter(names)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.origin(name) is not None

    def _credential(self, name: str) -> Path | None:
        folder = self.environ.get(CREDENTIALS)
        if not folder or "/" in name or name.startswith("."):
            return None
        path = Path(folder) / name
        return path if path.is_file() else None


def read_secret(path: Path, variable: str) -> str:
    """The secret in ``path`` (named by ``variable`` in errors), one trailing newline removed."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise ConfigError(variable, f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_SECRET_BYTES:
        raise ConfigError(variable, f"{path} is larger than {MAX_SECRET_BYTES} bytes: not a secret")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(variable, f"{path} is not UTF-8 text") from exc
    return text.removesuffix("\n").removesuffix("\r")
