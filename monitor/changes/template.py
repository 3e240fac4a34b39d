"""Site templates, pure: the lines a site repeats around its articles are no part of any article.

A site's pages carry the same furniture around the article — sidebars and hot lists with update times,
related links, share bars, ads, footers — and the extractor sometimes keeps some of it in the text.
Such a line recurs across *different* articles of one site; a line of an article does not. So:

- every body line has a **key**: its normalized form with digits masked (``热点 更新于 10:32`` and
  ``热点 更新于 11:05`` share a key), hashed (:func:`line_key`);
- a site's **template** is the set of keys found in at least :attr:`TemplateRules.min_articles` other
  articles of the site, now or at once at some time while the line is still held (its peak: so the
  verdict does not depend on the order a run fetches the pages in) (:func:`learn` from counts kept per
  site, :func:`learn_from_texts` from bodies);
  a site with fewer articles than that has an empty template: early on nothing is taken away;
- :func:`strip` takes the template out of a body, block-wise: the **tail** (the article ended where the
  first template line starts a run of template lines and furniture — short headline-like lines, links —
  up to the end: what follows is cut, whatever it says), the **head** (the same before the text) and, in
  between, blocks of furniture that hold two or more template lines. One template line alone in the
  text is kept: a line that is template on the site can be real text in one article. A body that would
  keep no line of text, or less text than a body must have (the site's articles differ only in their
  numbers: a daily price bulletin), is compared whole: there the template is the article, and it must not
  make a real page look empty.

Furniture that rotates (a hot list's headlines) is new to the counts on the first pages fetched after it
moved. :func:`inherit` carries the template over: lines of the new body that take the place of template
lines of the previous body, and look like furniture, are template too.

Only the keys of the template found in a body are needed to strip it again (:meth:`Template.within`):
that subset is what a version keeps (its :attr:`Template.digest`), so a re-extraction replays the same
decision.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from newswatch.monitor.changes.detect import MIN_BODY_CHARS, Snapshot
from newswatch.monitor.changes.normalize import (
    display_line,
    is_noise_line,
    normalize_body,
    normalize_line,
    significant_length,
)
from newswatch.monitor.changes.volatile import FURNITURE_CHARS, is_furniture

KEY_CHARS = 16
MAX_KEYS = 1000  # lines per body that count (a page with more is cut at that many lines)
SITE_KEY = "*"  # the key every article contributes once: the per-site count of articles
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class TemplateRules:
    min_articles: int = 3  # a line is template when at least this many *other* articles of the site have it
    furniture_chars: int = FURNITURE_CHARS  # a line this short, not ending a sentence, may belong to a template block


@dataclass(frozen=True)
class Template:
    """Line keys that are furniture on one site (see the module doc)."""

    keys: frozenset[str] = frozenset()

    @property
    def digest(self) -> str | None:
        """A short digest of the keys (None for the empty template)."""
        if not self.keys:
            return None
        return hashlib.sha256("\n".join(sorted(self.keys)).encode()).hexdigest()[:KEY_CHARS]

    def within(self, body: str) -> Template:
        """The part of the template found in ``body``: all that is needed to strip ``body`` again."""
        return Template(self.keys & line_keys(body))

    def union(self, other: Template) -> Template:
        return Template(self.keys | other.keys)


@functools.lru_cache(maxsize=1 << 12)
def line_key(line: str) -> str:
    """The key of one body line ("" for a line that is only decoration); pure, so remembered (a body's
    lines are keyed by learning, stripping, inheriting and the counts alike)."""
    text = normalize_line(line)
    if not text:
        return ""
    return hashlib.sha256(_DIGITS.sub("#", text).encode("utf-8")).hexdigest()[:KEY_CHARS]


@functools.lru_cache(maxsize=16)
def line_keys(body: str) -> frozenset[str]:
    """The keys of a body's lines (at most :data:`MAX_KEYS` lines); remembered for the last few bodies (a
    record keys the same two bodies several times; more would only hold whole articles in a daemon)."""
    keys = (line_key(line) for line in body.splitlines()[:MAX_KEYS])
    return frozenset(key for key in keys if key)


def learn(counts: Mapping[str, int], own: Iterable[str] = (), rules: TemplateRules = TemplateRules(),
          peaks: Mapping[str, int] | None = None) -> Template:
    """The template from per-site counts (key -> articles having it), not counting the article itself
    (``own``: the keys it contributed to ``counts``).

    ``peaks`` (key -> the most articles that had it at once while some article kept it) keeps a line
    furniture while the site's pages move on one by one: a hot list's dropped headline leaves the counts
    as the other pages are fetched again, but the page still showing it must not see it as its own text.
    A peak counts when it exceeds ``min_articles`` by one (whichever page held it too, that many others did).
    """
    mine, peaks = set(own), peaks or {}
    if counts.get(SITE_KEY, 0) - (SITE_KEY in mine) < rules.min_articles:
        return Template()  # too few siblings to tell furniture from text
    return Template(frozenset(key for key, count in counts.items() if key != SITE_KEY and (
        count - (key in mine) >= rules.min_articles or peaks.get(key, 0) - 1 >= rules.min_articles)))


def learn_from_texts(texts: Sequence[str], rules: TemplateRules = TemplateRules()) -> Template:
    """The template of a site from the bodies of its articles (one text per article)."""
    counts: dict[str, int] = {}
    for text in texts:
        for key in (*line_keys(text), SITE_KEY):
            counts[key] = counts.get(key, 0) + 1
    return learn(counts, (), rules)


@dataclass(frozen=True)
class _Line:
    raw: str
    key: str
    template: bool
    furniture: bool  # could belong to a block of page furniture (short, no sentence end, or a bare link)


def _lines(body: str, template: Template, rules: TemplateRules) -> list[_Line]:
    out = []
    for raw in body.splitlines():
        key = line_key(raw)
        shown = display_line(raw)
        furniture = is_furniture(raw, shown, not key or is_noise_line(normalize_line(raw)), rules.furniture_chars)
        out.append(_Line(raw, key, bool(key) and key in template.keys, furniture))
    return out


def _tail_start(lines: Sequence[_Line]) -> int:
    """Where the tail of furniture begins: the first template line after which there is only furniture
    or template (``len(lines)`` when there is no such tail)."""
    start = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if not (line.template or line.furniture):
            break
        if line.template:
            start = index
    return start


def _middle(lines: Sequence[_Line]) -> list[_Line]:
    """``lines`` without blocks of furniture holding two or more template lines (one template line alone
    among the text is kept: it may be this article's own)."""
    kept: list[_Line] = []
    run: list[_Line] = []
    for line in [*lines, _Line("", "x", False, False)]:
        if line.template or line.furniture:
            run.append(line)
            continue
        if sum(item.template for item in run) < 2:
            kept.extend(run)
        run = []
        kept.append(line)
    return kept[:-1]


def strip(body: str, template: Template, rules: TemplateRules = TemplateRules()) -> str:
    """``body`` without the template's blocks (see the module doc); unchanged for an empty template."""
    if not template.keys:
        return body
    lines = _lines(body, template, rules)
    lines = lines[: _tail_start(lines)]
    head = len(lines) - _tail_start(lines[::-1])  # the same rule read backwards: the head block
    kept = _middle(lines[head:])
    stripped = "\n".join(line.raw for line in kept)
    if not any(line.key and not (line.template or line.furniture) for line in kept) or (
            significant_length(normalize_body(stripped)) < MIN_BODY_CHARS <= significant_length(normalize_body(body))):
        return body  # too little of an article would be left: the template is this page's own text, not furniture
    return stripped


def inherit(previous: str, current: str, template: Template, rules: TemplateRules = TemplateRules()) -> Template:
    """The keys of ``current``'s lines that replace template lines of ``previous`` and look like furniture
    (a rotated hot list, a new ad): the template carried over from one fetch of a page to the next."""
    if not template.keys:
        return Template()
    old = [line for line in _lines(previous, template, rules) if line.key]
    new = [line for line in _lines(current, template, rules) if line.key]
    matcher = difflib.SequenceMatcher(None, [line.key for line in old], [line.key for line in new], autojunk=False)
    keys: set[str] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and all(line.template for line in old[i1:i2]) \
                and all(line.furniture or line.template for line in new[j1:j2]):
            keys.update(line.key for line in new[j1:j2])
    return Template(frozenset(keys))


def templated(snapshot: Snapshot, template: Template, rules: TemplateRules = TemplateRules()) -> Snapshot:
    """The snapshot as change detection compares it: its body without the site's template."""
    if not template.keys:
        return snapshot
    return dataclasses.replace(snapshot, body=strip(snapshot.body, template, rules))
