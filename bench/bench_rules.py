"""The cost of per-source noise rules and of the source tools: ``python -m bench.bench_rules`` prints a table
(not a test).

Pages are real: the 52 article pages of tests/fixtures/zh_news (5 KB to 590 KB). Figures: extraction
without rules, with an ``exclude`` list (generic page furniture), with an ``include`` (``body``, so
nothing is lost and the copy is the whole page); ``ignore`` on each extracted body (five patterns);
reading the real OPML export (tests/fixtures/opml) and re-reading its export. CPU time, median of 3 runs.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.crawler.extract.selectors import Selection
from newswatch.monitor.changes.ignore import compile_patterns
from newswatch.monitor.sources.opml import parse_opml, render_opml
from newswatch.monitor.sources.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
ZH = ROOT / "tests" / "fixtures" / "zh_news"
URL = "https://news.example.cn/2025/02/11/a.html"
EXCLUDE = Selection.of(exclude=["nav", "footer", "header", "aside", "script", "style", ".ad", "#comments",
                                "xpath://div[contains(@class, 'share')]"])
INCLUDE = Selection.of(include=["body"])
IGNORE = compile_patterns([r"阅读\s*[\d,]+", r"责任编辑[:：]\s*\S+", r"^\s*分享到.*$", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",
                           r"（记者[^）]*）"])


def pages() -> list[tuple[str, str]]:
    found = []
    for page in json.loads((ZH / "index.json").read_text(encoding="utf-8")):
        if page["page_type"] == "article":
            found.append((page["id"], decode_body(gzip.decompress((ZH / page["file"]).read_bytes()))))
    return found


def timed(function: Callable[[], object], repeat: int = 3) -> float:
    """The median CPU time of ``function`` in milliseconds (the load of a shared machine moves wall time)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    found = pages()
    rows: dict[str, list[float]] = {"extract": [], "extract + exclude (9 selectors)": [],
                                    "extract + include body": [], "ignore (5 patterns) on the body": []}
    for _, html in found:
        rows["extract"].append(timed(lambda html=html: extract(html, URL)))
        rows["extract + exclude (9 selectors)"].append(timed(lambda html=html: extract(html, URL, EXCLUDE)))
        rows["extract + include body"].append(timed(lambda html=html: extract(html, URL, INCLUDE)))
        result = extract(html, URL)
        if isinstance(result, Article) and IGNORE is not None:
            body = result.body_markdown
            rows["ignore (5 patterns) on the body"].append(timed(lambda body=body: IGNORE.strip(body), 5))
    print(f"{len(found)} real article pages (tests/fixtures/zh_news); milliseconds per page")
    print(f"{'step':<34} {'median':>8} {'p90':>8} {'max':>8}")
    for name, values in rows.items():
        values.sort()
        print(f"{name:<34} {statistics.median(values):8.2f} {values[int(len(values) * 0.9)]:8.2f} {values[-1]:8.2f}")
    data = (ROOT / "tests" / "fixtures" / "opml" / "news_explorer_export.opml").read_bytes()
    parsed = parse_opml(data)
    exported = render_opml(Registry(parsed.sources), "bench", datetime.now(UTC))
    read = timed(lambda: parse_opml(data))
    print(f"OPML: read {len(data):,} bytes ({len(parsed.sources)} sources) in {read:.2f} ms; "
          f"export {timed(lambda: render_opml(Registry(parsed.sources), 'b', datetime.now(UTC))):.2f} ms; "
          f"read back {timed(lambda: parse_opml(exported)):.2f} ms")


if __name__ == "__main__":
    main()
