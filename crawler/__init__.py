"""The crawl: fetch (guarded), discover (links, feeds, sitemaps), extract (article or rejection), pipeline."""

if __name__ != "newswatch.crawler":  # imported by its folder's name: a second copy of every module
    raise ImportError(f"import newswatch.crawler, not {__name__} (the folder is linked into the newswatch package)")
