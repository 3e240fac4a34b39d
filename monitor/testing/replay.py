"""Full newswatch runs from vcrpy cassettes in a test workspace, one child process each.

    replay = Replayer(Workspace(tmp_path / "nw"))
    first = replay("tests/cassettes/site_1.yaml", sources={"Example": "https://news.example.org/"},
                   channels=[receiver])
    second = replay("tests/cassettes/site_2.yaml")       # same workspace: sees what changed since
    first.new_articles, second.changed_articles, second.deliveries

Each call runs ``newswatch run --replay CASSETTE --json`` with the workspace's config: seeds import,
crawl from the cassette (no network: a request it does not hold is a counted error), detection, corpus,
outbox and delivery, exactly as in production. It runs in a child process because Scrapy's Twisted
reactor cannot be started twice in one process (and the CLI is the entry point users have). Calls on
one replayer share the workspace, so a series of cassettes (moments of a site) tests change handling;
``sources`` and ``channels`` given once stay for the following calls until given again.

A missing cassette is an error unless ``record_missing`` is set (``pytest --newswatch-record``): then the
same call runs ``newswatch run --record`` against the live site, writes the cassette, and returns that
run's result, so the committed cassette holds exactly the requests the replay in CI asks for. A later
moment is never recorded in the session that recorded an earlier one of the same series (the site has
not changed yet): :meth:`Replayer.refuse_recording` raises (the pytest plugin skips the test instead),
and the next ``--newswatch-record`` session, once the site has changed, records it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from newswatch.monitor.testing.channels import ChannelLike
from newswatch.monitor.testing.records import ReplayResult, parse_summary
from newswatch.monitor.testing.results import read_results, take_marks
from newswatch.monitor.testing.workspace import DEFAULT_TIMEOUT, SourcesLike, Workspace
from newswatch.storage.errors import ReplayError

RECORD_HINT = ("record it once with `pytest --newswatch-record` (fetches the live site, writes the cassette) "
               "and commit it, or with `newswatch run --record`")


class Replayer:
    """See the module doc. ``base_dir``: where relative cassette paths start (default: the current folder)."""

    def __init__(self, workspace: Workspace, *, base_dir: Path | None = None, record_missing: bool = False,
                 timeout: float = DEFAULT_TIMEOUT, recorded: set[Path] | None = None) -> None:
        self.workspace = workspace
        self.base_dir = (base_dir or Path.cwd()).resolve()
        self.record_missing = record_missing
        self.timeout = timeout
        self.recorded = recorded if recorded is not None else set()  # cassettes recorded in this session
        self._used: list[Path] = []  # the cassettes this replayer ran, in order

    def __repr__(self) -> str:
        return f"Replayer({self.workspace!r}, base_dir={str(self.base_dir)!r})"

    def cassette_path(self, cassette: str | os.PathLike[str]) -> Path:
        path = Path(cassette).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def __call__(self, cassette: str | os.PathLike[str], *, sources: SourcesLike | None = None,
                 channels: Sequence[ChannelLike] | None = None,
                 env: Mapping[str, str] | None = None) -> ReplayResult:
        """Replay ``cassette`` (recording it first when missing and ``record_missing``); see the module doc."""
        path = self.cassette_path(cassette)
        if path.is_file():
            return self._run(path, "--replay", sources, channels, env)
        if path.exists():
            raise ReplayError(f"the cassette {path} is not a file")
        if not self.record_missing:
            raise ReplayError(f"no cassette at {path}: {RECORD_HINT}")
        earlier = [used for used in self._used if used in self.recorded]
        if earlier:
            self.refuse_recording(path, earlier[-1])
        return self.record(path, sources=sources, channels=channels, env=env)

    def refuse_recording(self, cassette: Path, earlier: Path) -> None:
        """``cassette`` follows ``earlier``, recorded in this same session: raise (subclasses may skip)."""
        raise ReplayError(f"not recording {cassette} now: it follows {earlier}, which this session has just "
                          f"recorded; record it in a later session, once the site has changed")

    def record(self, cassette: str | os.PathLike[str], *, sources: SourcesLike | None = None,
               channels: Sequence[ChannelLike] | None = None,
               env: Mapping[str, str] | None = None) -> ReplayResult:
        """Crawl the live sites and write ``cassette`` (replacing it): ``newswatch run --record``."""
        path = self.cassette_path(cassette)
        path.parent.mkdir(parents=True, exist_ok=True)
        result = self._run(path, "--record", sources, channels, env)
        self.recorded.add(path)
        return result

    def series(self, cassettes: Sequence[str | os.PathLike[str]], *, sources: SourcesLike | None = None,
               channels: Sequence[ChannelLike] | None = None,
               env: Mapping[str, str] | None = None) -> tuple[ReplayResult, ...]:
        """Replay each cassette in turn on the same workspace (moment 1, moment 2, ...)."""
        results = []
        for index, cassette in enumerate(cassettes):
            first = index == 0
            results.append(self(cassette, sources=sources if first else None,
                                channels=channels if first else None, env=env))
        return tuple(results)

    def _prepare(self, sources: SourcesLike | None, channels: Sequence[ChannelLike] | None) -> None:
        workspace = self.workspace
        if sources is not None:
            workspace.set_sources(sources)
        if channels is not None:
            workspace.set_channels(channels)
        if not workspace.sources and not any(workspace.seeds_dir.glob("*.txt")):
            raise ReplayError(f"nothing to crawl in {workspace.root}: give sources={{name: site}} "
                              f"or seed documents (newswatch_seeds / add_seeds)")

    def _run(self, cassette: Path, flag: str, sources: SourcesLike | None,
             channels: Sequence[ChannelLike] | None, env: Mapping[str, str] | None) -> ReplayResult:
        self._prepare(sources, channels)
        workspace = self.workspace
        workspace.write_config(replaying=flag == "--replay")
        workspace.ensure_schema()
        marks = take_marks(workspace.database_url, workspace.corpus_dir)
        logs = tuple(dict.fromkeys(c.receiver for c in workspace.channels if c.receiver is not None))
        received = [len(log.deliveries) for log in logs]
        done = workspace.newswatch("run", flag, str(cassette), "--json", env=env, timeout=self.timeout)
        self._used.append(cassette)
        summary = parse_summary(done.stdout, done.returncode)
        if summary is None:
            raise ReplayError(f"newswatch run {flag} {cassette} exited {done.returncode} without a summary: "
                              f"{done.stderr.strip()[-3000:] or done.stdout.strip()[-3000:] or '(no output)'}")
        found = read_results(workspace.database_url, workspace.corpus_dir, marks)
        deliveries = tuple(d for log, start in zip(logs, received, strict=True)
                           for d in log.deliveries[start:])
        return ReplayResult(cassette, summary, found.new_articles, found.baselines, found.changed_articles,
                            found.anomalies, found.documents, found.events, deliveries, done.stdout, done.stderr,
                            removed_articles=found.removed_articles)
