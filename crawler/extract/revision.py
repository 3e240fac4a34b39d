"""The revision of extraction: what a stored version was extracted with, and whether today's differs.

A stored article's text depends on trafilatura and on newswatch's own steps around it (navigation rows
dropped, title labels, dates from the text...). When either changes, an unchanged page would extract to
a different text and be reported as changed. So each version records ``extractor_version`` =
``<trafilatura version>+r<REVISION>`` (``+wechat.N`` for WeChat's step), and a run re-extracts stored
raw pages whose mark differs before it crawls (a re-baseline: no change, no alert;
:mod:`monitor.changes.reextract`). Bump :data:`REVISION` with every change that alters what is
extracted from an unchanged page. Read from installed metadata: nothing heavy is imported.
"""

from __future__ import annotations

import functools
import importlib.metadata

REVISION = 6  # 2: navigation rows, title labels and fallbacks, dates from the text, list pages (2026-12)
# 3: a title that is the site's name, a generic word or not shown on the page yields to the fallbacks
# 4: title segments naming the site dropped (多维博客 » …, …<某某网); related-news rows ending a body cut
# 5: blog-platform titles (… @ 部落格 :: 痞客邦, …_作者_新浪博客); sidebar boxes before a post; menu rows above
#    a related-news heading cut with it; readers' disclaimers closing a body cut
# 6: a form field's name before a forum post's headline (主题: …) is a title label


@functools.cache
def extraction_mark() -> str:
    """``<trafilatura version>+r<REVISION>``: the part of ``extractor_version`` that must match. Read once
    a process: the installed metadata is parsed on every ``importlib.metadata.version`` call (~1 ms, more
    on a loaded machine), and every run asks :func:`current` of each stored article."""
    return f"{importlib.metadata.version('trafilatura')}+r{REVISION}"


def current(extractor_version: str | None) -> bool:
    """Whether a version extracted as ``extractor_version`` was extracted as today's code would."""
    mark = extraction_mark()
    return extractor_version == mark or (extractor_version or "").startswith(mark + "+")
