"""``newswatch run`` (one cycle, for cron) and its output: progress, summary, --quiet, --json."""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click

from newswatch.crawler.redact import redact_text, redact_url
from newswatch.monitor.cli.columns import display_width, pad
from newswatch.monitor.cli.common import config_of, storage_of
from newswatch.monitor.cli.queue import queue_lines
from newswatch.monitor.config.model import Config
from newswatch.monitor.runs.heap import startup_without_gc
from newswatch.monitor.runs.run import RunSummary, run_once
from newswatch.monitor.runs.status import Status, digest_waits, status

DROPPED_EXAMPLES = 20  # the summary and the JSON list this many dropped URLs; count and kinds cover all


def _progress_mode(quiet: bool, as_json: bool) -> str:
    if quiet or as_json:
        return "off"
    return "tty" if sys.stderr.isatty() else "lines"


@click.command("run")
@click.option("--record", "record", type=click.Path(dir_okay=False, path_type=Path),
              help="Crawl for real and record every HTTP exchange into this vcrpy cassette.")
@click.option("--replay", "replay", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Crawl from this cassette with no network; a request not in it is an error.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object summarizing the run.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append the whole log to this file (from DEBUG: failed fetches with their tracebacks).")
@click.pass_context
def run(ctx: click.Context, record: Path | None, replay: Path | None, quiet: bool, as_json: bool,
        verbose: bool, log_file: Path | None) -> int:
    """One full cycle: import new seeds, discover, fetch what is due, extract, detect, write the corpus,
    deliver alerts, record the run. Exit status 0 ok, 1 finished with errors, 2 configuration error,
    75 another run is in progress.

    \b
    Examples:
      newswatch run
      newswatch run --quiet            # in a crontab: only the failed URLs, on stderr
      newswatch run --quiet --log-file /var/log/newswatch.log
      newswatch run --json | jq .figures
      newswatch run --record tests/cassettes/site.yaml
      newswatch run --replay tests/cassettes/site.yaml
    """
    if record and replay:
        raise click.UsageError("--record and --replay exclude each other")
    cassette, mode = (record, "record") if record else (replay, "replay") if replay else (None, None)
    if quiet and not verbose:
        logging.getLogger().addHandler(logging.NullHandler())  # before the crawl's handler: no last resort
    level = "INFO" if verbose else "OFF" if quiet else "WARNING"
    with startup_without_gc():  # until the crawl starts (monitor.runs.heap)
        summary = run_once(config_of(ctx), cassette, mode, level, progress=_progress_mode(quiet, as_json),
                           log_file=log_file)
    if as_json:
        click.echo(json.dumps(summary_json(summary), ensure_ascii=False))
    else:
        _print_summary(summary, quiet)
    return 0 if summary.outcome == "ok" else 1


def summary_json(summary: RunSummary) -> dict[str, object]:
    return {
        "run": summary.run_id, "outcome": summary.outcome, "figures": summary.figures,
        "errors": [{"kind": e.kind, "url": redact_url(e.url), "detail": redact_text(e.detail)}
                   for e in summary.errors],
        "rejected": [{"reason": reason, "url": url} for reason, url in summary.rejected],
        "dropped": {"count": len(summary.dropped), "kinds": dict(Counter(e.kind for e in summary.dropped)),
                    "examples": [{"kind": e.kind, "url": redact_url(e.url)}
                                 for e in summary.dropped[:DROPPED_EXAMPLES]]},
        "cassette_missing": summary.stats.get("cassette/missing", 0),
    }


def _print_summary(summary: RunSummary, quiet: bool) -> None:
    if not quiet:
        click.echo(f"run {summary.run_id}: {summary.outcome}")
        click.echo("  " + "  ".join(f"{name} {value}" for name, value in summary.figures.items()))
    for error in summary.errors:
        refused = error.kind.startswith("refused_")
        if quiet and refused:
            continue
        click.echo(f"  {'refused' if refused else 'error'} {error.kind}: {redact_url(error.url)} "
                   f"({redact_text(error.detail[:160])})", err=quiet)
    if not quiet:
        for reason, url in summary.rejected:
            click.echo(f"  rejected {reason}: {url}")
        _print_dropped(summary)
    missing = summary.stats.get("cassette/missing", 0)
    if missing:
        click.echo(f"  cassette: {missing} request(s) not in the cassette", err=True)


def _print_dropped(summary: RunSummary) -> None:
    """Failures of discovered URLs: the first few, then the count by kind (not errors: exit 0)."""
    for error in summary.dropped[:DROPPED_EXAMPLES]:
        click.echo(f"  dropped {error.kind}: {redact_url(error.url)} ({redact_text(error.detail[:160])})")
    if len(summary.dropped) > DROPPED_EXAMPLES:
        kinds = Counter(e.kind for e in summary.dropped)
        click.echo(f"  dropped {len(summary.dropped)} discovered URLs in all: "
                   + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))



@click.command("daemon")
@click.option("--replay", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Answer every request from this cassette, again each cycle (demos and tests).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines as text, or one JSON object per line.")
@click.option("--role", type=click.Choice(["all", "scheduler"]), default="all", show_default=True,
              help="all: plan and crawl in this process (no Redis). scheduler: plan only, and enqueue one job "
                   "per site for `newswatch worker` processes ([queue] redis_url).")
@click.pass_context
def daemon(ctx: click.Context, replay: Path | None, log_format: str, role: str) -> int:
    """Run continuously: scheduled crawls per source, article re-checks, alerts; /healthz, /metrics and
    the web view (unless web.in_daemon = false) on daemon.metrics_host:metrics_port.

    \b
    Examples:
      newswatch daemon                      # stop with SIGTERM or Ctrl-C; open http://127.0.0.1:8089/
      newswatch daemon --log-format json    # one JSON object per log line (journald, Loki)
      newswatch daemon --role scheduler     # beside `newswatch worker` processes
    """
    from newswatch.monitor.daemon.service import Daemon, run_daemon
    from newswatch.monitor.web.app import app_factory

    config = config_of(ctx)
    factory = app_factory(config) if config.web.in_daemon else None
    daemon_class: type[Daemon] = Daemon
    if role == "scheduler":
        from newswatch.monitor.queue.connection import check_queue
        from newswatch.monitor.queue.scheduler import SchedulerDaemon

        if replay:
            raise click.UsageError("--replay runs one process: not with --role scheduler")
        check_queue(config)
        daemon_class = SchedulerDaemon
    return run_daemon(config, str(replay) if replay else None, factory, log_format, daemon_class)


@click.command("status")
@click.option("--queue", is_flag=True, help="Show the job queue even when no [queue] key is set.")
@click.pass_context
def status_cmd(ctx: click.Context, queue: bool) -> None:
    """Sources with last and next check and health, articles, pending and dead alerts; with a [queue]
    configured, the queue's depth, jobs in progress and each worker's last heartbeat.

    \b
    Example:
      newswatch status
    """
    from newswatch.monitor.queue.beats import configured
    from newswatch.monitor.sources.registry import load_registry

    config = config_of(ctx)
    registered = [source.name for source in load_registry(config.path(config.storage.seeds_dir)).sources]
    with storage_of(ctx) as storage, storage.sessions() as session:
        found = status(session, config.alerts.quiet_days, registered=registered)
        waits = digest_waits(session)
    for line in status_lines(found):
        click.echo(line)
    for line in digest_lines(config, waits, datetime.now(UTC)):
        click.echo(line)
    if queue or configured(config):
        for line in queue_lines(config):
            click.echo(line)


def status_lines(found: Status) -> list[str]:
    """One line per source, names padded by display width (Chinese names keep the columns), then totals."""
    width = max((display_width(source.name) for source in found.sources), default=0)
    lines = []
    for source in found.sources:
        last = f"{source.last_checked_at:%Y-%m-%d %H:%M}" if source.last_checked_at else "-"
        nxt = f"{source.next_check_at:%Y-%m-%d %H:%M}" if source.next_check_at else "-"
        lines.append(f"{pad(source.name, max(width, 16))} last {last:<16} next {nxt:<16} "
                     f"every {source.interval_seconds:>6}s  {source.articles:>5} articles  {source.health}")
    run = f"{found.last_run[0]:%Y-%m-%d %H:%M} ({found.last_run[1]})" if found.last_run else "never"
    box = found.outbox
    lines.append(f"articles {found.articles}  last run {run}  alerts pending {box['pending']}  dead {box['dead']}  "
                 f"sent {box['sent']}")
    return lines


def digest_lines(config: Config, waits: dict[str, tuple[int, datetime | None]], now: datetime) -> list[str]:
    """Each scheduled digest: its schedule, the alerts it holds and when it next sends (in its time zone)."""
    from newswatch.monitor.alerts.digest import parse_digest, zone_of

    lines = []
    for channel in config.alerts.channels:
        schedule = parse_digest(channel.digest, channel.digest_timezone)[1]
        if schedule is None:
            continue
        held, due = waits.get(channel.name, (0, None))
        if due is not None and due.tzinfo is None:
            due = due.replace(tzinfo=UTC)
        when = (due if held and due is not None else schedule.next_due(now)).astimezone(zone_of(schedule.timezone))
        lines.append(f"digest {channel.name}: {schedule.describe()}, next {when:%Y-%m-%d %H:%M %Z}, "
                     f"{held} alert{'s' if held != 1 else ''} waiting")
    return lines


COMMANDS = (run, daemon, status_cmd)
