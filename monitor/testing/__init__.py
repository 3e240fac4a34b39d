"""Testing your code against newswatch: workspaces, replays of recorded crawls, a webhook receiver.

The pytest plugin (:mod:`monitor.testing.plugin`, loaded by pytest through the ``pytest11`` entry
point) gives these as fixtures; without pytest they work as plain classes::

    from newswatch.monitor.testing import Replayer, WebhookReceiver, Workspace

    with WebhookReceiver() as receiver:
        result = Replayer(Workspace(folder))("site.yaml", sources={"Example": "https://example.org/"},
                                             channels=[receiver])

Names are imported on first use, so importing this package costs nothing and never imports pytest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newswatch.monitor.testing.channels import ChannelSpec
    from newswatch.monitor.testing.receiver import Delivery, WebhookReceiver
    from newswatch.monitor.testing.records import (
        AnomalyRecord,
        ArticleRecord,
        ChangeRecord,
        CorpusFile,
        OutboxEntry,
        ReplayResult,
        ReplaySummary,
        RunError,
    )
    from newswatch.monitor.testing.replay import Replayer
    from newswatch.monitor.testing.workspace import Source, Workspace

_EXPORTS = {
    "ChannelSpec": "newswatch.monitor.testing.channels",
    "Delivery": "newswatch.monitor.testing.receiver",
    "WebhookReceiver": "newswatch.monitor.testing.receiver",
    "AnomalyRecord": "newswatch.monitor.testing.records",
    "ArticleRecord": "newswatch.monitor.testing.records",
    "ChangeRecord": "newswatch.monitor.testing.records",
    "CorpusFile": "newswatch.monitor.testing.records",
    "OutboxEntry": "newswatch.monitor.testing.records",
    "RemovalRecord": "newswatch.monitor.testing.records",
    "ReplayResult": "newswatch.monitor.testing.records",
    "ReplaySummary": "newswatch.monitor.testing.records",
    "RunError": "newswatch.monitor.testing.records",
    "Replayer": "newswatch.monitor.testing.replay",
    "Source": "newswatch.monitor.testing.workspace",
    "Workspace": "newswatch.monitor.testing.workspace",
}
__all__ = [
    "AnomalyRecord", "ArticleRecord", "ChangeRecord", "ChannelSpec", "CorpusFile", "Delivery", "OutboxEntry",
    "RemovalRecord", "ReplayResult", "ReplaySummary", "Replayer", "RunError", "Source", "WebhookReceiver", "Workspace",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'monitor.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
