"""What the extraction pool's forkserver loads before it forks a worker (``crawler.extract.pool.PRELOAD``).

Imported in the forkserver only, never in the crawl's process: each worker would otherwise import
trafilatura, lxml, htmldate and numpy and read py3langid's model (about 75 MB) on its own. Loaded once in
the forkserver, those pages are shared copy-on-write by every worker it forks (and by the workers of the
next crawl: a daemon's forkserver lives as long as the daemon). One reading of a small page (decode,
parse, extract) runs here, so that what the libraries load or compile on first use (py3langid's model,
trafilatura's lazy imports) is loaded too, and the caches a worker would otherwise build on its first pages
and keep: jusText's stop words of every language (28 MB, trafilatura's fallback for Chinese pages) and the
public-suffix list; then the garbage collector's generations are frozen, so that
a collection in a worker does not write to (and so copy) every page of those objects, and the heap the
warm-up freed is handed back (``malloc_trim``: 3 MiB of the forkserver's own). A failure here is
not fatal: the workers then load what they need themselves, as without a preload.
"""

from __future__ import annotations

import contextlib
import gc

from newswatch.crawler import heap

PAGE = ("<html><head><title>预加载</title></head><body><article><h1>预加载的文章标题</h1>"
        + "<p>这是一段用于预先加载提取库和语言识别模型的中文文字，它不会被保存到任何地方。</p>" * 8
        + "</article></body></html>")
URL = "http://preload.invalid/2025/01/01/a.html"


def _stoplists() -> None:
    """jusText's stop words of every language (trafilatura's fallback for a page whose language has no list
    of its own, Chinese among them: about 150,000 strings) and jusText's lower-cased frozen set of them, 28 MB
    that each worker would otherwise build on its first such page, and keep."""
    import justext.core
    from trafilatura import external

    justext.core.define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())


def _public_suffixes() -> None:
    """The public-suffix list's trie (tld, through courlan: about 2 MB), read on the first URL checked."""
    from courlan.urlutils import get_tldinfo

    get_tldinfo("https://news.example.com.cn/a.html")


def warm() -> None:
    try:  # the imports too: an error here must not stop the forkserver
        import py3langid

        from newswatch.crawler.extract.reading import Page, read

        read(Page(PAGE.encode(), "text/html; charset=utf-8", URL, URL))
        py3langid.classify(PAGE)  # the model, whether or not that page's reading needed it
    except Exception:  # the workers will load what they need on their own
        return
    for cache in (_stoplists, _public_suffixes):
        with contextlib.suppress(Exception):  # a library's private helper renamed: that cache stays per worker
            cache()
    gc.collect()
    gc.freeze()
    heap.trim()  # the warm-up's free heap back to the system before the forks: no worker inherits it


warm()
