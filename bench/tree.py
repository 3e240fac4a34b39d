"""The memory of a process and its child processes (an extraction pool's workers), sampled.

``VmHWM`` is one process's peak; a pool's workers are other processes, and their RSS counts the pages they
share with the parent (fork) again. PSS (``/proc/PID/smaps_rollup``) splits shared pages between the
processes that map them, so the sum over the tree is its real footprint. :class:`TreeMemory` samples that
sum every ``interval`` seconds in a daemon thread, while there are child processes (alone, the process's own
``VmHWM`` says it, at no cost), and keeps the peak and the most processes it saw.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from ``/proc/PID/task/TID/children``)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text(encoding="ascii").split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii").splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory:
    """Peak PSS of this process and its descendants, sampled in a daemon thread."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_kib = 0
        self.most_processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-tree-memory", daemon=True)

    def start(self) -> TreeMemory:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        me = os.getpid()
        tree = [me, *descendants(me)]
        if len(tree) == 1:
            return
        self.most_processes = max(self.most_processes, len(tree))
        self.peak_kib = max(self.peak_kib, sum(pss_kib(pid) for pid in tree))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()
