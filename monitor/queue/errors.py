"""The queue's errors, in the one tree of :mod:`storage.errors` (``NewswatchError``)::

    QueueError              the job queue (Redis) cannot be used
    ├── QueueUnavailable        Redis unreachable or failing (connection refused, lost, timed out)
    └── JobRejected             a job payload that is not valid for its schema: logged, never run
"""

from __future__ import annotations

from newswatch.storage.errors import NewswatchError


class QueueError(NewswatchError):
    """The job queue cannot be used."""


class QueueUnavailable(QueueError):
    """Redis is unreachable or failing."""


class JobRejected(QueueError):
    """A job payload is not valid for its schema; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"job rejected: {reason}")
        self.reason = reason
