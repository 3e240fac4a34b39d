"""The ``newswatch`` command: a thin click layer over the library."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from crawler.topic import Topic
from monitor.config import Config, load_config
from monitor.history import history, version_diff
from monitor.output import export
from monitor.plan import source_statuses
from monitor.reextract import reextract_all
from monitor.relevance import reapply_topic
from monitor.render import to_html, to_json, to_text
from monitor.run import keywords, run_once
from monitor.runtime import Storage, open_storage
from monitor.seeds import SeedEntry, import_seeds, read_seeds
from monitor.sources import load_registry
from storage.corpus import Corpus
from storage.errors import NewswatchError
from storage.migrate import current_revision, head_revision, upgrade
from storage.repository import documents_by_file


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSWATCH_CONFIG",
    help="Config file (default: ./newswatch.toml if present, else built-in defaults).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Scheduled news scraper and change monitor.

    \b
    Example:
      newswatch db upgrade && newswatch seeds import && newswatch seeds list
    """
    ctx.obj = config_path


def _config(ctx: click.Context) -> Config:
    return load_config(ctx.find_root().obj)


@contextmanager
def _storage(ctx: click.Context, check_schema: bool = True) -> Iterator[Storage]:
    storage = open_storage(_config(ctx), check_schema=check_schema)
    try:
        yield storage
    finally:
        storage.close()


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations).

    \b
    Example:
      NEWSWATCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test newswatch db upgrade
    """


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply every pending migration (safe to repeat).

    \b
    Example:
      newswatch db upgrade
    """
    with _storage(ctx, check_schema=False) as storage:
        upgrade(storage.engine)
        click.echo(f"database at revision {current_revision(storage.engine)}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the schema revision of the database and the newest one.

    \b
    Example:
      newswatch db current
    """
    with _storage(ctx, check_schema=False) as storage:
        click.echo(f"current: {current_revision(storage.engine) or 'none'}  head: {head_revision()}")


@cli.group()
def seeds() -> None:
    """The seed corpus (seeds/*.txt).

    \b
    Example:
      newswatch seeds import && newswatch seeds list
    """


@seeds.command("import")
@click.pass_context
def seeds_import(ctx: click.Context) -> None:
    """Load the seed documents into storage (a second import changes nothing).

    \b
    Example:
      newswatch seeds import
    """
    config = _config(ctx)
    with _storage(ctx) as storage:
        report = import_seeds(storage.sessions, config.path(config.storage.seeds_dir))
    for problem in report.problems:
        click.echo(f"skipped {problem.name}: {problem.reason}", err=True)
    click.echo(f"seeds: {report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.problems)} unreadable")


@seeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per seed.")
@click.pass_context
def seeds_list(ctx: click.Context, as_json: bool) -> None:
    """Show each seed: title, source, the source URL and the article links found.

    \b
    Example:
      newswatch seeds list --json
    """
    config = _config(ctx)
    entries, problems = read_seeds(config.path(config.storage.seeds_dir))
    with _storage(ctx) as storage, storage.sessions() as session:
        stored = set(documents_by_file(session))
    for entry in entries:
        record = _seed_record(entry, entry.file_name in stored)
        click.echo(json.dumps(record, ensure_ascii=False) if as_json else _seed_text(record))
    for problem in problems:
        click.echo(f"unreadable {problem.name}: {problem.reason}", err=True)


def _seed_record(entry: SeedEntry, stored: bool) -> dict[str, Any]:
    doc = entry.document
    return {
        "file": entry.file_name,
        "title": doc.title,
        "source": doc.source,
        "url": entry.canonical_url,
        "links": list(entry.page_urls),
        "images": entry.image_count,
        "stored": stored,
    }


def _seed_text(record: dict[str, Any]) -> str:
    lines = [f"{record['file']}  {record['title'] or '(untitled)'}", f"    source: {record['source'] or '-'}"]
    lines.append(f"    url:    {record['url'] or '(none: named source only)'}")
    lines += [f"    link:   {link}" for link in record["links"]]
    lines.append(f"    images: {record['images']}   stored: {'yes' if record['stored'] else 'no'}")
    return "\n".join(lines)


@cli.command("run")
@click.option("--record", "record", type=click.Path(dir_okay=False, path_type=Path),
              help="Crawl for real and record every HTTP exchange into this vcrpy cassette.")
@click.option("--replay", "replay", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Crawl from this cassette with no network; a request not in it is an error.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO).")
@click.pass_context
def run(ctx: click.Context, record: Path | None, replay: Path | None, verbose: bool) -> None:
    """Crawl once: seeds, registered sources, due re-checks; store and print a summary.

    \b
    Examples:
      newswatch run
      newswatch run --record tests/cassettes/site.yaml
      newswatch run --replay tests/cassettes/site.yaml
    """
    if record and replay:
        raise click.UsageError("--record and --replay exclude each other")
    cassette, mode = (record, "record") if record else (replay, "replay") if replay else (None, None)
    summary = run_once(_config(ctx), cassette, mode, "INFO" if verbose else "WARNING")
    figures = summary.figures
    click.echo(f"run {summary.run_id}: {summary.outcome}")
    click.echo("  " + "  ".join(f"{name} {value}" for name, value in figures.items()))
    for error in summary.errors:
        label = "refused" if error.kind.startswith("refused_") else "error"
        click.echo(f"  {label} {error.kind}: {error.url} ({error.detail[:160]})")
    missing = summary.stats.get("cassette/missing", 0)
    if missing:
        click.echo(f"  cassette: {missing} request(s) not in the cassette", err=True)


@cli.command("relevance")
@click.pass_context
def relevance(ctx: click.Context) -> None:
    """Re-apply the topic keywords to every stored article (no re-crawl); newly relevant ones join the corpus.

    \b
    Example:
      newswatch relevance
    """
    config = _config(ctx)
    with _storage(ctx) as storage:
        corpus = Corpus(config.path(config.storage.corpus_dir))
        report = reapply_topic(storage.sessions, Topic(keywords(config)), corpus)
    click.echo(f"checked {report.checked}  relevant {report.relevant}  changed {report.changed}  "
               f"written to corpus {report.written}")


@cli.command("sources")
@click.pass_context
def sources(ctx: click.Context) -> None:
    """List the sources the seeds name: resolved by URL, by the registry, or unresolved.

    \b
    Example:
      newswatch sources
    """
    config = _config(ctx)
    seeds_dir = config.path(config.storage.seeds_dir)
    entries, _problems = read_seeds(seeds_dir)
    for status in source_statuses(entries, load_registry(seeds_dir)):
        reg = status.registered
        if reg is not None:
            where = f"registry: site {reg.site or '-'}, {len(reg.feeds)} feed(s), {len(reg.sitemaps)} sitemap(s)"
        elif status.site:
            where = f"by URL: {status.site}"
        else:
            where = "UNRESOLVED: add it to seeds/sources.toml"
        click.echo(f"{status.name}\t{where}\t({', '.join(status.seeds)})")


@cli.command("history")
@click.argument("url")
@click.pass_context
def history_cmd(ctx: click.Context, url: str) -> None:
    """List an article's versions (with change classes) and anomalies.

    \b
    Example:
      newswatch history https://news.163.com/25/0211/09/JNBHQ5JO000189FH.html
    """
    with _storage(ctx) as storage, storage.sessions() as session:
        found = history(session, url)
    click.echo(found.url)
    for v in found.versions:
        change = f"{v.change_class} ({', '.join(v.changed_fields)})" if v.change_class else "-"
        if v.reverted_to is not None:
            change += f", back to v{v.reverted_to}"
        click.echo(f"  v{v.number}  {v.fetched_at:%Y-%m-%d %H:%M:%S}  {v.extractor:<12} {v.chars:>7} chars  "
                   f"{change}  {v.title or ''}")
    for when, reason in found.anomalies:
        click.echo(f"  anomaly  {when:%Y-%m-%d %H:%M:%S}  {reason}")


@cli.command("diff")
@click.argument("url")
@click.option("--from", "old", type=int, help="Older version number (default: the one before --to).")
@click.option("--to", "new", type=int, help="Newer version number (default: the latest).")
@click.option("--format", "form", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.pass_context
def diff_cmd(ctx: click.Context, url: str, old: int | None, new: int | None, form: str) -> None:
    """Print the diff between two versions of an article (sentence level, characters inside).

    \b
    Examples:
      newswatch diff https://example.com/2025/02/11/a.html
      newswatch diff https://example.com/2025/02/11/a.html --from 1 --to 3 --format html
    """
    with _storage(ctx) as storage, storage.sessions() as session:
        old_n, new_n, diff = version_diff(session, url, old, new)
    if form == "json":
        click.echo(json.dumps({"from": old_n, "to": new_n, **to_json(diff)}, ensure_ascii=False, indent=2))
    else:
        click.echo(f"--- v{old_n}\n+++ v{new_n}")
        click.echo(to_html(diff) if form == "html" else to_text(diff) or "(no difference)")


@cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export_cmd(ctx: click.Context, folder: Path) -> None:
    """Rewrite the whole corpus (articles and changes/) from storage into FOLDER.

    \b
    Example:
      newswatch export /tmp/corpus-copy && diff -r /tmp/corpus-copy data/corpus
    """
    with _storage(ctx) as storage, storage.sessions() as session:
        written = export(session, folder)
    click.echo(f"exported {written.articles} article(s) and {written.changes} change document(s) to {folder}")


@cli.command("reextract")
@click.pass_context
def reextract_cmd(ctx: click.Context) -> None:
    """Re-extract every article's stored page with today's extractor and re-baseline (no phantom changes).

    \b
    Example:
      pip install -U trafilatura && newswatch reextract
    """
    config = _config(ctx)
    with _storage(ctx) as storage:
        report = reextract_all(storage.sessions, Corpus(config.path(config.storage.corpus_dir)))
    click.echo(f"checked {report.checked}  re-baselined {report.rebaselined}  same {report.same}  "
               f"rejected {report.rejected}  without stored page {report.no_raw}")


@cli.command("config")
@click.pass_context
def config_show(ctx: click.Context) -> None:
    """Validate the configuration and print the effective values (secrets masked).

    \b
    Example:
      newswatch --config deploy/newswatch.example.toml config
    """
    config = _config(ctx)
    data = dataclasses.asdict(config)
    data["alerts"]["email"]["password"] = "***" if config.alerts.email.password else ""
    data["alerts"]["webhook"]["secret"] = "***" if config.alerts.webhook.secret else ""
    data["database_url"] = config.database_url
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def main() -> None:
    """Console entry point: newswatch errors become one clear line and exit status 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NewswatchError as exc:
        click.echo(f"newswatch: error: {exc}", err=True)
        sys.exit(2)
