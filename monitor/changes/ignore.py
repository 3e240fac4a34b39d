"""Per-source ``ignore`` patterns, pure: text a source varies on every visit does not count as a change.

A source in ``sources.toml`` may list regular expressions (``ignore = ["阅读\\s*\\d+", "^编辑：.*$"]``).
Every match is removed from the title and the body *before* the fingerprint and the diff are
computed, so an edit only inside a match is no change, and diffs never show it; the stored version
keeps the page's full text. ``^`` and ``$`` match at line ends (``MULTILINE``); patterns run on the
``regex`` module; each is validated when the registry is read
(:func:`compile_patterns`: syntax, at most :data:`MAX_PATTERNS` of at most :data:`MAX_PATTERN_CHARS`
characters) and bounded when applied (:data:`TIMEOUT_SECONDS` per pattern and text: a pattern that
runs away on some page is skipped for that text, never hangs the crawl; the caller is told).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from newswatch.monitor.changes.detect import Snapshot

MAX_PATTERNS = 50
MAX_PATTERN_CHARS = 500
TIMEOUT_SECONDS = 0.5


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """One ``ignore`` pattern, compiled; ``ValueError`` says what is wrong with it."""
    if not pattern:
        raise ValueError("empty pattern")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"longer than {MAX_PATTERN_CHARS} characters")
    try:
        compiled = regex.compile(pattern, regex.MULTILINE | regex.V0)
    except regex.error as exc:
        raise ValueError(f"not a regular expression ({exc})") from exc
    if compiled.fullmatch("") is not None:
        raise ValueError("matches the empty string (it would remove nothing, or everything)")
    return compiled


@dataclass(frozen=True)
class Stripped:
    text: str
    removed: int  # matches removed
    timed_out: tuple[str, ...] = ()  # patterns skipped on this text (ran longer than the limit)


@dataclass(frozen=True)
class IgnoreRules:
    """The compiled ``ignore`` patterns of one source (build with :func:`compile_patterns`)."""

    patterns: tuple[regex.Pattern[str], ...]

    def strip(self, text: str) -> Stripped:
        """``text`` without every match of every pattern."""
        removed = 0
        timed_out: list[str] = []
        for pattern in self.patterns:
            try:
                text, count = pattern.subn("", text, timeout=TIMEOUT_SECONDS)
            except TimeoutError:
                timed_out.append(pattern.pattern)
                continue
            removed += count
        return Stripped(text, removed, tuple(timed_out))

    def snapshot(self, snapshot: Snapshot) -> tuple[Snapshot, tuple[str, ...]]:
        """The snapshot as change detection compares it: title and body without the ignored text;
        with the patterns that timed out."""
        body = self.strip(snapshot.body)
        title = self.strip(snapshot.title) if snapshot.title else Stripped(snapshot.title or "", 0)
        stripped = dataclasses.replace(snapshot, body=body.text,
                                       title=title.text if snapshot.title is not None else None)
        return stripped, tuple(dict.fromkeys((*title.timed_out, *body.timed_out)))


def compile_patterns(patterns: Sequence[str]) -> IgnoreRules | None:
    """The rules for a source's ``ignore`` list (``None`` when empty); ``ValueError`` names the bad one."""
    if not patterns:
        return None
    if len(patterns) > MAX_PATTERNS:
        raise ValueError(f"at most {MAX_PATTERNS} patterns")
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(compile_pattern(pattern))
        except ValueError as exc:
            raise ValueError(f"{pattern!r}: {exc}") from exc
    return IgnoreRules(tuple(compiled))
