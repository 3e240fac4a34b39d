"""The peer in the bench: urlwatch, run on the same loopback site in the same bench run.

urlwatch is not a project dependency: it lives in a bench-only virtual environment, ``bench/.peer-venv``
(ignored by git), created on first use with :data:`REQUIREMENTS` (and re-created when they change). Each
run goes through :mod:`bench.peer_child` under that environment's Python, which reports urlwatch's peak
RSS (``VmHWM``) and CPU time as :mod:`bench.child` does for newswatch. One job per article page, each with
urlwatch's ``html2text`` filter; its job list, configuration and cache are in a scratch folder (``HOME``
and the XDG folders point there too, so nothing of the user's urlwatch is read or written).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.workspace import ChildRun

HERE = Path(__file__).resolve().parent
VENV = HERE / ".peer-venv"
REQUIREMENTS = ("urlwatch==2.29", "html2text==2025.4.15")  # urlwatch 2.29: the newest on PyPI (2026-12)
STAMP = ".bench-requirements"
_SUMMARY = re.compile(r"^\d+\. (NEW|CHANGED|UNCHANGED|ERROR): ", re.M)
_PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class PeerUnavailable(RuntimeError):
    """The peer's environment could not be made (no registry, a failed install) or its run failed."""


@dataclass(frozen=True)
class PeerRun:
    """One urlwatch run: what the child measured and the summary lines its report printed, by verb."""

    run: ChildRun
    verbs: dict[str, int]  # "NEW", "CHANGED", "UNCHANGED", "ERROR" -> lines

    def count(self, verb: str) -> int:
        return self.verbs.get(verb, 0)


def _pip(python: Path, *args: str) -> None:
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        raise PeerUnavailable(f"pip install {' '.join(args)} failed: {done.stderr[-800:]}")


def peer_python(venv: Path = VENV) -> Path:
    """The peer environment's Python, creating the environment (or updating it) when needed."""
    python, stamp = venv / "bin" / "python", venv / STAMP
    wanted = "\n".join(REQUIREMENTS)
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True,
                          check=False)
    if made.returncode != 0:
        raise PeerUnavailable(f"python -m venv {venv} failed: {made.stderr[-800:]}")
    _pip(python, "--upgrade", "pip")
    _pip(python, *REQUIREMENTS)
    stamp.write_text(wanted, encoding="utf-8")
    return python


def peer_versions(python: Path) -> str:
    """``urlwatch X, html2text Y`` as installed in the peer environment."""
    code = ("from importlib.metadata import version; "
            "print(', '.join(f'{n} {version(n)}' for n in ('urlwatch', 'html2text')))")
    done = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "urlwatch ?"


def jobs_yaml(urls: list[str]) -> str:
    """urlwatch's job list: one job per URL, each with the ``html2text`` filter."""
    return "".join(f"---\nname: {json.dumps(f'page {i}')}\nurl: {json.dumps(url)}\nfilter:\n  - html2text\n"
                   for i, url in enumerate(urls))


def write_jobs(folder: Path, urls: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "urls.yaml").write_text(jobs_yaml(urls), encoding="utf-8")


def urlwatch(python: Path, folder: Path, timeout: float = 6 * 3600) -> PeerRun:
    """One ``urlwatch`` run on ``folder``'s job list, configuration and cache."""
    report = folder / f"peer-{uuid.uuid4().hex[:8]}.json"
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXIES and not k.startswith("PYTHON")}
    env.update(HOME=str(folder), XDG_CONFIG_HOME=str(folder / "config"), XDG_CACHE_HOME=str(folder / "cache"))
    files = ["--urls", "urls.yaml", "--config", "urlwatch.yaml", "--hooks", "hooks.py", "--cache", "cache.db"]
    command = [str(python), "-I", str(HERE / "peer_child.py"), str(report), *files]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=folder, env=env,
                          check=False)
    seconds = time.perf_counter() - start
    measured = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    report.unlink(missing_ok=True)
    if done.returncode != 0:
        raise PeerUnavailable(f"urlwatch exited {done.returncode}: {done.stderr[-800:]}")
    run = ChildRun(seconds, done.returncode, done.stdout, done.stderr, int(measured.get("max_rss_kib", 0)),
                   float(measured.get("cpu_seconds", 0.0)))
    verbs: dict[str, int] = {}
    for verb in _SUMMARY.findall(done.stdout):
        verbs[verb] = verbs.get(verb, 0) + 1
    return PeerRun(run, verbs)
