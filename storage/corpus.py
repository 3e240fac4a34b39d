"""The corpus folder: read every document (reporting bad ones by name), write atomically.

File names are ``NNN_<16 hex>.txt``: ``NNN`` the next free number, the hex the first 16 digits of the
SHA-256 of the article's canonical URL (computed by the caller, who knows how to canonicalize), so a
re-crawl of an article always lands on the file it already has.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from storage.document import Document, parse_document, render_document
from storage.errors import CorpusWriteError, DocumentFormatError

FILE_NAME = re.compile(r"^(\d{3,})_([0-9a-f]{16})\.txt$")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class LoadedDocument:
    path: Path
    document: Document


@dataclass(frozen=True)
class Problem:
    """A file that could not be loaded: its name and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class CorpusLoad:
    documents: tuple[LoadedDocument, ...]
    problems: tuple[Problem, ...]


def decode(data: bytes, name: str) -> str:
    """Corpus files are UTF-8 (a BOM is allowed); anything else is reported, never guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentFormatError(name, f"unknown encoding: invalid UTF-16 ({exc.reason})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentFormatError(
            name, f"unknown encoding: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc


def read_document(path: Path) -> Document:
    """Read and parse one corpus file; errors name the file."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentFormatError(path.name, f"file is too large ({size} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentFormatError(path.name, f"cannot read: {exc.strerror or exc}") from exc
    return parse_document(decode(data, path.name), path.name)


def load_corpus(folder: Path) -> CorpusLoad:
    """Every ``*.txt`` document in ``folder`` (sorted by name); a bad file never stops the others."""
    documents: list[LoadedDocument] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.txt")):
        try:
            documents.append(LoadedDocument(path, read_document(path)))
        except DocumentFormatError as exc:
            problems.append(Problem(exc.name, exc.reason))
    return CorpusLoad(tuple(documents), tuple(problems))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file, fsync and rename: readers see old or new, never half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CorpusWriteError(f"{path.name}: cannot write in {path.parent}: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CorpusWriteError(f"{path.name}: write failed: {exc.strerror or exc}") from exc
    _fsync_dir(path.parent)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file is readable by all (0644), as editors make them."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def write_document(path: Path, document: Document) -> None:
    write_atomic(path, render_document(document))


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Corpus:
    """A corpus folder that names new documents ``NNN_<key>.txt`` and keeps re-writes in place.

    The folder is listed once and the index kept up to date by :meth:`save`; it is listed again only when
    the folder changed behind our back (its mtime moved), so saving stays cheap however large it grows.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._names: dict[str, str] | None = None
        self._next = 0
        self._mtime: int | None = None

    def _folder_mtime(self) -> int | None:
        try:
            return self.folder.stat().st_mtime_ns
        except OSError:
            return None

    def _index(self) -> dict[str, str]:
        if self._names is None or self._folder_mtime() != self._mtime:
            self._mtime = self._folder_mtime()
            self._names, numbers = {}, [-1]
            if self.folder.is_dir():
                for path in self.folder.iterdir():
                    match = FILE_NAME.match(path.name)
                    if match:
                        self._names.setdefault(match.group(2), match.group(0))
                        numbers.append(int(match.group(1)))
            self._next = max(numbers) + 1
        return self._names

    def path_for(self, key: str) -> Path:
        """The file for ``key`` (16 hex digits): the existing one, or the next free number."""
        if not re.fullmatch(r"[0-9a-f]{16}", key):
            raise ValueError(f"corpus key must be 16 lower-case hex digits, got {key!r}")
        name = self._index().get(key)
        return self.folder / (name or f"{self._next:03d}_{key}.txt")

    def save(self, key: str, document: Document) -> Path:
        """Write ``document`` under ``key`` atomically and return its path."""
        path = self.path_for(key)
        known = key in self._index()
        write_document(path, document)
        if self._names is not None and not known:
            self._names[key] = path.name
            self._next += 1
        self._mtime = self._folder_mtime()  # our own write moved it
        return path
