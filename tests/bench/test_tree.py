"""bench.tree: the peak PSS and the CPU time of a process with its descendants (what an extraction pool costs)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.tree import ProcessTree, cpu_seconds, descendants, pss_kib
from tests.conftest import ROOT

HOLD = "import sys, time; block = bytearray(40 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096]); " \
       "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(30)"


# sampled in a process of its own: this one may already have children (a test run before this one on the
# same xdist worker can leave a multiprocessing forkserver behind)
ALONE = "from bench.tree import ProcessTree; t = ProcessTree(); t.sample(); print(t.peak_kib, t.most_processes)"


def test_the_tree_counts_a_child_process_memory() -> None:
    alone = subprocess.run([sys.executable, "-c", ALONE], capture_output=True, text=True, cwd=ROOT, check=True)
    assert alone.stdout.split() == ["0", "1"]  # no child process: nothing sampled
    own = pss_kib(os.getpid())
    with subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            assert child.pid in descendants(os.getpid())
            assert pss_kib(child.pid) > 40 * 1024
            tree = ProcessTree()
            tree.sample()
        finally:
            child.kill()
    assert tree.most_processes >= 2
    assert tree.peak_kib - own > 35 * 1024  # the child's 40 MiB block, give or take the rest


# a child that forks two grandchildren, each burning 0.3 s of CPU: one it waits for, one still alive (as the
# forkserver does with the pool's workers); the child itself burns nothing
BURN = "import time\nwhile time.process_time() < 0.3: pass\n"
FAMILY = f"""
import os, sys, time
def grandchild(stay):
    if os.fork() == 0:
        exec({BURN!r})
        if stay:  # it says when it is done burning
            sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(30)
        os._exit(0)
grandchild(False)
os.wait()
grandchild(True)
time.sleep(30)
"""


def test_the_tree_counts_the_cpu_of_descendants_it_never_waited_for() -> None:
    before = ProcessTree().cpu()
    with subprocess.Popen([sys.executable, "-c", FAMILY], stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            (live,) = [pid for pid in descendants(child.pid)]
            assert cpu_seconds(live) >= 0.29  # the live grandchild, read itself
            assert cpu_seconds(child.pid) >= 0.29  # the child, with the grandchild it waited for
            after = ProcessTree().cpu()
        finally:
            child.kill()
    assert after.rest - before.rest >= 0.58  # both grandchildren, neither waited for by this process
    assert after.main >= before.main
    assert after.total == after.main + after.rest
