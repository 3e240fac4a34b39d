"""newswatch's pytest plugin (entry point ``pytest11: newswatch``): fixtures over recorded crawls.

Loaded by pytest itself wherever newswatch and pytest are installed together (``-p no:newswatch`` turns
it off); nothing else imports this module, so importing newswatch never imports pytest.

Fixtures:

``newswatch_workspace``  a :class:`~monitor.testing.workspace.Workspace` under ``tmp_path``: config,
                         seeds folder, SQLite database, corpus folder
``newswatch_seeds``      the seed documents copied into it (override it to give some; default none)
``newswatch_replay``     a :class:`~monitor.testing.replay.Replayer` on that workspace: call it with a
                         cassette (relative paths start at the rootdir) for one full run
``webhook_receiver``     a started :class:`~monitor.testing.receiver.WebhookReceiver`, a channel of the replay

Option ``--newswatch-record``: a cassette that does not exist is recorded from the live site instead of
failing the test (commit it; CI then replays it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from newswatch.monitor.testing.receiver import WebhookReceiver
    from newswatch.monitor.testing.replay import Replayer
    from newswatch.monitor.testing.workspace import Workspace

RECORD_OPTION = "--newswatch-record"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("newswatch", "newswatch replays")
    group.addoption(RECORD_OPTION, action="store_true", default=False, dest="newswatch_record",
                    help="record cassettes that do not exist yet by crawling the live sites (newswatch run "
                         "--record) instead of failing; commit them, and CI replays them")


@pytest.fixture
def newswatch_seeds() -> Sequence[Path]:
    """Seed documents to copy into ``newswatch_workspace`` (override this fixture; default: none)."""
    return ()


@pytest.fixture
def newswatch_workspace(tmp_path: Path, newswatch_seeds: Sequence[Path]) -> Workspace:
    """A newswatch installation under ``tmp_path / "newswatch"``: config, seeds, SQLite database, corpus."""
    from newswatch.monitor.testing.workspace import Workspace

    return Workspace(tmp_path / "newswatch", seeds=newswatch_seeds)


RECORDED = pytest.StashKey[set[Path]]()  # the cassettes this session recorded


@pytest.fixture
def newswatch_replay(newswatch_workspace: Workspace, request: pytest.FixtureRequest) -> Replayer:
    """``newswatch_replay(cassette, sources=..., channels=...)``: one full run from a cassette, no network;
    returns a ReplayResult. Calls in one test share the workspace (moment 1, moment 2, ...)."""
    from newswatch.monitor.testing.replay import Replayer

    class SkippingReplayer(Replayer):
        def refuse_recording(self, cassette: Path, earlier: Path) -> None:
            pytest.skip(f"newswatch: {cassette.name} follows {earlier.name}, recorded in this session; run "
                        f"{RECORD_OPTION} again once the site has changed to record it")

    record = bool(request.config.getoption("newswatch_record"))
    recorded = request.config.stash.setdefault(RECORDED, set())
    return SkippingReplayer(newswatch_workspace, base_dir=request.config.rootpath, record_missing=record,
                            recorded=recorded)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 that verifies each signature; pass it in ``channels=[...]``."""
    from newswatch.monitor.testing.receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver
