"""Rules and channel registries: what each rule accepts, and that every plug-in kind is documented."""

from __future__ import annotations

import dataclasses
import re

import pytest

from newswatch.monitor.alerts.registry import channel_kinds
from newswatch.monitor.alerts.rules import RULES, Rules
from newswatch.monitor.changes.events import Event
from newswatch.monitor.config.model import ChannelConfig
from tests.conftest import ROOT
from tests.monitor.sample_events import all_events, changed_event, failing_event, new_event

DOCS = (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8")


def rules(**overrides: object) -> Rules:
    return Rules.from_config(ChannelConfig(name="x", kind="webhook", **overrides))  # type: ignore[arg-type]


def with_class(event: Event, change_class: str, chars: int = 10) -> Event:
    assert event.change is not None
    change = dataclasses.replace(event.change, change_class=change_class, inserted_chars=chars, deleted_chars=0)
    return dataclasses.replace(event, change=change)


CASES = {
    "default-new": ({}, new_event(), True),
    "default-anomaly-off": ({}, all_events()[2], False),
    "anomaly-opt-in": ({"events": ("article.anomaly",)}, all_events()[2], True),
    "default-minor-off": ({}, with_class(changed_event(), "minor"), False),
    "default-metadata-off": ({}, with_class(changed_event(), "metadata_only"), False),
    "default-reordered-off": ({}, with_class(changed_event(), "reordered"), False),
    "reordered-opt-in": ({"change_classes": ("reordered",)}, with_class(changed_event(), "reordered"), True),
    "addition-on": ({}, with_class(changed_event(), "addition"), True),
    "include-chinese-substring": ({"include": ("药品",)}, new_event(), True),
    "include-misses": ({"include": ("深度求索",)}, new_event(), False),
    "include-in-diff": ({"include": ("更正",)}, changed_event(), True),
    "exclude-hits": ({"exclude": ("保供",)}, new_event(), False),
    "include-ignores-source-events": ({"include": ("深度求索",)}, failing_event(), True),
    "sources-by-name": ({"sources": ("新华网",)}, new_event(), True),
    "sources-by-site": ({"sources": ("www.news.cn",)}, new_event(), True),
    "sources-other": ({"sources": ("网易新闻",)}, new_event(), False),
    "min-change-small": ({"min_change_chars": 50}, with_class(changed_event(), "addition", 10), False),
    "min-change-big": ({"min_change_chars": 5}, with_class(changed_event(), "addition", 10), True),
}


@pytest.mark.parametrize("name", sorted(CASES), ids=str)
def test_rules(name: str) -> None:
    overrides, event, expected = CASES[name]
    assert rules(**overrides).accepts(event) is expected


@pytest.mark.parametrize("kind", [rule.kind for rule in RULES], ids=str)
def test_every_rule_kind_is_documented(kind: str) -> None:
    assert re.search(rf"\*\*`{kind}`\*\*", DOCS), f"rule {kind!r} is not described in docs/alerts.md"


@pytest.mark.parametrize("kind", channel_kinds(), ids=str)
def test_every_channel_kind_is_documented(kind: str) -> None:
    assert re.search(rf"\*\*`{kind}`\*\*", DOCS), f"channel {kind!r} is not described in docs/alerts.md"
