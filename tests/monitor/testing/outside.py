"""An outside project for plugin tests: a folder with its own test modules, run by a separate pytest.

The child pytest starts in the project folder with none of this repository on its path (no
``PYTHONPATH``, no newswatch config in its environment), so it sees newswatch only as an installed
package and gets the fixtures only through the plugin's entry point, as a user's project does.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

PYTEST_INI = "[pytest]\nfilterwarnings =\n    error\n"


def write_project(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    """``folder`` with a pytest.ini (warnings are errors) and the given files (relative path -> content)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def run_pytest(python: str | Path, project: Path, *args: str, env: Mapping[str, str] | None = None,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if k != "PYTHONPATH" and not k.startswith(("NEWSWATCH_", "PYTEST_"))}
    environ.update(env or {})
    return subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=project, env=environ, capture_output=True, text=True, timeout=timeout, check=False)
