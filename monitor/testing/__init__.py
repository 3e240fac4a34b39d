"""Testing your code against newswatch: workspaces, replays of recorded crawls, a webhook receiver.

The pytest plugin (:mod:`monitor.testing.plugin`, loaded by pytest through the ``pytest11`` entry
point) gives these as fixtures; without pytest they work as plain classes::

    from monitor.testing import Replayer, WebhookReceiver, Workspace

    with WebhookReceiver() as receiver:
        result = Replayer(Workspace(folder))("site.yaml", sources={"Example": "https://example.org/"},
                                             channels=[receiver])

Names are imported on first use, so importing this package costs nothing and never imports pytest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.testing.channels import ChannelSpec
    from monitor.testing.receiver import Delivery, WebhookReceiver
    from monitor.testing.records import (
        AnomalyRecord,
        ArticleRecord,
        ChangeRecord,
        CorpusFile,
        OutboxEntry,
        ReplayResult,
        ReplaySummary,
        RunError,
    )
    from monitor.testing.replay import Replayer
    from monitor.testing.workspace import Source, Workspace

_EXPORTS = {
    "ChannelSpec": "monitor.testing.channels",
    "Delivery": "monitor.testing.receiver",
    "WebhookReceiver": "monitor.testing.receiver",
    "AnomalyRecord": "monitor.testing.records",
    "ArticleRecord": "monitor.testing.records",
    "ChangeRecord": "monitor.testing.records",
    "CorpusFile": "monitor.testing.records",
    "OutboxEntry": "monitor.testing.records",
    "RemovalRecord": "monitor.testing.records",
    "ReplayResult": "monitor.testing.records",
    "ReplaySummary": "monitor.testing.records",
    "RunError": "monitor.testing.records",
    "Replayer": "monitor.testing.replay",
    "Source": "monitor.testing.workspace",
    "Workspace": "monitor.testing.workspace",
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
