"""Extraction against bare trafilatura on its own evaluation set: ``python -m bench.bench_extraction``
prints a table (not a test; tests/crawler/test_extraction_eval.py asserts the relations).

The 949 real pages of tests/fixtures/extraction_eval/ (trafilatura's evaluation set), each decoded as the
crawler decodes it, extracted by the pipeline (``crawler.extract.extract`` at an article-shaped URL)
and by bare ``trafilatura.extract`` (defaults) from the same text.  Figures: pages that yield a
document, the share of ``with`` snippets kept and of ``without`` snippets shown (whitespace removed on
both sides), for the pipeline's document (title + body, as the corpus file shows them), its body
alone, and bare trafilatura; CPU seconds for the whole set.
"""

from __future__ import annotations

import time
from collections import Counter

from tests.crawler.extraction_eval import Scored, compare_all, eval_pages, rates


def main() -> None:
    pages = eval_pages()
    start = time.process_time()
    items = compare_all(pages)
    cpu = time.process_time() - start
    rows: dict[str, list[Scored]] = {
        "pipeline: document (title + body)": [item.document for item in items],
        "pipeline: body only": [item.body for item in items],
        "bare trafilatura.extract": [item.bare for item in items],
    }
    print(f"{len(pages)} pages, {sum(len(p.with_) for p in pages)} with-snippets, "
          f"{sum(len(p.without) for p in pages)} without-snippets; both extractors: {cpu:.1f} s CPU")
    print(f"{'':36} {'documents':>10} {'with kept':>10} {'without shown':>14}")
    for name, scored in rows.items():
        figures = rates(scored)
        print(f"{name:36} {figures.documents:>10} {figures.with_kept:>10.4f} {figures.without_shown:>14.4f}"
              f"   ({figures.with_found}/{figures.with_total}, {figures.without_found}/{figures.without_total})")
    reasons = Counter(item.document.rejected for item in items if item.document.rejected)
    print("no document:", dict(reasons) or "none")
    lost = [(item.document.page.url, item.bare.with_found - item.document.with_found)
            for item in items if item.document.with_found < item.bare.with_found]
    print(f"pages where bare trafilatura keeps more with-snippets: {len(lost)}")
    for url, missing in lost:
        print(f"  -{missing} {url}")


if __name__ == "__main__":
    main()
