"""Chinese-aware diffs, pure: sentences first, characters inside changed sentences.

Chinese paragraphs are single lines without spaces, so line and word diffs say "everything changed".
Texts are split into sentences (after ``。！？；!?`` and at line breaks), the sentence lists are
diffed, and a replaced sentence paired with a similar one gets a character-level diff from
``fast-diff-match-patch`` (with a time limit: a full rewrite of a long article stays bounded). English
splits on ``. `` as well, so the same code reads sensibly there.

One model (:class:`Diff`) feeds every output form (see ``monitor.changes.render``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import fast_diff_match_patch as dmp

from newswatch.monitor.changes.normalize import content_lines, normalize_line, steady_pair

SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=[.;])(?=\s)|(?<=[”」』])(?=[^，,、。！？；!?”」』])")
PAIR_THRESHOLD = 0.5  # replaced sentences this similar are shown as an edit, others as delete + insert
CHAR_TIME_LIMIT = 0.1  # seconds per sentence pair (fast-diff-match-patch's timelimit)
MAX_PAIRED = 2000  # beyond this many sentence pairs in one block, no character-level detail


@dataclass(frozen=True)
class Fragment:
    """A piece of an edited sentence: ``=`` kept, ``-`` deleted, ``+`` inserted."""

    op: str
    text: str


@dataclass(frozen=True)
class Op:
    """One step of a diff: ``equal``, ``insert``, ``delete`` or ``edit`` (with fragments)."""

    kind: str
    old: str = ""
    new: str = ""
    fragments: tuple[Fragment, ...] = ()


@dataclass(frozen=True)
class Diff:
    ops: tuple[Op, ...]

    @property
    def changed(self) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if op.kind != "equal")

    @property
    def inserted_chars(self) -> int:
        return sum(len(op.new) if op.kind == "insert" else _frag_len(op, "+") for op in self.changed)

    @property
    def deleted_chars(self) -> int:
        return sum(len(op.old) if op.kind == "delete" else _frag_len(op, "-") for op in self.changed)

    @property
    def is_empty(self) -> bool:
        return not self.changed


def _frag_len(op: Op, sign: str) -> int:
    return sum(len(f.text) for f in op.fragments if f.op == sign)


def sentences(text: str) -> list[str]:
    """Sentences of ``text`` as displayed (noise lines and decoration removed, see ``monitor.changes.normalize``)."""
    out: list[str] = []
    for line in content_lines(text):
        out.extend(part.strip() for part in SENTENCE_END.split(line) if part.strip())
    return out


def diff_texts(old: str, new: str) -> Diff:
    """The sentence-level diff of two texts, with character detail inside edited sentences; the page's own
    volatile furniture left out as change detection leaves it out (:func:`steady_pair`)."""
    old, new = steady_pair(old, new)
    a, b = sentences(old), sentences(new)
    keys_a, keys_b = [normalize_line(s) for s in a], [normalize_line(s) for s in b]
    ops: list[Op] = []
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":  # equal once normalized: shown as the new text
            ops.extend(Op("equal", s, s) for s in b[j1:j2])
        elif tag == "delete":
            ops.extend(Op("delete", old=s) for s in a[i1:i2])
        elif tag == "insert":
            ops.extend(Op("insert", new=s) for s in b[j1:j2])
        else:
            ops.extend(_replace(a[i1:i2], b[j1:j2]))
    return Diff(tuple(ops))


def _replace(old: list[str], new: list[str]) -> list[Op]:
    """Pair replaced sentences in order while they resemble each other; the rest are delete/insert."""
    ops: list[Op] = []
    pairs = min(len(old), len(new), MAX_PAIRED)
    for index in range(pairs):
        a, b = old[index], new[index]
        if difflib.SequenceMatcher(None, a, b, autojunk=False).quick_ratio() >= PAIR_THRESHOLD:
            ops.append(Op("edit", a, b, char_fragments(a, b)))
        else:
            ops.extend((Op("delete", old=a), Op("insert", new=b)))
    ops.extend(Op("delete", old=s) for s in old[pairs:])
    ops.extend(Op("insert", new=s) for s in new[pairs:])
    return ops


def char_fragments(old: str, new: str) -> tuple[Fragment, ...]:
    """Character-level edit of one sentence, semantically cleaned up, bounded in time."""
    result = dmp.diff(old, new, timelimit=CHAR_TIME_LIMIT, checklines=False, cleanup="Semantic",
                      counts_only=False)
    return tuple(Fragment(op, str(text)) for op, text in result)


def similarity(old: str, new: str) -> float:
    """Share of sentences the two texts have in common (0..1), for baselines against seeds."""
    a = [normalize_line(s) for s in sentences(old)]
    b = [normalize_line(s) for s in sentences(new)]
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
