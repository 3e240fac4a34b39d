"""Editing ``sources.toml`` in place: sources added, removed or given more feeds, the rest of the file
(comments, blank lines, key order, quoting) left exactly as it was.

New sources are appended as ``[[source]]`` tables after a blank line; a removed source takes its
own table with it, plus the comment lines directly above its header (they describe it) and nothing
else; feeds and a site added to an existing source go through tomlkit, which keeps the layout.
Every edit is checked before it is written: the new file must read back as the old registry with
exactly that edit, or nothing is written. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import tomlkit
from tomlkit.items import AoT, Array, InlineTable, Table

from newswatch.monitor.sources.registry import REGISTRY_FILE, RegisteredSource, Registry, parse_registry
from newswatch.storage.errors import ConfigError

HEADER = """\
# Source registry: every source newswatch crawls, and the names seeds use for them.
# Keys: name (required), aliases, site (home/section page URL), pages (more section pages), feeds,
#       sitemaps, discover (default true: follow links, autodiscover feeds, read robots.txt);
#       noise rules: include / exclude (CSS or XPath selectors applied to a page before extraction),
#       ignore (regular expressions whose matches never count as a change).
# Edit by hand or with `newswatch sources add/remove/import`; comments are kept.
"""
_HEADER_LINE = re.compile(r"^\s*\[\[\s*source\s*\]\]\s*(?:#.*)?$")
_COMMENT_LINE = re.compile(r"^\s*#")
_TABLE_LINE = re.compile(r"^\s*\[")


def registry_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read: {exc}") from exc


def source_table(source: RegisteredSource) -> str:
    """``source`` as a ``[[source]]`` table: its name, then every key that differs from the default."""
    table = tomlkit.table()
    defaults = RegisteredSource(source.name)
    for f in fields(RegisteredSource):
        value = getattr(source, f.name)
        if f.name == "name" or value != getattr(defaults, f.name):
            table.add(f.name, list(value) if isinstance(value, tuple) else value)
    document = tomlkit.document()
    document.append("source", tomlkit.aot())
    aot = document["source"]
    assert isinstance(aot, AoT)
    aot.append(table)
    return tomlkit.dumps(document)


def add_sources(path: Path, sources: Sequence[RegisteredSource]) -> Registry:
    """Append ``sources`` to the registry file (created with a header when absent)."""
    text = registry_text(path)
    before = parse_registry(text, str(path))
    new = text.rstrip("\n") + "\n\n" if text.strip() else HEADER + "\n"
    new += "\n".join(source_table(s) for s in sources)
    return _write(path, new, Registry((*before.sources, *sources)))


def remove_source(path: Path, name: str) -> RegisteredSource:
    """Remove the source called ``name`` (or with that alias); ConfigError when there is none."""
    text = registry_text(path)
    before = parse_registry(text, str(path))
    source = before.resolve(name)
    if source is None:
        raise ConfigError(f"{REGISTRY_FILE}", f"no source called {name!r}")
    index = before.sources.index(source)
    wanted = Registry(tuple(s for s in before.sources if s is not source))
    candidate = _without_block(text, index, len(before.sources))
    if candidate is None or _registry_or_none(candidate) != wanted:
        candidate = _without_table(text, index)  # an unusual layout: let tomlkit cut it
    _write(path, candidate, wanted)
    return source


def update_sources(path: Path, updated: Sequence[RegisteredSource]) -> Registry:
    """Give existing sources (matched by name) the site, feeds and sitemaps of ``updated``."""
    text = registry_text(path)
    before = parse_registry(text, str(path))
    document = tomlkit.parse(text)
    tables = document.get("source")
    by_name = {s.name: s for s in updated}
    result = []
    for index, source in enumerate(before.sources):
        change = by_name.get(source.name)
        if change is None:
            result.append(source)
            continue
        table = tables[index] if isinstance(tables, AoT | Array) else None
        if not isinstance(table, Table | InlineTable):
            raise ConfigError(f"{REGISTRY_FILE}: source[{index}]", "not a [[source]] table: edit it by hand")
        _update_table(table, source, change)
        result.append(change)
    return _write(path, tomlkit.dumps(document), Registry(tuple(result)))


def _update_table(table: Table | InlineTable, old: RegisteredSource, new: RegisteredSource) -> None:
    if new.site and not old.site:
        table["site"] = new.site
    for key in ("feeds", "sitemaps", "pages"):
        added = [u for u in getattr(new, key) if u not in getattr(old, key)]
        if not added:
            continue
        if key in table:
            current = table[key]
            for url in added:
                current.append(url)
        else:
            table[key] = added


def _registry_or_none(text: str) -> Registry | None:
    try:
        return parse_registry(text)
    except ConfigError:
        return None


def _without_block(text: str, index: int, count: int) -> str | None:
    """``text`` without the ``index``-th ``[[source]]`` block and the comments that lead it; None when
    the blocks cannot be told apart line by line (inline tables, other tables between them...)."""
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _HEADER_LINE.match(line)]
    if len(headers) != count:
        return None
    start = _lead(lines, headers[index])
    end = _lead(lines, headers[index + 1]) if index + 1 < count else len(lines)
    if any(_TABLE_LINE.match(line) for line in lines[headers[index] + 1 : end]):
        return None
    result = "".join(lines[:start] + lines[end:])
    return result.rstrip("\n") + "\n" if end == len(lines) else result


def _lead(lines: list[str], header: int) -> int:
    """The first of the comment lines directly above a header (no blank line between)."""
    start = header
    while start > 0 and _COMMENT_LINE.match(lines[start - 1]):
        start -= 1
    return start


def _without_table(text: str, index: int) -> str:
    document = tomlkit.parse(text)
    tables = document.get("source")
    if not isinstance(tables, AoT | Array):
        raise ConfigError(REGISTRY_FILE, "sources are not [[source]] tables: edit the file by hand")
    del tables[index]
    return tomlkit.dumps(document)


def _write(path: Path, text: str, expected: Registry) -> Registry:
    """Write ``text`` atomically if it reads back as ``expected``; the file is untouched otherwise."""
    found = parse_registry(text, str(path))
    if found != expected:
        raise ConfigError(str(path), "the edit did not give the expected sources; nothing was written "
                                     "(edit the file by hand)")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError(str(path), f"cannot write: {exc}") from exc
    return found


@dataclass(frozen=True)
class ImportPlan:
    """What importing a list of sources does to a registry (nothing is written by planning)."""

    added: tuple[RegisteredSource, ...] = ()
    updated: tuple[RegisteredSource, ...] = ()  # existing sources, with their new feeds/site/sitemaps
    unchanged: tuple[str, ...] = ()  # names of incoming sources already fully registered


def plan_import(registry: Registry, incoming: Sequence[RegisteredSource]) -> ImportPlan:
    """Merge ``incoming`` into ``registry``: a known name (or alias) gains the new feeds, sitemaps,
    pages and a missing site; an unknown one is added, without the feeds, sitemaps, pages and
    aliases the registry already has elsewhere; one whose every URL is registered is unchanged."""
    current = {s.name: s for s in registry.sources}
    added: dict[str, RegisteredSource] = {}
    unchanged: list[str] = []
    for source in incoming:
        known = Registry((*current.values(), *added.values()))
        target = known.resolve(source.name)
        if target is not None:
            merged = _merged(target, source)
            if merged == target:
                unchanged.append(source.name)
            elif target.name in added:
                added[target.name] = merged
            else:
                current[target.name] = merged
            continue
        taken = {u for s in known.sources for u in s.urls()}
        fresh = _without(source, taken, known)
        if source.urls() and set(fresh.urls()) <= taken:
            unchanged.append(source.name)  # every URL of it is registered already
        else:
            added[fresh.name] = fresh
    updated = tuple(s for s in current.values() if s != registry.resolve(s.name))
    return ImportPlan(tuple(added.values()), updated, tuple(unchanged))


def import_sources(path: Path, incoming: Sequence[RegisteredSource]) -> ImportPlan:
    """Plan the import against the file and apply it: updates first, then the new sources appended."""
    plan = plan_import(parse_registry(registry_text(path), str(path)), incoming)
    if plan.updated:
        update_sources(path, plan.updated)
    if plan.added:
        add_sources(path, plan.added)
    return plan


def _merged(old: RegisteredSource, new: RegisteredSource) -> RegisteredSource:
    def union(key: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*getattr(old, key), *getattr(new, key))))

    return replace(old, site=old.site or new.site, feeds=union("feeds"), sitemaps=union("sitemaps"),
                   pages=union("pages"))


def _without(source: RegisteredSource, taken: set[str], known: Registry) -> RegisteredSource:
    def fresh(key: str) -> tuple[str, ...]:
        return tuple(u for u in getattr(source, key) if u not in taken)

    aliases = tuple(a for a in source.aliases if known.resolve(a) is None)
    return replace(source, aliases=aliases, feeds=fresh("feeds"), sitemaps=fresh("sitemaps"), pages=fresh("pages"))
