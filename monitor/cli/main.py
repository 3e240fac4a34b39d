"""The ``newswatch`` command: a thin click layer over the library."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click

from newswatch.crawler.redact import redact_tree
from newswatch.monitor.cli.common import (
    accept_config,
    accept_config_everywhere,
    config_of,
    remember_root_config,
    storage_of,
)
from newswatch.monitor.cli.lazy import LazyGroup
from newswatch.monitor.runs.preflight import preflight
from newswatch.monitor.sources.seeds import SeedEntry, import_seeds, read_seeds
from newswatch.storage.errors import NewswatchError
from newswatch.storage.lock import RunLocked
from newswatch.storage.migrate_state import HEAD_REVISION, current_revision
from newswatch.storage.repository import documents_by_file

EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; try again later


@click.group(cls=LazyGroup, prepare=accept_config, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSWATCH_CONFIG",
    help="Config file (default: ./newswatch.toml if present, else built-in defaults); also accepted after "
         "the command.",
)
@click.version_option(package_name="newswatch", prog_name="newswatch", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Scheduled news scraper and change monitor.

    \b
    Example:
      newswatch db upgrade && newswatch seeds import && newswatch seeds list
      newswatch run --config /etc/newswatch/newswatch.toml
    """
    remember_root_config(ctx, config_path)


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
    from newswatch.storage.migrate import upgrade  # Alembic: imported to migrate only

    with storage_of(ctx, check_schema=False) as storage:
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
    with storage_of(ctx, check_schema=False) as storage:
        click.echo(f"current: {current_revision(storage.engine) or 'none'}  head: {HEAD_REVISION}")


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
    config = config_of(ctx)
    with storage_of(ctx) as storage:
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
    config = config_of(ctx)
    entries, problems = read_seeds(config.path(config.storage.seeds_dir))
    with storage_of(ctx) as storage, storage.sessions() as session:
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


@cli.command("config")
@click.pass_context
def config_show(ctx: click.Context) -> None:
    """Validate the configuration with every check `run` makes (channels and their secrets, folders,
    the database URL and one connection), exit status 2 with the message `run` would print when one
    fails; then print the effective values, and where each came from ("origins": file, env
    NEWSWATCH_<SECTION>__<KEY>, or default). Secrets are never in it: URL passwords and the values of
    token/key/secret/sig query parameters are shown as ***.

    \b
    Examples:
      newswatch --config deploy/newswatch.example.toml config
      NEWSWATCH_CRAWL__DOWNLOAD_DELAY=0.5 newswatch config | jq .origins
    """
    config = config_of(ctx)
    preflight(config)
    data = dataclasses.asdict(config)
    data["database_url"] = config.database_url
    data = redact_tree(data)  # passwords, token/key/secret/sig query values, header values: ***
    data["origins"] = dict(config.origins)  # file / env NEWSWATCH_... / default, for every key
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


accept_config_everywhere(cli)  # the commands defined here; LazyGroup prepares the others as they load


def main() -> None:
    """Console entry point. Exit status: 0 success, 1 finished with errors (listed), 2 configuration or
    usage error, 75 another run holds the lock (try again later), 130 interrupted."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RunLocked as exc:
        click.echo(f"newswatch: {exc}; not starting a second run", err=True)
        sys.exit(EXIT_LOCKED)
    except NewswatchError as exc:
        click.echo(f"newswatch: error: {exc}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
