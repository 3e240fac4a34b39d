"""The topic filter: keyword relevance, case- and width-insensitive; keywords shipped in seeds/."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.crawler.extract.topic import Topic, load_topic
from newswatch.storage.errors import ConfigError
from tests.conftest import SEEDS


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("DeepSeek发布新模型", ""), True),
        (("", "杭州深度求索人工智能基础技术研究有限公司"), True),
        (("deepseek in lower case",), True),
        (("ＤｅｅｐＳｅｅｋ 全角",), True),
        (("与主题无关的新闻", "正文也无关"), False),
        ((None, None), False),
    ],
    ids=["title", "body-chinese", "case", "fullwidth", "off-topic", "empty"],
)
def test_topic_matches(texts: tuple[str | None, ...], expected: bool) -> None:
    assert Topic(("DeepSeek", "深度求索")).matches(*texts) is expected


def test_no_keywords_means_everything_is_relevant() -> None:
    assert Topic(()).matches("anything")


def test_shipped_keywords() -> None:
    assert load_topic(SEEDS / "topics.toml").keywords == ("DeepSeek", "深度求索")


def test_bad_topic_file(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text('keywords = "DeepSeek"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="list of non-empty strings"):
        load_topic(path)
