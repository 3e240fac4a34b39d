"""The daemon as a user runs it: a process on a replayed site with fast schedules.

Checks: scheduled crawls ran, crawls of one source never overlap, the source interval backs off when
nothing is new, /healthz and /metrics answer (parsed by prometheus_client's parsers, in both text
formats; other methods 405), the daemon's own INFO lines survive every crawl, SIGTERM exits 0 with the
outbox flushed.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import Metric
from prometheus_client import parser as text_parser
from prometheus_client.openmetrics import parser as openmetrics_parser
from sqlalchemy import select

from newswatch.storage.engine import make_engine, session_factory
from newswatch.storage.models import AlertOutbox, CrawlRun, Source
from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, write_workspace
from tests.crawler.test_run import migrate
from tests.monitor.daemon_process import running_daemon, stop_daemon
from tests.monitor.receiver import Receiver, free_port

FAST = """feeds_minutes = 0.02
feeds_min_minutes = 0.01
feeds_max_minutes = 0.1
recheck_minutes = 0.05
alerts_seconds = 0.5
jitter_seconds = 0.0
restart_spread_minutes = 0.0
[daemon]
metrics_port = {metrics}
shutdown_seconds = 15.0
[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "http://127.0.0.1:{hook}/in"
secret_env = "HOOK_SECRET"
"""


def get(url: str, accept: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def status_of(url: str, method: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method != "DELETE"
                                                           else None), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def samples(families: Iterable[Metric]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in families for s in family.samples}


def check_metrics(base: str) -> None:
    """/metrics in both formats, parsed by prometheus_client; HELP for every family; 405 for other methods."""
    status, text = get(f"{base}/metrics")
    assert status == 200
    families = list(text_parser.text_string_to_metric_families(text))
    assert all(f.documentation for f in families if f.name.startswith("newswatch_")), "every metric has HELP"
    found = samples(families)
    assert found[("newswatch_articles_total", (("outcome", "new"),))] == 5
    assert found[("newswatch_crawls_total", (("outcome", "ok"),))] >= 6
    assert ("newswatch_outbox_events", (("state", "pending"),)) in found
    assert found[("newswatch_source_last_success_timestamp_seconds", (("source", "测试新闻"),))] > 0
    assert any(name == "process_resident_memory_bytes" for name, _labels in found), "the process collector"
    status, open_text = get(f"{base}/metrics", accept="application/openmetrics-text; version=1.0.0")
    assert status == 200 and open_text.rstrip().endswith("# EOF")
    open_found = samples(openmetrics_parser.text_string_to_metric_families(open_text))
    assert open_found[("newswatch_articles_total", (("outcome", "new"),))] == 5
    assert {status_of(f"{base}/metrics", m) for m in ("POST", "PUT", "DELETE")} == {405}


def test_daemon_schedules_backs_off_serves_metrics_and_stops_cleanly(tmp_path: Path) -> None:
    metrics, hook = free_port(), free_port()
    config = write_workspace(tmp_path, f"http://127.0.0.1:{FIXED_PORT}")
    config.write_text(config.read_text(encoding="utf-8") + FAST.format(metrics=metrics, hook=hook), encoding="utf-8")
    migrate(config)
    receiver = Receiver(["200"]).start(hook)
    try:
        with running_daemon(config, ["--replay", str(CASSETTE)], tmp_path, env={"HOOK_SECRET": "k"}) as daemon:
            deadline = time.monotonic() + 90
            health = None
            while time.monotonic() < deadline:
                time.sleep(0.5)
                try:
                    health = get(f"http://127.0.0.1:{metrics}/healthz")
                except OSError:
                    continue
                if json.loads(health[1])["crawls"] >= 6:
                    break
            assert health is not None and health[0] == 200, "no /healthz"
            check_metrics(f"http://127.0.0.1:{metrics}")
            err = stop_daemon(daemon)
    finally:
        receiver.stop()
    assert daemon.returncode == 0, err[-3000:]
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'newswatch.db'}")
    with session_factory(engine)() as session:
        runs = session.execute(select(CrawlRun).where(CrawlRun.kind == "source:测试新闻")
                               .order_by(CrawlRun.started_at)).scalars().all()
        interval = session.execute(select(Source.interval_seconds)).scalar_one()
        all_runs = session.execute(select(CrawlRun)).scalars().all()
        states = set(session.execute(select(AlertOutbox.state)).scalars())
    engine.dispose()
    assert len(runs) >= 3, "the source job ran on its schedule"
    for before, after in itertools.pairwise(runs):
        assert before.finished_at is not None and after.started_at >= before.finished_at, "no overlap"
    assert interval > round(0.02 * 60), "the interval backed off after crawls with nothing new"
    assert states == {"sent"}, "SIGTERM flushed the outbox"
    assert len(receiver.unique) == 5 and len(receiver.delivered) == 5
    crawled = [line for line in err.splitlines() if "[newswatch.daemon] " in line and " crawl: " in line]
    assert len(crawled) >= 3 and len(crawled) == len(all_runs), "one line per crawl, after every crawl"
    assert all(("] INFO: " in line) == (" crawl: ok, " in line) for line in crawled), crawled  # else WARNING
