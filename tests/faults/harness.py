"""Running ``newswatch`` in a child process with a fault injected (test-only: the patch is applied in the
child before the CLI starts, production code has no hooks)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

KILL_ON_CALL = """
import os, signal
import {module} as _target
_real = _target.{owner}.{method}
_calls = [0]
def _faulty(self, *args, **kwargs):
    _calls[0] += 1
    if _calls[0] == {nth}:
        {action}
    return _real(self, *args, **kwargs)
_target.{owner}.{method} = _faulty
"""


def kill_on_call(module: str, owner: str, method: str, nth: int, action: str = "os.kill(os.getpid(), signal.SIGKILL)"
                 ) -> str:
    """A patch that runs ``action`` (default: SIGKILL itself) on the nth call of ``owner.method``."""
    return KILL_ON_CALL.format(module=module, owner=owner, method=method, nth=nth, action=action)


def newswatch_with(patch: str, config: Path, *args: str, env: dict[str, str] | None = None,
                   timeout: float = 240) -> subprocess.CompletedProcess[str]:
    entry = "\nimport sys\nsys.argv[0] = 'newswatch'\nfrom newswatch.monitor.cli.main import main\nmain()\n"
    code = textwrap.dedent(patch) + entry
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if "NEWSWATCH_DATABASE_URL" not in (env or {}):
        environ.pop("NEWSWATCH_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-W", "error", "-c", code, "--config", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=config.parent, env=environ, check=False)
