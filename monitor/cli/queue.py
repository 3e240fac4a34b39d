"""``newswatch worker`` (a crawl worker of the queue) and the queue's lines in ``newswatch status``."""

from __future__ import annotations

import click

from newswatch.monitor.cli.common import config_of
from newswatch.monitor.config.model import Config


@click.command("worker")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines as text, or one JSON object per line.")
@click.option("--name", help="This worker's name in status and /metrics (default: host:pid).")
@click.pass_context
def worker(ctx: click.Context, log_format: str, name: str | None) -> int:
    """Take crawl jobs from the queue ([queue] redis_url) and write what they find to the database;
    start as many as you like, on as many machines (`daemon --role scheduler` plans the jobs). Exit
    status 2 when the config is bad or Redis does not answer at start; SIGTERM stops it (exit 0).

    \b
    Examples:
      newswatch worker
      docker compose up --scale worker=4
    """
    from newswatch.monitor.queue.connection import check_queue
    from newswatch.monitor.queue.worker import run_worker
    from newswatch.monitor.runs.preflight import preflight

    config = config_of(ctx)
    ready = preflight(config)
    check_queue(config)
    return run_worker(config, ready.channels, log_format, name)


def queue_lines(config: Config) -> list[str]:
    """What ``status`` says about the queue: depth, in progress, each worker's last beat."""
    from newswatch.monitor.queue.beats import beat_age, read_queue
    from newswatch.monitor.queue.errors import QueueUnavailable

    try:
        state = read_queue(config.queue)
    except QueueUnavailable as exc:
        return [f"queue {config.queue.queue_name}: {exc}"]
    lines = [f"queue {config.queue.queue_name}: queued {state.queued}  in progress {state.in_progress}  "
             f"workers {len(state.workers)}"]
    for beat in state.workers:
        running = ", ".join(beat.running) or "idle"
        lines.append(f"  worker {beat.name:<24} last beat {beat_age(beat):>6.1f}s ago  done {beat.done:>5}  "
                     f"failed {beat.failed:>3}  {running}")
    return lines


COMMANDS = (worker,)
