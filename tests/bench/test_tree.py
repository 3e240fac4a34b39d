"""bench.tree: the peak PSS of a process with its child processes (what an extraction pool costs)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.tree import TreeMemory, descendants, pss_kib

HOLD = "import sys, time; block = bytearray(40 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096]); " \
       "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(30)"


def test_the_tree_counts_a_child_process_memory() -> None:
    alone = TreeMemory()
    alone.sample()
    assert (alone.peak_kib, alone.most_processes) == (0, 1)  # no child process: nothing sampled
    own = pss_kib(os.getpid())
    with subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            assert child.pid in descendants(os.getpid())
            assert pss_kib(child.pid) > 40 * 1024
            tree = TreeMemory()
            tree.sample()
        finally:
            child.kill()
    assert tree.most_processes >= 2
    assert tree.peak_kib - own > 35 * 1024  # the child's 40 MiB block, give or take the rest
