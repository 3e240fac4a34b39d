"""``newswatch alerts``: the outbox — list rows, retry them, send a sample event to a channel."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from newswatch.monitor.alerts.outbox import deliver_pending, retry
from newswatch.monitor.alerts.registry import build_channels
from newswatch.monitor.changes.events import ArticleInfo, Event, event_id
from newswatch.monitor.cli.common import config_of, storage_of
from newswatch.monitor.runs.run import retry_policy
from newswatch.storage.engine import transaction
from newswatch.storage.errors import DeliveryError
from newswatch.storage.queries.outbox import newest_rows

STATES = ("pending", "sent", "dead")


@click.group()
def alerts() -> None:
    """The alert outbox and channels.

    \b
    Examples:
      newswatch alerts list --state dead
      newswatch alerts retry --dead
      newswatch alerts test ops
    """


@alerts.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only rows in this state.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_context
def list_cmd(ctx: click.Context, state: str | None, limit: int) -> None:
    """List outbox rows, newest first.

    \b
    Example:
      newswatch alerts list --state pending
    """
    with storage_of(ctx) as storage, storage.sessions() as session:
        rows = newest_rows(session, state, limit)
    for row in rows:
        title = ((row.payload or {}).get("article") or {}).get("title") or (row.payload or {}).get("detail") or ""
        error = f"  error: {row.last_error[:80]}" if row.last_error else ""
        click.echo(f"{row.id:>6}  {row.state:<7} {row.attempts:>2}x  {row.channel:<12} {row.event_kind:<16} "
                   f"{row.event_id[:12]}  {title[:40]}{error}")


@alerts.command("retry")
@click.argument("row_id", type=int, required=False)
@click.option("--dead", is_flag=True, help="Every dead row, attempts counted from zero again.")
@click.pass_context
def retry_cmd(ctx: click.Context, row_id: int | None, dead: bool) -> None:
    """Make an outbox row (or every dead one) due now; the next run or the daemon delivers it.

    \b
    Examples:
      newswatch alerts retry 42
      newswatch alerts retry --dead
    """
    if row_id is None and not dead:
        raise click.UsageError("give a row id or --dead")
    with storage_of(ctx) as storage, transaction(storage.sessions) as session:
        count = retry(session, row_id, dead)
    click.echo(f"{count} row(s) due again")


@alerts.command("test")
@click.argument("channel")
@click.pass_context
def test_cmd(ctx: click.Context, channel: str) -> None:
    """Send a sample event to CHANNEL now (not through the outbox).

    \b
    Example:
      newswatch alerts test ops
    """
    channels = {c.name: c for c in build_channels(config_of(ctx).alerts)}
    if channel not in channels:
        raise click.UsageError(f"no channel {channel!r} (configured: {', '.join(channels) or 'none'})")
    now = datetime.now(UTC)
    sample = Event(
        event_id("test", channel, now.isoformat()), "article.new", now, "newswatch",
        ArticleInfo("https://example.com/newswatch-test", "newswatch 测试消息 / test alert", language="zh",
                    excerpt="这是一条测试消息：如果你收到了它，说明通道配置正确。"),
        detail="a test event sent by `newswatch alerts test`",
    )
    try:
        channels[channel].send([sample])
    except DeliveryError as exc:
        raise click.ClickException(f"delivery to {channel} failed: {exc}") from exc
    click.echo(f"sent a test event to {channel} (event id {sample.id})")



@alerts.command("deliver")
@click.pass_context
def deliver_cmd(ctx: click.Context) -> None:
    """Deliver what is due in the outbox now (every run also does this at its end).

    \b
    Example:
      newswatch alerts deliver
    """
    config = config_of(ctx)
    channels = build_channels(config.alerts)
    with storage_of(ctx) as storage:
        report = deliver_pending(storage.sessions, channels, retry_policy(config))
    click.echo(f"sent {report.sent}  failed {report.failed}  dead {report.dead}")


COMMANDS = (alerts,)
