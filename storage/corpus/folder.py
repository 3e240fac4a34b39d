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
from dataclasses import dataclass, field
from pathlib import Path

from newswatch.storage.corpus.document import Document, parse_document, render_document
from newswatch.storage.errors import CorpusWriteError, DocumentFormatError

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
    publish(prepare_atomic(path, text), path)


def prepare_atomic(path: Path, text: str) -> Path:
    """The first half of :func:`write_atomic`: ``text`` in a temp file beside ``path``, fsynced, not yet
    renamed (its name says the file and the process it is for: :func:`leftovers`)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.p{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CorpusWriteError(f"{path.name}: cannot write in {path.parent}: {exc.strerror or exc}") from exc
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CorpusWriteError(f"{path.name}: write failed: {exc.strerror or exc}") from exc
    return Path(tmp)


def publish(tmp: Path, path: Path) -> None:
    """The second half of :func:`write_atomic`: the temp file renamed over ``path``."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CorpusWriteError(f"{path.name}: write failed: {exc.strerror or exc}") from exc
    _fsync_dir(path.parent)


_LEFTOVER = re.compile(r"^\.(?P<name>.+\.txt)\.p(?P<pid>\d+)\.[^.]+\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def leftovers(folder: Path) -> list[tuple[Path, str]]:
    """Temp files of corpus writes that never were renamed (their process was killed, or its write
    failed), with the name (relative to ``folder``) each was for; never those of a live staging."""
    found: list[tuple[Path, str]] = []
    for sub in (folder, folder / "changes"):
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            match = _LEFTOVER.match(path.name)
            pid = int(match.group("pid")) if match else 0
            if match and path not in _STAGED and (pid == os.getpid() or not _alive(pid)):
                found.append((path, str((path.parent / match.group("name")).relative_to(folder))))
    return found


_STAGED: set[Path] = set()  # temp files of this process's open stagings


@dataclass
class Staging:
    """Corpus writes held back until the transaction that claims them commits: each is prepared (a whole,
    fsynced temp file: a full disk fails here, inside the transaction) and renamed by :meth:`publish`
    after the commit, or removed by :meth:`discard`. A kill in between leaves only temp files
    (:func:`leftovers`), never a document storage does not know."""

    pending: list[tuple[Path, Path]] = field(default_factory=list)  # (temp file, document)
    removals: list[tuple[int, Path]] = field(default_factory=list)  # (mark when asked, document to remove)

    def add(self, path: Path, text: str) -> None:
        tmp = prepare_atomic(path, text)
        _STAGED.add(tmp)
        self.pending.append((tmp, path))

    def mark(self) -> int:
        return len(self.pending)

    def discard(self, since: int = 0) -> None:
        for tmp, _path in self.pending[since:]:
            _STAGED.discard(tmp)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        del self.pending[since:]
        self.removals = [(mark, path) for mark, path in self.removals if mark < since]

    def abandon(self) -> None:
        """Give the prepared files up without removing them: whether they belong is for storage to say
        (:func:`leftovers`, at the next start)."""
        for tmp, _path in self.pending:
            _STAGED.discard(tmp)
        self.pending = []
        self.removals = []

    def publish(self) -> list[tuple[int, CorpusWriteError]]:
        """Rename every prepared file over its document, in order (each folder fsynced once); the
        position and error of each that could not be (its temp file stays: :func:`leftovers`)."""
        failures: list[tuple[int, CorpusWriteError]] = []
        pending, self.pending = self.pending, []
        folders: set[Path] = set()
        for _mark, path in self.removals:  # first: a document written under a removed name is the new one
            with contextlib.suppress(OSError):
                path.unlink()
            folders.add(path.parent)
        self.removals = []
        for position, (tmp, path) in enumerate(pending):
            _STAGED.discard(tmp)
            try:
                os.replace(tmp, path)
            except OSError as exc:
                failures.append((position, CorpusWriteError(f"{path.name}: write failed: {exc.strerror or exc}")))
                continue
            folders.add(path.parent)
        for folder in sorted(folders):
            _fsync_dir(folder)
        return failures


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
    While :attr:`staging` is set, writes are prepared there and published after the caller's commit
    (names handed out to staged documents stay taken).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.staging: Staging | None = None
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
            staged = [path for _tmp, path in self.staging.pending] if self.staging is not None else []
            if self.folder.is_dir():
                for path in [*self.folder.iterdir(), *staged]:
                    match = FILE_NAME.match(path.name) if path.parent == self.folder else None
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

    def save(self, key: str, document: Document, name: str | None = None) -> Path:
        """Write ``document`` under ``key`` atomically and return its path (``name``: the file the
        document already has, even when it is missing from the folder)."""
        path = self.folder / name if name is not None else self.path_for(key)
        known = key in self._index()
        self.write(path, document)
        if self._names is not None and not known:
            self._names[key] = path.name
            match = FILE_NAME.match(path.name)
            self._next = max(self._next, int(match.group(1)) + 1 if match else self._next)
        self._mtime = self._folder_mtime()  # our own write moved it
        return path

    def retire(self, name: str) -> None:
        """Remove the document ``name`` and its change documents (``changes/<stem>.v...``): at once, or
        after the commit when staged (before the staged writes, which may reuse the name)."""
        changes = self.folder / "changes"
        paths = [self.folder / name, *(changes.glob(f"{Path(name).stem}.v*.txt") if changes.is_dir() else ())]
        if self.staging is not None:
            self.staging.removals.extend((self.staging.mark(), path) for path in paths)
            return
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()
        self._mtime = self._folder_mtime()

    def write(self, path: Path, document: Document) -> None:
        """Write one document of this corpus (an article's or a change's): at once, or staged."""
        if self.staging is None:
            write_document(path, document)
        else:
            self.staging.add(path, render_document(document))
