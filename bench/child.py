"""``python -m bench.child ARGS``: run the ``newswatch`` CLI with ARGS and report what it cost.

On exit it writes JSON to ``$BENCH_CHILD_REPORT``: peak RSS (``VmHWM`` of this process, KiB); CPU seconds
(user + system) of the whole process tree and of this process alone (the rest is its descendants': an
extraction pool's forkserver and workers, whom this process never waits for); and the peak PSS of the
tree, this process's PSS at that peak, and the most processes seen (:class:`bench.tree.ProcessTree`);
the 1-minute load average at the end.
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
from bench.tree import ProcessTree


def peak_rss_kib() -> int:
    """This process's peak RSS: ``VmHWM``. Not ``ru_maxrss``: Linux keeps it across ``exec``, so a child
    started by a big parent (the bench process holds the whole site) reports the parent's size."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report(path: str, tree: ProcessTree) -> None:
    cpu = tree.cpu()
    figures = {"max_rss_kib": peak_rss_kib(), "tree_pss_kib": tree.peak_kib, "main_pss_kib": tree.main_at_peak_kib,
               "processes": tree.most_processes, "cpu_seconds": cpu.total, "main_cpu_seconds": cpu.main,
               "load": os.getloadavg()[0]}
    Path(path).write_text(json.dumps(figures), encoding="utf-8")


def main() -> None:
    sampler = Sampler() if os.environ.get("BENCH_CHILD_PROFILE") else None
    tree = ProcessTree().start()
    if sampler is not None:
        sampler.start()
    sys.argv[0] = "newswatch"
    try:
        from newswatch.monitor.cli.main import main as newswatch

        newswatch()
    finally:
        if sampler is not None:
            sampler.dump(Path(os.environ["BENCH_CHILD_PROFILE"]), sampler.stop())
        tree.stop()
        if os.environ.get("BENCH_CHILD_REPORT"):
            _report(os.environ["BENCH_CHILD_REPORT"], tree)


if __name__ == "__main__":
    main()
