"""``python -m bench.child ARGS``: run the ``newswatch`` CLI with ARGS and report what it cost.

On exit it writes JSON to ``$BENCH_CHILD_REPORT``: peak RSS (``VmHWM`` of this process, KiB), CPU
seconds (user + system, with its ended child processes': an extraction pool's workers), and the peak PSS
of this process with its child processes and the most processes seen (:class:`bench.tree.TreeMemory`).
With ``$BENCH_CHILD_PROFILE`` set, the run is sampled by :class:`bench.sampler.Sampler` and the profile is
written there.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

from bench.sampler import Sampler
from bench.tree import TreeMemory


def peak_rss_kib() -> int:
    """This process's peak RSS: ``VmHWM``. Not ``ru_maxrss``: Linux keeps it across ``exec``, so a child
    started by a big parent (the bench process holds the whole site) reports the parent's size."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report(path: str, tree: TreeMemory) -> None:
    usage, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {"max_rss_kib": peak_rss_kib(), "tree_pss_kib": tree.peak_kib, "processes": tree.most_processes,
               "cpu_seconds": usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime}
    Path(path).write_text(json.dumps(figures), encoding="utf-8")


def main() -> None:
    sampler = Sampler() if os.environ.get("BENCH_CHILD_PROFILE") else None
    tree = TreeMemory().start()
    if sampler is not None:
        sampler.start()
    sys.argv[0] = "newswatch"
    try:
        from monitor.cli.main import main as newswatch

        newswatch()
    finally:
        if sampler is not None:
            sampler.dump(Path(os.environ["BENCH_CHILD_PROFILE"]), sampler.stop())
        tree.stop()
        if os.environ.get("BENCH_CHILD_REPORT"):
            _report(os.environ["BENCH_CHILD_REPORT"], tree)


if __name__ == "__main__":
    main()
