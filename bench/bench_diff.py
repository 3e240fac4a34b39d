"""Diff cost on long Chinese articles: ``python -m bench.bench_diff`` prints a table (not a test).

Texts are real: the bodies of the seed corpus and of the zh_news fixture pages, cut to 50,000
characters. Cases: identical, 1 % of sentences edited, a correction appended, a full rewrite (a
different 50,000-character text), the same sentences shuffled.
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from newswatch.crawler.encoding import decode_body
from newswatch.crawler.extract.article import Article, extract
from newswatch.monitor.changes.detect import DetectOptions, Snapshot, detect
from newswatch.monitor.changes.diff import sentences
from newswatch.monitor.changes.normalize import forget_bodies
from newswatch.monitor.changes.render import to_html, to_json, to_text
from newswatch.storage.corpus.folder import load_corpus

ROOT = Path(__file__).resolve().parent.parent
SIZE = 50_000


def corpus_text() -> str:
    parts = [loaded.document.body for loaded in load_corpus(ROOT / "seeds").documents]
    zh = ROOT / "tests" / "fixtures" / "zh_news"
    for page in json.loads((zh / "index.json").read_text(encoding="utf-8")):
        if page["page_type"] == "article":
            result = extract(decode_body(gzip.decompress((zh / page["file"]).read_bytes())), "https://x.test/a")
            if isinstance(result, Article):
                parts.append(result.body_markdown)
    return "\n\n".join(parts)


def cases(text: str) -> dict[str, tuple[str, str]]:
    base = text[:SIZE]
    other = text[-SIZE:]
    rng = random.Random(7)
    lines = base.split("\n")
    edited = [line.replace("的", "之", 1) if rng.random() < 0.01 else line for line in lines]
    shuffled = sentences(base)
    rng.shuffle(shuffled)
    return {
        "identical": (base, base),
        "1% of lines edited": (base, "\n".join(edited)),
        "correction appended": (base, base + "\n\n更正：本文第三段中的数据有误，现已更正。"),
        "full rewrite": (base, other),
        "sentences shuffled": (base, "\n".join(shuffled)),
    }


def timed(func: Callable[[], object], repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    text = corpus_text()
    print(f"{'case':<22} {'chars':>7} {'detect+diff':>12} {'render x3':>10} {'outcome':>10} {'class':>10}")
    for name, (old, new) in cases(text).items():
        before, after = Snapshot("标题", old), Snapshot("标题", new)
        found = detect(before, after, options=DetectOptions(max_shrink=0.99))
        options = DetectOptions(max_shrink=0.99)
        seconds = timed(lambda b=before, a=after, o=options: (forget_bodies(), detect(b, a, options=o)))
        diff = found.diff
        render = timed(lambda d=diff: (to_text(d), to_json(d), to_html(d))) if diff else 0.0
        print(f"{name:<22} {len(new):>7} {seconds * 1000:>10.1f}ms {render * 1000:>8.1f}ms "
              f"{found.outcome:>10} {found.change_class or '-':>10}")


if __name__ == "__main__":
    main()
