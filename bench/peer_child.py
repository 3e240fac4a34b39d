"""Run urlwatch's CLI (in the peer's own virtual environment) and report its peak RSS and CPU time.

``PEER_PYTHON -I bench/peer_child.py REPORT URLWATCH-ARGS...``: standard library and urlwatch only (this file
runs under the bench-only environment of :mod:`bench.peer`, not the project's). On exit it writes JSON to
REPORT: ``max_rss_kib`` (``VmHWM`` of this process) and ``cpu_seconds`` (user + system), the figures
:mod:`bench.child` gives for newswatch.
"""

import json
import resource
import sys
from pathlib import Path


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    report = sys.argv[1]
    sys.argv = ["urlwatch", *sys.argv[2:]]
    try:
        from urlwatch.cli import main as urlwatch

        urlwatch()
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        figures = {"max_rss_kib": peak_rss_kib(), "cpu_seconds": usage.ru_utime + usage.ru_stime}
        Path(report).write_text(json.dumps(figures), encoding="utf-8")


if __name__ == "__main__":
    main()
