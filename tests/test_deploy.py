"""The deployment files, checked offline (no Docker engine, no systemd, no cron here), and the offline
demo (``scripts/demo.sh``) run end to end."""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.monitor.receiver import free_port

DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent  # the virtualenv's bin/ (not resolved: that would leave the venv)


# --- Dockerfile -----------------------------------------------------------------------------------------

def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined, out = "", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not joined and (not line.strip() or line.lstrip().startswith("#")):
            continue
        joined += line.rstrip()
        if joined.endswith("\\"):
            joined = joined[:-1] + " "
            continue
        keyword, _, rest = joined.strip().partition(" ")
        out.append((keyword.upper(), rest.strip()))
        joined = ""
    return out


def final_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    start = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[start:]


def test_dockerfile_runs_newswatch_as_a_non_root_user_with_a_volume_and_a_healthcheck() -> None:
    dockerfile = DEPLOY / "Dockerfile"
    stage = final_stage(dockerfile)
    keywords = [keyword for keyword, _ in stage]
    args = dict(stage)  # the last of each instruction wins, as in Docker
    assert re.fullmatch(r"\$\{PYTHON_IMAGE\}|python:3\.11-slim", args["FROM"])
    assert 'ARG PYTHON_IMAGE=python:3.11-slim' in dockerfile.read_text(encoding="utf-8")
    user = args["USER"].split(":")[0]
    assert user not in ("root", "0"), "the image must not run as root"
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    assert json.loads(args["VOLUME"]) == ["/data"]
    assert "NEWSWATCH_CONFIG=/data/newswatch.toml" in args["ENV"]
    assert json.loads(args["ENTRYPOINT"]) == ["newswatch"]
    assert json.loads(args["CMD"]) == ["daemon"]
    assert "127.0.0.1:8089/healthz" in args["HEALTHCHECK"]
    # pip is upgraded before the project is installed (the pip of Python 3.11 breaks trafilatura)
    runs = [rest for keyword, rest in instructions(dockerfile) if keyword == "RUN"]
    upgrade = next(i for i, run in enumerate(runs) if "pip install --upgrade pip" in run)
    install = next(i for i, run in enumerate(runs) if re.search(r"pip install (-r |\.)", run))
    assert upgrade < install


def healthcheck_command() -> list[str]:
    _options, _, command = dict(final_stage(DEPLOY / "Dockerfile"))["HEALTHCHECK"].partition("CMD ")
    return list(json.loads(command))


@pytest.fixture
def health_server() -> Iterator[tuple[int, list[int]]]:
    """An HTTP server answering /healthz with the status at the head of the list."""
    statuses = [200]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(statuses[0] if self.path == "/healthz" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), statuses
    finally:
        server.shutdown()
        server.server_close()


def test_the_healthcheck_uses_only_the_stdlib_and_fails_unless_healthz_says_200(
        health_server: tuple[int, list[int]]) -> None:
    port, statuses = health_server
    program, *args = healthcheck_command()
    assert program == "python"

    def check(on_port: int) -> int:
        command = [sys.executable, *(a.replace("127.0.0.1:8089", f"127.0.0.1:{on_port}") for a in args)]
        # the image has no proxy settings; a proxy here must not matter either
        env = {**os.environ, "http_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
        return subprocess.run(command, capture_output=True, timeout=30, env=env, check=False).returncode

    assert check(port) == 0
    statuses[0] = 503
    assert check(port) == 1
    assert check(free_port()) == 1  # nothing listening


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a folder covers its content."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            ignored = not negated
    return ignored


def test_dockerignore_sends_what_the_dockerfile_copies_and_nothing_secret() -> None:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    copied = [rest.split()[-2] for keyword, rest in instructions(DEPLOY / "Dockerfile")
              if keyword == "COPY" and "--from=" not in rest]
    sources = [source for step in copied for source in (step, f"{step}/x.py")]
    sources += ["monitor/cli/main.py", "storage/migrations/script.py.mako"]
    for source in copied:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
    assert [s for s in sources if dockerignored(s, patterns)] == []
    for private in (".git/config", ".venv/bin/python", "data/newswatch.db", "deploy/newswatch.env",
                    "tests/cassettes/moments_1.yaml", "newswatch.toml", "monitor/__pycache__/cli.cpython-311.pyc",
                    ".pytest_cache/v"):
        assert dockerignored(private, patterns), f"{private} would be sent to the Docker build"


# --- compose.yaml ---------------------------------------------------------------------------------------

def test_compose_runs_the_app_after_postgres_is_healthy_and_the_migration_is_done() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    db = services["db"]
    assert db["image"].split(":")[0] == "postgres" and db["image"].split(":")[1].startswith("16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    url = "postgresql+psycopg://newswatch:newswatch@db:5432/newswatch"
    for name in ("app", "migrate"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["environment"]["NEWSWATCH_DATABASE_URL"] == url
        assert service["env_file"] == "newswatch.env"
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert any(volume.endswith(":/data") for volume in service["volumes"])
    assert services["migrate"]["command"] == ["db", "upgrade"]
    app = services["app"]
    assert app["command"] == ["daemon"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert set(compose["volumes"]) >= {"postgres-data", "newswatch-data"}


def test_compose_cluster_profile_has_redis_one_scheduler_and_scalable_workers() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))["services"]
    assert services["redis"]["image"].split(":")[0] == "redis" and services["redis"]["profiles"] == ["cluster"]
    assert services["scheduler"]["command"] == ["daemon", "--role", "scheduler"]
    worker = services["worker"]
    assert worker["command"] == ["worker"] and "container_name" not in worker, "scalable: no fixed name"
    for name in ("scheduler", "worker"):
        service = services[name]
        assert service["profiles"] == ["cluster"]
        assert service["environment"]["NEWSWATCH_QUEUE__REDIS_URL"] == "redis://redis:6379/0"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "profiles" not in services["app"], "the single-process daemon stays the default"


def test_the_env_example_names_the_secrets_without_values() -> None:
    lines = [line for line in (DEPLOY / "newswatch.env.example").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert dict(line.split("=", 1) for line in lines) == {"NEWSWATCH_WEBHOOK_SECRET": "", "NEWSWATCH_SMTP_PASSWORD": ""}


# --- systemd --------------------------------------------------------------------------------------------

def test_systemd_unit_runs_the_daemon_as_newswatch_and_restarts_on_failure() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read(DEPLOY / "newswatch.service", encoding="utf-8")
    service = unit["Service"]
    assert service["User"] == "newswatch"
    assert service["Restart"] == "on-failure"
    assert service["WorkingDirectory"] == "/var/lib/newswatch"
    assert service["EnvironmentFile"] == "-/etc/newswatch/newswatch.env"
    assert shlex.split(service["ExecStart"])[1:] == ["daemon"]
    assert shlex.split(service["ExecStartPre"])[1:] == ["db", "upgrade"]
    assert service["ExecStart"].startswith("/")  # systemd wants absolute paths
    assert service["KillSignal"] == "SIGTERM" and service["TimeoutStopSec"] == "60"
    assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == "/var/lib/newswatch"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


# --- crontab --------------------------------------------------------------------------------------------

def cron_entries(text: str) -> list[str]:
    """The schedule lines of a crontab: not comments, not VARIABLE=value settings."""
    return [line for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and not re.match(r"^[A-Za-z_]\w*=", line)]


def test_crontab_runs_newswatch_run_every_30_minutes_with_five_time_fields() -> None:
    [entry] = cron_entries((DEPLOY / "crontab").read_text(encoding="utf-8"))
    fields = entry.split(None, 5)
    assert len(fields) == 6
    minute, hour, day, month, weekday, command = fields
    field = re.compile(r"(\*|\d+(-\d+)?)(/\d+)?(,(\d+(-\d+)?)(/\d+)?)*")
    assert all(field.fullmatch(f) for f in (minute, hour, day, month, weekday)), fields[:5]
    assert (minute, hour) == ("*/30", "*")
    assert re.search(r"\bnewswatch run\b", command) and "--quiet" in command
    assert "cd /var/lib/newswatch" in command and ">>" in command and "2>&1" in command
    assert "%" not in command  # cron would turn it into a newline
    subprocess.run(["sh", "-n", "-c", command], check=True, timeout=30)


def test_the_deployment_doc_shows_the_crontab_line_as_it_is_in_deploy() -> None:
    [entry] = cron_entries((DEPLOY / "crontab").read_text(encoding="utf-8"))
    doc = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert entry.split(None, 5)[5] in doc and "make demo" in doc


# --- the offline demo -----------------------------------------------------------------------------------

@pytest.mark.skipif(not (BIN / "newswatch").exists(), reason="needs the newswatch console script beside python")
def test_the_offline_demo_runs_end_to_end(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    env = {key: value for key, value in os.environ.items()
           if key not in ("NEWSWATCH_DATABASE_URL", "NEWSWATCH_CONFIG", "NEWSWATCH_WEBHOOK_SECRET")}
    env.update(DEMO_DIR=str(demo_dir), DEMO_BIN=str(BIN))
    result = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], capture_output=True, text=True,
                            timeout=240, cwd=tmp_path, env=env, check=False)
    output = result.stdout
    assert result.returncode == 0, output[-4000:] + result.stderr[-4000:]
    # both runs, a signed article.changed webhook that the receiver verified, and no rejected request
    assert re.search(r"^run \d+: ok", output, re.M)
    assert re.search(r"^webhook \d+: signature verified, article\.changed, change class addition", output, re.M)
    assert re.search(r"^webhook \d+: signature verified, article\.changed, change class title", output, re.M)
    assert "signature INVALID" not in output
    assert re.search(r"receiver stopped: (\d+) requests, \1 signature-verified, \1 distinct events, 0 rejected",
                     output)
    # a change document and the history of the changed article
    assert "change_class: addition" in output and "+ 更正：本文此前版本将会晤地点误写为洛杉矶" in output
    assert "addition (body)" in output
    changes = sorted((demo_dir / "data" / "corpus" / "changes").glob("*.v002.txt"))
    assert len(changes) == 2
    # the receiver was stopped: no process is left that was started for this scratch folder
    leftovers = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(demo_dir).encode() in cmdline.read_bytes():
                leftovers.append(cmdline.parent.name)
        except OSError:
            continue
    assert leftovers == []
