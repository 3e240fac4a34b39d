"""``newswatch sources``: list, add, remove, import and export the sources (``seeds/sources.toml``)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url

from newswatch.crawler.redact import redact_tree
from newswatch.monitor.cli.common import config_of, storage_of
from newswatch.monitor.config.model import Config
from newswatch.monitor.runs.catalog import CatalogEntry, catalog
from newswatch.monitor.runs.plan import source_statuses
from newswatch.monitor.runs.status import SourceStatus, status
from newswatch.monitor.sources.opml import MAX_BYTES, parse_opml, render_opml
from newswatch.monitor.sources.proposal import Proposal, propose
from newswatch.monitor.sources.registry import REGISTRY_FILE, load_registry, parse_registry
from newswatch.monitor.sources.seeds import read_seeds
from newswatch.monitor.sources.sourcefile import add_sources, import_sources, plan_import, registry_text, remove_source
from newswatch.storage.errors import NewswatchError, ParseError


def _registry_path(config: Config) -> Path:
    return config.path(config.storage.seeds_dir) / REGISTRY_FILE


@click.group("sources", invoke_without_command=True)
@click.pass_context
def sources(ctx: click.Context) -> None:
    """The sources newswatch crawls (seeds/sources.toml): every one is crawled, named by a seed or not.
    Without a subcommand: `sources list`.

    \b
    Examples:
      newswatch sources
      newswatch sources add https://news.example.com/ --name "Example News"
      newswatch sources export > subscriptions.opml
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_cmd)


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool = False) -> None:
    """Every source, resolved or not: site, feeds, sitemaps, rules, the seeds naming it, health.

    \b
    Example:
      newswatch sources list --json | jq .name
    """
    config = config_of(ctx)
    seeds_dir = config.path(config.storage.seeds_dir)
    registry = load_registry(seeds_dir)
    entries = catalog(registry, source_statuses(read_seeds(seeds_dir)[0], registry), _health(ctx, config))
    for entry in entries:
        click.echo(json.dumps(_record(entry), ensure_ascii=False) if as_json else _text(entry))


def _health(ctx: click.Context, config: Config) -> dict[str, SourceStatus]:
    url = make_url(config.database_url)
    if url.drivername.startswith("sqlite") and url.database and not Path(url.database).exists():
        click.echo("health unknown: no database yet (`newswatch db upgrade`, then `newswatch run`)", err=True)
        return {}  # listing sources creates nothing
    try:
        with storage_of(ctx) as storage, storage.sessions() as session:
            return {s.name: s for s in status(session, config.alerts.quiet_days).sources}
    except NewswatchError as exc:
        click.echo(f"health unknown: {exc}", err=True)
        return {}


def _record(entry: CatalogEntry) -> dict[str, Any]:
    source = entry.registered
    health = entry.health
    shown: dict[str, Any] = redact_tree({  # a private feed's ?token= is not shown (``sources export`` keeps it)
        "name": entry.name, "state": entry.state, "aliases": list(source.aliases) if source else [],
        "site": source.site if source else entry.site, "pages": list(source.pages) if source else [],
        "feeds": list(source.feeds) if source else [], "sitemaps": list(source.sitemaps) if source else [],
        "discover": source.discover if source else None,
        "rules": {k: list(v) for k, v in source.rules().items()} if source else {},
        "seeds": list(entry.seeds),
        "health": health.health if health else "never checked",
        "last_checked": health.last_checked_at.isoformat() if health and health.last_checked_at else None,
        "articles": health.articles if health else 0,
    })
    return shown


def _text(entry: CatalogEntry) -> str:
    record = _record(entry)
    aliases = f" (also {', '.join(record['aliases'])})" if record["aliases"] else ""
    lines = [f"{entry.name}{aliases}  [{entry.state}]"]
    if entry.state == "UNRESOLVED":
        lines.append(f"    add it: newswatch sources add URL --name {json.dumps(entry.name, ensure_ascii=False)}")
    for key in ("site", "pages", "feeds", "sitemaps"):
        values = record[key] if isinstance(record[key], list) else [record[key]] if record[key] else []
        lines += [f"    {key + ':':<9} {value}" for value in values]
    if record["discover"] is False:
        lines.append("    discover: false (no link following, feed autodiscovery or robots.txt)")
    lines += [f"    {key + ':':<9} {json.dumps(values, ensure_ascii=False)}" for key, values in record["rules"].items()]
    if entry.seeds:
        lines.append(f"    seeds:    {', '.join(entry.seeds)}")
    if record["last_checked"]:
        last = record["last_checked"][:16].replace("T", " ")
        lines.append(f"    health:   {record['health']}; last checked {last}; {record['articles']} articles")
    else:
        lines.append(f"    health:   {record['health']}")
    return "\n".join(lines)


@sources.command("add")
@click.argument("url")
@click.option("--name", help="The source's name (default: the site's own name, else its host).")
@click.option("--feed", "feeds", multiple=True, help="A feed URL (repeatable); none given: discovered on the page.")
@click.option("--sitemap", "sitemaps", multiple=True,
              help="A sitemap URL (repeatable); none given: the Sitemap: lines of robots.txt.")
@click.option("--render", type=click.Choice(["browser"]),
              help="Load the site's pages in headless Chromium (pages built by JavaScript).")
@click.option("-y", "--yes", is_flag=True, help="Save without asking.")
@click.pass_context
def add_cmd(ctx: click.Context, url: str, name: str | None, feeds: tuple[str, ...], sitemaps: tuple[str, ...],
            render: str | None, yes: bool) -> int:
    """Add a site: look at it once (feeds announced on the page, sitemaps in robots.txt), show what was
    found, and save it to sources.toml after you confirm (exit status 1 when not saved). The next run
    crawls it.

    \b
    Examples:
      newswatch sources add https://www.thepaper.cn/
      newswatch sources add https://news.example.com/ --name 示例新闻 --feed https://news.example.com/rss --yes
    """
    config = config_of(ctx)
    path = _registry_path(config)
    proposal = propose(config, parse_registry(registry_text(path), str(path)), url, name, feeds, sitemaps)
    if render:
        proposal = dataclasses.replace(proposal, source=dataclasses.replace(proposal.source, render=render))
    click.echo(_proposal_text(proposal))
    if not yes and not _confirmed(f"Save it to {path}?"):
        click.echo("not saved (--yes saves without asking)")
        return 1
    add_sources(path, [proposal.source])
    click.echo(f"saved {proposal.source.name!r} to {path}; `newswatch run` crawls it")
    return 0


def _confirmed(question: str) -> bool:
    try:
        return click.confirm(question, default=True)
    except click.Abort:  # no answer (end of input): nothing is saved
        click.echo()
        return False


def _proposal_text(proposal: Proposal) -> str:
    source = proposal.source
    def tag(key: str) -> str:
        return " (discovered)" if key in proposal.discovered else ""
    lines = [f"name:     {source.name}{tag('name')}", f"site:     {source.site}"]
    lines += [f"feed:     {feed}{tag('feeds')}" for feed in source.feeds] or [f"feed:     none found{tag('feeds')}"]
    lines += [f"sitemap:  {sitemap}{tag('sitemaps')}" for sitemap in source.sitemaps] or \
        [f"sitemap:  none found{tag('sitemaps')}"]
    lines += [f"render:   {source.render} (pages loaded in headless Chromium)"] if source.render else []
    lines += [f"note:     {note}" for note in proposal.notes]
    return "\n".join(lines)


@sources.command("remove")
@click.argument("name")
@click.pass_context
def remove_cmd(ctx: click.Context, name: str) -> None:
    """Remove a source (by name or alias) from sources.toml; its stored articles stay.

    \b
    Example:
      newswatch sources remove "Example News"
    """
    path = _registry_path(config_of(ctx))
    removed = remove_source(path, name)
    click.echo(f"removed {removed.name!r} from {path} ({len(removed.feeds)} feed(s), {len(removed.sitemaps)} "
               "sitemap(s)); its articles stay in storage")


@sources.command("import")
@click.argument("opml_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.pass_context
def import_cmd(ctx: click.Context, opml_file: Path, dry_run: bool) -> None:
    """Import the feeds of an OPML file (a feed reader's export): new names are added, known names get
    the new feeds, feeds already registered are skipped.

    \b
    Example:
      newswatch sources import feedly.opml --dry-run
    """
    if opml_file.stat().st_size > MAX_BYTES:
        raise ParseError(f"{opml_file}: larger than {MAX_BYTES} bytes; not an OPML subscription list")
    found = parse_opml(opml_file.read_bytes())
    for problem in found.problems:
        click.echo(f"skipped {problem.where}: {problem.reason}", err=True)
    path = _registry_path(config_of(ctx))
    registry = parse_registry(registry_text(path), str(path))
    plan = plan_import(registry, found.sources) if dry_run else import_sources(path, found.sources)
    for source in plan.added:
        click.echo(f"add     {source.name}: {len(source.feeds)} feed(s) {source.site or ''}".rstrip())
    for source in plan.updated:
        click.echo(f"update  {source.name}: now {len(source.feeds)} feed(s)")
    verb = "would change" if dry_run else "changed"
    click.echo(f"{opml_file.name}: {len(found.sources)} source(s) in {found.outlines} outline(s); {verb}: "
               f"{len(plan.added)} added, {len(plan.updated)} updated, {len(plan.unchanged)} already there, "
               f"{len(found.problems)} skipped")


@sources.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.pass_context
def export_cmd(ctx: click.Context, output: Path | None) -> None:
    """Write every source as OPML 2.0, for feed readers (and `sources import` elsewhere).

    \b
    Example:
      newswatch sources export -o newswatch.opml
    """
    config = config_of(ctx)
    document = render_opml(load_registry(config.path(config.storage.seeds_dir)), "newswatch sources",
                           datetime.now(UTC))
    if output is None:
        click.echo(document.decode("utf-8"), nl=False)
    else:
        output.write_bytes(document)
        click.echo(f"wrote {output}")


COMMANDS = (sources,)
