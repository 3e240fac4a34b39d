"""Extraction against bare trafilatura on its own evaluation set: ``python -m bench.bench_extraction``
prints a table (not a test; tests/crawler/extract/test_extraction_eval.py asserts the relations).

The 949 real pages of tests/fixtures/extraction_eval/ (trafilatura's evaluation set), each through the
worker's reading (``crawler.extract.reading.read``: decoded as the crawler decodes it, extracted, stored under the
canonical URL it declares, else its own) and by bare ``trafilatura.extract`` (defaults) from the same
decoded text.  Figures: pages that yield a document, distinct stored URLs, the share of ``with`` snippets
kept and of ``without`` snippets shown (whitespace removed on both sides) and upstream's F1, for the
pipeline's document (title + body, as the corpus file shows them, made plain), its body alone, the stored
Markdown as written, and bare trafilatura; CPU seconds for the whole set; the pages where bare
trafilatura keeps a ``with`` snippet the pipeline loses, or the pipeline shows a ``without`` bare does not.
The same figures for the English pages alone (py3langid's guess on bare trafilatura's text: the eval's metadata
names no language): "on English news, lose nothing to bare trafilatura".
"""

from __future__ import annotations

import time
from collections import Counter

from tests.crawler.extraction_eval import Scored, compare_all, eval_pages, in_comments_only, rates


def main() -> None:
    pages = eval_pages()
    start = time.process_time()
    items = compare_all(pages)
    cpu = time.process_time() - start
    rows: dict[str, list[Scored]] = {
        "pipeline: document (title + body)": [item.document for item in items],
        "pipeline: body only": [item.body for item in items],
        "pipeline: stored Markdown as written": [item.markdown for item in items],
        "bare trafilatura.extract": [item.bare for item in items],
    }
    print(f"{len(pages)} pages, {sum(len(p.with_) for p in pages)} with-snippets, "
          f"{sum(len(p.without) for p in pages)} without-snippets; both extractors: {cpu:.1f} s CPU")
    stored = {item.document.stored_url for item in items if item.document.stored_url}
    print(f"documents stored under {len(stored)} distinct URLs, "
          f"{sum(1 for item in items if item.document.stored_url not in (None, item.document.page.url))} "
          "of them a declared canonical URL")
    _table(rows)
    languages = Counter(item.language for item in items)
    print("languages (py3langid on bare trafilatura's text):",
          ", ".join(f"{language}: {count}" for language, count in languages.most_common(8)))
    english = [index for index, item in enumerate(items) if item.language == "en"]
    print(f"English pages only ({len(english)}):")
    _table({name: [scored[index] for index in english] for name, scored in rows.items()})
    comments = sum(in_comments_only(items[index]) for index in english)
    print(f"  English with-snippets bare trafilatura keeps only in the reader comments it appends (never stored): "
          f"{comments}")
    reasons = Counter(item.document.rejected for item in items if item.document.rejected)
    print("no document:", dict(reasons) or "none")
    for label, attribute, sign in (("bare trafilatura keeps more with-snippets", "with_found", -1),
                                   ("the pipeline shows more without-snippets", "without_found", 1)):
        differ = [(item.document.page.url, sign * (getattr(item.document, attribute) - getattr(item.bare, attribute)))
                  for item in items]
        worse = [(url, count) for url, count in differ if count > 0]
        print(f"pages where {label}: {len(worse)}")
        for url, count in worse:
            print(f"  {count} {url}")


def _table(rows: dict[str, list[Scored]]) -> None:
    print(f"{'':38} {'documents':>10} {'with kept':>10} {'without shown':>14} {'F1':>7}")
    for name, scored in rows.items():
        figures = rates(scored)
        print(f"{name:38} {figures.documents:>10} {figures.with_kept:>10.4f} {figures.without_shown:>14.4f}"
              f" {figures.f1:>7.4f}   ({figures.with_found}/{figures.with_total}, "
              f"{figures.without_found}/{figures.without_total})")


if __name__ == "__main__":
    main()
