"""The topic filter, pure: which articles join the corpus (everything is stored with its relevance)."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from newswatch.storage.errors import ConfigError


@dataclass(frozen=True)
class Topic:
    """A keyword set; an article is relevant when its title or body mentions any keyword."""

    keywords: tuple[str, ...]

    def matches(self, *texts: str | None) -> bool:
        if not self.keywords:
            return True
        haystack = _fold(" ".join(t for t in texts if t))
        return any(_fold(k) in haystack for k in self.keywords)


def _fold(text: str) -> str:
    """Case- and width-insensitive form (ＤｅｅｐＳｅｅｋ and deepseek match DeepSeek)."""
    return unicodedata.normalize("NFKC", text).casefold()


def load_topic(path: Path) -> Topic:
    """Read ``keywords = [...]`` from a topics TOML file (the one shipped in ``seeds/``)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read the topic keywords: {exc}") from exc
    keywords = data.get("keywords")
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
        raise ConfigError(f"{path.name}: keywords", "expected a list of non-empty strings")
    return Topic(tuple(keywords))
