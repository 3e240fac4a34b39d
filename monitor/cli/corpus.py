"""Commands over stored history and the corpus: history, diff, export, reextract, relevance."""

from __future__ import annotations

import json
from pathlib import Path

import click

from newswatch.crawler.extract.topic import Topic
from newswatch.monitor.changes.history import history, version_diff
from newswatch.monitor.changes.output import export
from newswatch.monitor.changes.reextract import SourceRules, reextract_all
from newswatch.monitor.changes.relevance import reapply_topic
from newswatch.monitor.changes.removal_doc import how
from newswatch.monitor.changes.render import to_html, to_json, to_text
from newswatch.monitor.cli.common import config_of, storage_of
from newswatch.monitor.runs.run import keywords
from newswatch.monitor.sources.registry import load_registry, source_rules
from newswatch.storage.corpus.folder import Corpus


@click.command("relevance")
@click.pass_context
def relevance(ctx: click.Context) -> None:
    """Re-apply the topic keywords to every stored article (no re-crawl); newly relevant ones join the corpus.

    \b
    Example:
      newswatch relevance
    """
    config = config_of(ctx)
    with storage_of(ctx) as storage:
        corpus = Corpus(config.path(config.storage.corpus_dir))
        report = reapply_topic(storage.sessions, Topic(keywords(config)), corpus)
    click.echo(f"checked {report.checked}  relevant {report.relevant}  changed {report.changed}  "
               f"written to corpus {report.written}")


@click.command("history")
@click.argument("url")
@click.pass_context
def history_cmd(ctx: click.Context, url: str) -> None:
    """List an article's versions (with change classes), anomalies and removals (删稿).

    \b
    Example:
      newswatch history https://news.163.com/25/0211/09/JNBHQ5JO000189FH.html
    """
    with storage_of(ctx) as storage, storage.sessions() as session:
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
    for removal in found.removals:
        click.echo(f"  removed  {removal.detected_at:%Y-%m-%d %H:%M:%S}  removed ({how(removal)})")
        if removal.restored_at is not None:
            click.echo(f"  restored {removal.restored_at:%Y-%m-%d %H:%M:%S}")


@click.command("diff")
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
    from newswatch.monitor.sources.registry import ignore_rules, load_registry

    config = config_of(ctx)
    ignore = ignore_rules(load_registry(config.path(config.storage.seeds_dir)), url)
    with storage_of(ctx) as storage, storage.sessions() as session:
        old_n, new_n, diff = version_diff(session, url, old, new, ignore)
    if form == "json":
        click.echo(json.dumps({"from": old_n, "to": new_n, **to_json(diff)}, ensure_ascii=False, indent=2))
    elif form == "html":  # a fragment to embed: the versions as data attributes, no plain-text header
        click.echo(to_html(diff).replace('<div class="newswatch-diff">',
                                         f'<div class="newswatch-diff" data-from="{old_n}" data-to="{new_n}">', 1))
    else:
        click.echo(f"--- v{old_n}\n+++ v{new_n}")
        click.echo(to_text(diff) or "(no difference)")


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export_cmd(ctx: click.Context, folder: Path) -> None:
    """Rewrite the whole corpus (articles and changes/) from storage into FOLDER.

    \b
    Example:
      newswatch export /tmp/corpus-copy && diff -r /tmp/corpus-copy data/corpus
    """
    with storage_of(ctx) as storage, storage.sessions() as session:
        written = export(session, folder)
    click.echo(f"exported {written.articles} article(s) and {written.changes} change document(s) to {folder}")


@click.command("reextract")
@click.pass_context
def reextract_cmd(ctx: click.Context) -> None:
    """Re-extract every article's stored page with today's extractor and re-baseline (no phantom changes).

    \b
    Example:
      pip install -U trafilatura && newswatch reextract
    """
    config = config_of(ctx)
    with storage_of(ctx) as storage:
        rules = SourceRules.from_plain(source_rules(load_registry(config.path(config.storage.seeds_dir))))
        report = reextract_all(storage.sessions, Corpus(config.path(config.storage.corpus_dir)), rules)
    click.echo(f"checked {report.checked}  re-baselined {report.rebaselined}  same {report.same}  "
               f"rejected {report.rejected}  without stored page {report.no_raw}")


COMMANDS = (relevance, history_cmd, diff_cmd, export_cmd, reextract_cmd)
