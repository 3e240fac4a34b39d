"""Retries back off exponentially, capped."""

from __future__ import annotations

import pytest

from newswatch.crawler.fetch.retry import backoff_delay


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (0, 1.0)], ids=["1", "2", "3", "cap", "zero"]
)
def test_backoff_delay(attempt: int, expected: float) -> None:
    assert backoff_delay(attempt, 1.0, 30.0) == expected
