"""A small wall-clock sampling profiler for every thread of a process (py-spy is not installed).

cProfile sees only the thread it runs in, and newswatch extracts in a worker thread while the reactor
runs in the main one. This sampler reads ``sys._current_frames()`` every ``interval`` seconds and counts,
per thread (named as ``threading`` names it, worker numbers dropped), how often the thread was *busy*
(its innermost Python frame is not a known wait: a selector poll, a lock or queue wait) and which
functions were on its stack: *self* (innermost frame) and *cumulative* (anywhere on the stack).
Samples are taken when the sampler gets the GIL, so a long C call that holds it is seen at its end;
figures are shares of wall time, not CPU time.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

IDLE = {  # innermost Python frames of a thread that waits
    ("selectors.py", "select"), ("threading.py", "wait"), ("thread.py", "_worker"), ("queue.py", "get"),
    ("threading.py", "_wait_for_tstate_lock"), ("epollreactor.py", "doPoll"), ("threading.py", "join"),
    ("base_events.py", "run_forever"), ("socketserver.py", "serve_forever"),
}  # fmt: skip
_PREFIXES = ("site-packages/", "lib/python3.11/", "lib/python3.12/", "lib/python3.13/")
_REPO = str(Path(__file__).resolve().parents[1]) + "/"  # the checkout, whatever its folder is called
_WORKER = re.compile(r"[-_]\d+(?:_\d+)?$")


def label(frame: FrameType) -> tuple[str, str]:
    """``(short file path, function)`` of a frame: path inside site-packages, the stdlib or the repo."""
    path = frame.f_code.co_filename
    for prefix in _PREFIXES:
        if prefix in path:
            path = path.split(prefix, 1)[1]
            break
    else:
        path = path.removeprefix(_REPO)
    return path, frame.f_code.co_name


class Sampler:
    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.ticks = 0
        self.samples: Counter[str] = Counter()
        self.busy: Counter[str] = Counter()
        self.own: Counter[tuple[str, str]] = Counter()
        self.cumulative: Counter[tuple[str, str]] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._started = 0.0

    def start(self) -> None:
        self._started = time.perf_counter()
        self._thread.start()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return time.perf_counter() - self._started

    def _run(self) -> None:
        own = threading.get_ident()
        while not self._stop.wait(self.interval):
            names = {t.ident: _WORKER.sub("", t.name) for t in threading.enumerate()}
            self.ticks += 1
            for ident, frame in sys._current_frames().items():
                name = names.get(ident, "?")
                if ident != own and not name.startswith("bench-"):  # the bench's own threads (bench.tree)
                    self._take(name, frame)

    def _take(self, thread: str, frame: FrameType) -> None:
        self.samples[thread] += 1
        path, name = label(frame)
        if (path.rsplit("/", 1)[-1], name) in IDLE:
            return
        self.busy[thread] += 1
        self.own[(thread, f"{path}:{name}")] += 1
        seen: set[str] = set()
        current: FrameType | None = frame
        while current is not None:
            path, name = label(current)
            seen.add(f"{path}:{name}")
            current = current.f_back
        for function in seen:
            self.cumulative[(thread, function)] += 1

    def report(self, seconds: float, top: int = 40) -> dict[str, Any]:
        return {
            "interval": self.interval, "seconds": seconds, "ticks": self.ticks,
            "threads": {name: {"samples": n, "busy": self.busy[name]} for name, n in self.samples.most_common()},
            "self": [[t, f, n] for (t, f), n in self.own.most_common(top)],
            "cumulative": [[t, f, n] for (t, f), n in self.cumulative.most_common(top * 3)],
        }

    def dump(self, path: Path, seconds: float) -> None:
        path.write_text(json.dumps(self.report(seconds), ensure_ascii=False, indent=1), encoding="utf-8")
