"""``newswatch prune``: apply the retention of ``storage.retention`` now (the daemon does it daily)."""

from __future__ import annotations

import click

from newswatch.monitor.cli.common import config_of, storage_of
from newswatch.monitor.housekeeping.retention import describe, effective, policy_of, prune_storage

OFF = ("retention is off: set raw_pages, outbox_days or runs_days under [storage.retention] "
       "(or give --raw-pages, --outbox-days, --runs-days)")


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Print what would go; change nothing.")
@click.option("--raw-pages", type=click.IntRange(min=0), help="Instead of storage.retention.raw_pages.")
@click.option("--outbox-days", type=click.FloatRange(min=0), help="Instead of storage.retention.outbox_days.")
@click.option("--runs-days", type=click.FloatRange(min=0), help="Instead of storage.retention.runs_days.")
@click.pass_context
def prune(ctx: click.Context, dry_run: bool, raw_pages: int | None, outbox_days: float | None,
          runs_days: float | None) -> None:
    """Forget what storage.retention says may go: raw HTML beyond the newest N fetches of each article
    (never a latest version's), sent alert rows and finished run rows older than D days. Versions' text
    and diffs are never pruned.

    \b
    Examples:
      newswatch prune --dry-run
      newswatch prune
      newswatch prune --raw-pages 3 --outbox-days 30 --runs-days 90
    """
    retention = effective(config_of(ctx), raw_pages, outbox_days, runs_days)
    if not policy_of(retention).active:
        click.echo(OFF)
        return
    with storage_of(ctx) as storage:
        report = prune_storage(retention, storage, dry_run=dry_run)
    for line in describe(report, retention):
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was changed")


COMMANDS = (prune,)
