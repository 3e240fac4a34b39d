"""The memory and CPU time of a process and its descendants (an extraction pool's forkserver and workers).

``VmHWM`` is one process's peak; a pool's workers are other processes, and their RSS counts the pages they
share with the forkserver again. PSS (``/proc/PID/smaps_rollup``) splits shared pages between the
processes that map them, so the sum over the tree is its real footprint. :class:`ProcessTree` samples that
sum every ``interval`` seconds in a daemon thread, while there are descendants (alone, the process's own
``VmHWM`` says it, at no cost), and keeps the peak, this process's share of it and the most processes seen.

CPU time is read once, at the end (:meth:`ProcessTree.cpu`): ``RUSAGE_CHILDREN`` counts only the children
this process waited for, and the pool's workers are the forkserver's children, which outlives the crawl.
So the tree's CPU is this process's own, its waited-for children's, and for every live descendant (a
zombie too) its own CPU and its waited-for children's (``/proc/PID/stat`` fields 14–17): a worker the
forkserver reaped is in the forkserver's, a live one is read itself, none is counted twice.
"""

from __future__ import annotations

import os
import resource
import threading
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")  # /proc/PID/stat counts CPU time in clock ticks


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


def cpu_seconds(pid: int) -> float:
    """``pid``'s CPU time (user + system) with that of the children it waited for; 0 when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces; field 3 first
    return sum(int(tick) for tick in fields[11:15]) / TICK  # utime, stime, cutime, cstime


@dataclass(frozen=True)
class TreeCpu:
    main: float  # this process (every thread)
    rest: float  # its descendants: the forkserver with the workers it reaped, live workers, the tracker

    @property
    def total(self) -> float:
        return self.main + self.rest


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class ProcessTree:
    """Peak PSS of this process and its descendants, sampled in a daemon thread; their CPU time at the end."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_kib = 0
        self.main_at_peak_kib = 0  # this process's PSS in the sample of the peak
        self.most_processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-tree", daemon=True)

    def start(self) -> ProcessTree:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        me = os.getpid()
        others = descendants(me)
        if not others:
            return
        self.most_processes = max(self.most_processes, 1 + len(others))
        main = pss_kib(me)
        total = main + sum(pss_kib(pid) for pid in others)
        if total > self.peak_kib:
            self.peak_kib, self.main_at_peak_kib = total, main

    def cpu(self) -> TreeCpu:
        """CPU seconds of this process, and of its descendants: those it waited for and the live ones."""
        waited = resource.getrusage(resource.RUSAGE_CHILDREN)
        return TreeCpu(own_cpu(), waited.ru_utime + waited.ru_stime
                       + sum(cpu_seconds(pid) for pid in descendants(os.getpid())))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()
