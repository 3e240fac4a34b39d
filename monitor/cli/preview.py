"""``newswatch extract`` (what would be stored for a page) and ``newswatch check`` (re-check one article)."""

from __future__ import annotations

import dataclasses
import json

import click

from newswatch.monitor.cli.common import config_of
from newswatch.monitor.runs.check import CheckResult, check_url
from newswatch.monitor.runs.preview import Preview, preview_target


@click.command("extract")
@click.argument("target", metavar="URL|FILE")
@click.option("--url", "page_url", help="For a FILE: the URL it was saved from (canonical URL, source rules).")
@click.option("--render", type=click.Choice(["browser"]), help="Load the URL in headless Chromium (pages built by "
              "JavaScript), through the same guard and caps.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def extract_cmd(ctx: click.Context, target: str, page_url: str | None, render: str | None, as_json: bool) -> int:
    """Show what newswatch would store for a page, storing nothing: the judgement (article, list or
    error, and why), title, date, author, language, source and the Markdown body. A URL is fetched
    through the crawler's guard and caps; a FILE is decoded as the crawler decodes. Exit status 1
    when the page gives no article.

    \b
    Examples:
      newswatch extract https://www.thepaper.cn/newsDetail_forward_30000000
      newswatch extract https://www.toutiao.com/article/7400000000000000000/ --render browser
      newswatch extract saved.html --url https://news.example.com/2025/02/11/a.html --json
    """
    preview = preview_target(config_of(ctx), target, page_url, render)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(preview), ensure_ascii=False))
    else:
        click.echo(_preview_text(preview))
    return 0 if preview.judgement == "article" else 1


def _preview_text(preview: Preview) -> str:
    why = f" ({preview.reason}: {preview.detail})" if preview.reason else ""
    lines = [f"judgement: {preview.judgement}{why}"]
    fields = (("url", preview.url), ("title", preview.title), ("date", preview.date), ("author", preview.author),
              ("language", preview.language), ("source", preview.source), ("registered", preview.registered_as))
    lines += [f"{name + ':':<10} {value}" for name, value in fields if value]
    if preview.rules:
        lines.append(f"{'rules:':<10} {', '.join(preview.rules)} (from sources.toml)")
    if preview.ignored_matches:
        lines.append(f"{'ignored:':<10} {preview.ignored_matches} match(es) of the source's ignore patterns do not "
                     "count as changes")
    meta = [f"HTTP {preview.http_status}" if preview.http_status else "", preview.content_type or "",
            f"{preview.size} bytes" if preview.size else ""]
    if any(meta):
        lines.append(f"{'fetched:':<10} {', '.join(m for m in meta if m)}")
    if preview.body:
        lines += ["", preview.body]
    return "\n".join(lines)


@click.command("check")
@click.argument("url")
@click.option("--fresh", is_flag=True, help="Fetch in full (no If-None-Match / If-Modified-Since).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO).")
@click.pass_context
def check_cmd(ctx: click.Context, url: str, fresh: bool, as_json: bool, verbose: bool) -> int:
    """Re-check one stored article now, through the normal pipeline (versions, diff, corpus, alerts),
    and show the outcome and the diff. Exit status 1 when the fetch failed.

    \b
    Examples:
      newswatch check https://news.example.com/2025/02/11/a.html
      newswatch check https://news.example.com/2025/02/11/a.html --fresh --json
    """
    result = check_url(config_of(ctx), url, fresh, "INFO" if verbose else "WARNING")
    if as_json:
        record = dataclasses.asdict(result)
        record["errors"] = [{"kind": e.kind, "url": e.url, "detail": e.detail} for e in result.errors]
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        click.echo(_check_text(result))
    return 1 if result.outcome == "error" else 0


def _check_text(result: CheckResult) -> str:
    versions = f"version {result.version_before}"
    if result.version_after != result.version_before:
        versions = f"version {result.version_before} -> {result.version_after}"
    what = {"changed": f"changed ({result.change_class}: {', '.join(result.changed_fields)})",
            "revert": f"reverted ({result.change_class})", "not_modified": "not modified (HTTP 304)",
            "anomaly": f"anomaly ({result.anomaly}): not a change; re-checked on the next run"}
    lines = [f"{result.url}: {what.get(result.outcome, result.outcome)}, {versions}"]
    lines += [f"  error {e.kind}: {e.url} ({e.detail[:160]})" for e in result.errors]
    if result.diff:
        lines += ["", result.diff]
    return "\n".join(lines)


COMMANDS = (extract_cmd, check_cmd)
